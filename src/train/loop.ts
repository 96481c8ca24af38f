import type { RunConfig } from "../config/index.js";
import type { QaRecord, SftRecord } from "../data/dataset.js";
import type { PolicySample } from "../engines/engine.js";
import type { ScoredSample } from "../rewards/scorer.js";
import { UserError } from "../util/errors.js";
import { deriveSeed } from "../util/rng.js";
import { saveCheckpoint, type TrainerState } from "./checkpoint.js";
import { type EvalContext, type EvalSampling, evaluate, rewardSample } from "./evaluate.js";
import { type MetricsLine, type MetricsWriter, readMetrics } from "./metrics.js";
import type { ProgressSink } from "./progress.js";
import { generateRollouts, policySamples, type Rollout, toolMetrics } from "./rollouts.js";
import { drawBatch, type SamplerOptions } from "./sampler.js";
import type { SampleWriter } from "./samples.js";
import { lrAt, type ScheduleInputs, scheduleAt } from "./schedules.js";

export interface TrainResult {
  runDir: string;
  /** Last completed RL step. */
  step: number;
  totalSteps: number;
  interrupted: boolean;
  checkpoint: string | null;
  /** Held-out accuracy after the cold start (step 0) and at the end, when evaluated. */
  evalAfterColdStart?: number;
  evalFinal?: number;
  wallS: number;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The questions and pairs of a run, loaded and filtered by train(). */
export interface Data {
  train: QaRecord[];
  heldOut: QaRecord[];
  benchmarks: { config: RunConfig["eval"]["benchmarks"][number]; records: QaRecord[] }[];
  sft: SftRecord[];
  totalSteps: number;
}

/**
 * The run's parts, set up by train(): what the loop and evaluation work with. `started` is Date.now() when this
 * process took the run over; `resumed` says it continues from a checkpoint.
 */
export interface RunContext extends EvalContext {
  config: RunConfig;
  runDir: string;
  metrics: MetricsWriter;
  samples: SampleWriter;
  progress: ProgressSink;
  started: number;
  resumed: boolean;
  signal?: AbortSignal;
  stopAfterStep?: number;
  onPolicyBatch?: (step: number, batch: readonly PolicySample[]) => void;
}

/** The loop proper: SFT cold start, RL steps, evaluation, checkpoints, on one run's context. */
export class Loop {
  private readonly config: RunConfig;
  private lastCheckpoint: string | null = null;
  private readonly eosId: number;
  /** Wall time of the run before this process took it over (resume). */
  private readonly priorElapsedS: number;

  constructor(
    private readonly ctx: RunContext,
    private state: TrainerState,
  ) {
    this.config = ctx.config;
    this.eosId = ctx.engine.info.eosTokenId;
    this.priorElapsedS = state.elapsedS;
  }

  private elapsed(): number {
    return this.priorElapsedS + (Date.now() - this.ctx.started) / 1000;
  }

  private interrupted(): boolean {
    return this.ctx.signal?.aborted === true;
  }

  private async checkpoint(): Promise<void> {
    this.state = { ...this.state, elapsedS: this.elapsed() };
    this.lastCheckpoint = await saveCheckpoint(
      this.ctx.runDir,
      this.ctx.engine,
      this.state,
      this.config.checkpoint.keep_last,
    );
    this.ctx.progress.log(`checkpoint ${this.lastCheckpoint}`);
  }

  private result(interrupted: boolean, totalSteps: number): TrainResult {
    return {
      runDir: this.ctx.runDir,
      step: this.state.step,
      totalSteps,
      interrupted,
      checkpoint: this.lastCheckpoint,
      ...heldOutAccuracy(readMetrics(this.ctx.metrics.file), interrupted),
      wallS: this.elapsed(),
    };
  }

  async run(data: Data): Promise<TrainResult> {
    const c = this.config;
    if (!this.state.sft.done) {
      const stopped = await this.sft(data.sft);
      if (stopped) return this.result(true, data.totalSteps);
      if (c.eval.before_train) await this.evaluateAll(0, data);
      await this.checkpoint();
    } else if (this.state.step === 0 && !this.ctx.resumed && c.eval.before_train) {
      await this.evaluateAll(0, data);
    }
    const schedule: ScheduleInputs = {
      algorithm: c.algorithm,
      contextStages: c.context_stages,
      maxResponseLength: c.rollout.max_response_length,
      totalSteps: data.totalSteps,
    };
    const sampler: SamplerOptions = { size: data.train.length, seed: c.data.seed, shuffle: c.data.shuffle };
    const stageStart = this.state.step;
    const stageStarted = Date.now();
    if (this.interrupted()) return this.result(true, data.totalSteps);
    while (this.state.step < data.totalSteps) {
      const step = this.state.step + 1;
      const t0 = Date.now();
      const draw = drawBatch(this.state.sampler, c.algorithm.train_batch_size, sampler);
      const batch = draw.indices.map((i) => data.train[i]!);
      const values = await this.rlStep(step, batch, scheduleAt(step, schedule));
      this.state = { ...this.state, step, sampler: draw.next };
      const line: MetricsLine = { step, ...values, "time/step_s": (Date.now() - t0) / 1000 };
      const last = step === data.totalSteps;
      const evalEvery = c.eval.every_steps;
      if (last || (evalEvery !== null && step % evalEvery === 0)) {
        Object.assign(line, await evaluateStep(this.ctx, step, data));
      }
      line["time/elapsed_s"] = this.elapsed();
      this.ctx.metrics.append(line);
      this.ctx.progress.step({
        stage: "rl",
        step,
        total: data.totalSteps,
        startStep: stageStart,
        elapsedS: (Date.now() - stageStarted) / 1000,
        values: {
          reward: values["train/reward_mean"]!,
          accuracy: values["train/accuracy"]!,
          length: values["train/response_length_mean"]!,
        },
      });
      if (last) break;
      const stop = this.interrupted() || this.ctx.stopAfterStep === step;
      const every = c.checkpoint.every_steps;
      if (stop || (every !== null && step % every === 0)) await this.checkpoint();
      if (stop) return this.result(true, data.totalSteps);
    }
    // An SFT-only run (no RL steps) already saved its checkpoint when the cold start ended.
    if (data.totalSteps > 0 || this.lastCheckpoint === null) await this.checkpoint();
    return this.result(false, data.totalSteps);
  }

  // --- SFT cold start ------------------------------------------------------------------------------------------

  /** Returns true when interrupted. */
  private async sft(records: SftRecord[]): Promise<boolean> {
    const sft = this.config.sft!;
    if (records.length === 0) throw new UserError("sft.train_files: no SFT pairs");
    const total = Math.ceil((sft.epochs * records.length) / sft.batch_size);
    const sampler: SamplerOptions = { size: records.length, seed: this.config.seed, shuffle: true };
    const t0 = Date.now();
    const startStep = this.state.sft.step;
    this.ctx.progress.log(
      `SFT cold start: ${total} steps of ${sft.batch_size} pairs (${records.length} pairs, ${sft.epochs} epochs)`,
    );
    while (this.state.sft.step < total) {
      if (this.interrupted()) {
        await this.checkpoint();
        return true;
      }
      const step = this.state.sft.step + 1;
      const draw = drawBatch(this.state.sft.sampler, sft.batch_size, sampler);
      const pairs = draw.indices.map((i) => records[i]!);
      const promptIds = await this.ctx.engine.tokenize(pairs.map((p) => this.ctx.render(p.prompt)));
      const responseIds = (await this.ctx.engine.tokenize(pairs.map((p) => p.response))).map((ids) => {
        const out = new Int32Array(ids.length + 1);
        out.set(ids);
        out[ids.length] = this.eosId;
        return out;
      });
      const fit = promptIds.map((p, i) => {
        const room = Math.max(sft.max_length - p.length, 1);
        return { promptIds: p, responseIds: responseIds[i]!.subarray(0, room) };
      });
      const lr = lrAt(step, sft.lr, sft.lr_schedule, total);
      const stats = await this.ctx.engine.sftStep(fit, {
        lr,
        maxGradNorm: sft.max_grad_norm,
        weightDecay: sft.weight_decay,
        miniBatchSize: 0,
      });
      this.state = { ...this.state, sft: { step, sampler: draw.next, done: false } };
      this.ctx.metrics.append({
        stage: "sft",
        step,
        "sft/loss": stats.loss,
        "sft/grad_norm": stats.gradNorm,
        "sft/lr": lr,
        "sft/tokens": stats.tokens,
      });
      this.ctx.progress.step({
        stage: "sft",
        step,
        total,
        startStep,
        elapsedS: (Date.now() - t0) / 1000,
        values: { loss: stats.loss },
      });
    }
    this.state = { ...this.state, sft: { ...this.state.sft, done: true } };
    return false;
  }

  // --- one RL step ---------------------------------------------------------------------------------------------

  private async rlStep(
    step: number,
    batch: QaRecord[],
    sched: ReturnType<typeof scheduleAt>,
  ): Promise<Record<string, number>> {
    const c = this.config;
    const r = c.rollout;
    const prompts = batch.map((q) => this.ctx.render(q.question));
    const inputs = await this.ctx.engine.tokenize(prompts);
    const rollouts = await generateRollouts(this.ctx.engine, this.ctx.tools, inputs, {
      n: r.n,
      temperature: r.temperature,
      topP: r.top_p,
      topK: r.top_k,
      maxNewTokens: sched.maxResponseLength,
      stop: r.stop,
      seed: deriveSeed(c.seed, "rollout", step),
      returnLogprobs: true,
    });
    const scored = await this.ctx.scorer.score(
      rollouts.map((ro) => rewardSample(prompts[ro.input]!, batch[ro.input]!, ro, `${step}:${ro.input}`)),
    );
    const trained = rollouts.flatMap((rollout, i) =>
      scored[i]!.included === false
        ? []
        : [{ promptIds: inputs[rollout.input]!, rollout, advantage: scored[i]!.advantage ?? 0 }],
    );
    let stats = { kl: 0, entropy: 0, gradNorm: 0, loss: 0, pgLoss: 0, clipFraction: 0, steps: 0 };
    if (trained.length > 0) {
      const ref =
        sched.klCoef > 0
          ? await this.ctx.engine.logprobs(
              trained.map((t) => ({ promptIds: t.promptIds, responseIds: t.rollout.tokenIds })),
              "reference",
              { temperature: r.temperature },
            )
          : null;
      const policyBatch = policySamples(trained, ref);
      this.ctx.onPolicyBatch?.(step, policyBatch);
      const a = c.algorithm;
      const onPolicy = a.mini_batch_size === a.train_batch_size && a.epochs === 1;
      stats = await this.ctx.engine.update(policyBatch, {
        lr: sched.lr,
        clipRatioLow: a.clip_ratio_low,
        clipRatioHigh: a.clip_ratio_high,
        klCoef: sched.klCoef,
        klEstimator: a.kl.estimator,
        entropyCoef: sched.entropyCoef,
        lossAggregation: a.loss_aggregation,
        maxGradNorm: a.max_grad_norm,
        weightDecay: a.weight_decay,
        miniBatchSize: onPolicy
          ? 0
          : Math.max(1, Math.round((trained.length * a.mini_batch_size) / a.train_batch_size)),
        epochs: a.epochs,
        seed: deriveSeed(c.seed, "update", step),
        temperature: r.temperature,
      });
    }
    if (sched.resetReference) await this.ctx.engine.resetReference();
    this.ctx.samples.write(
      step,
      sampleRows(step, prompts, batch, rollouts, scored, c.logging.samples_per_step),
    );
    return stepMetrics(rollouts, scored, this.ctx.scorer.plan.categories, stats, sched, trained.length);
  }

  private async evaluateAll(step: number, data: Data): Promise<void> {
    const values = await evaluateStep(this.ctx, step, data);
    if (Object.keys(values).length === 0) return;
    this.ctx.metrics.append({ step, ...values });
  }
}

function evalSampling(
  config: RunConfig,
  step: number,
  greedy: boolean,
  override?: Partial<RunConfig["eval"]["sampling"]>,
): EvalSampling {
  const s = { ...config.eval.sampling, ...override };
  return {
    greedy: greedy || s.greedy,
    n: s.n,
    temperature: s.temperature,
    topP: s.top_p,
    maxTokens: s.max_tokens,
    stop: config.rollout.stop,
    seed: deriveSeed(config.seed, "evalSampled", step),
  };
}

/** eval/* values at `step`: greedy and sampled accuracy on the held-out split, then each benchmark. */
async function evaluateStep(ctx: RunContext, step: number, data: Data): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (data.heldOut.length > 0) {
    const greedy = await evaluate(ctx, data.heldOut, evalSampling(ctx.config, step, true));
    out["eval/accuracy"] = greedy.accuracy;
    out["eval/response_length_mean"] = greedy.responseLengthMean;
    Object.assign(out, prefixed("eval/", greedy.toolMetrics));
    if (!ctx.config.eval.sampling.greedy) {
      const sampled = await evaluate(ctx, data.heldOut, evalSampling(ctx.config, step, false));
      out["eval/accuracy_sampled"] = sampled.accuracy;
    }
    ctx.samples.writeEval(step, greedy.samples);
  }
  for (const b of data.benchmarks) {
    const res = await evaluate(
      { ...ctx, tools: b.config.tools ? ctx.tools : null },
      b.records,
      evalSampling(ctx.config, step, false, b.config.sampling),
    );
    out[`eval/${b.config.name}/accuracy`] = res.accuracy;
    Object.assign(out, prefixed(`eval/${b.config.name}/`, res.toolMetrics));
  }
  const shown = Object.entries(out)
    .filter(([k]) => k.includes("accuracy"))
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join("  ");
  if (shown) ctx.progress.log(`eval at step ${step}: ${shown}`);
  return out;
}

/** Held-out accuracy at step 0 (after the cold start) and at the last step, from the whole metrics file. */
function heldOutAccuracy(lines: MetricsLine[], interrupted: boolean) {
  const evals = lines.filter((l) => l.stage === undefined && typeof l["eval/accuracy"] === "number");
  const at = (l: MetricsLine | undefined) => l?.["eval/accuracy"] as number | undefined;
  return {
    evalAfterColdStart: at(evals.find((l) => l.step === 0)),
    evalFinal: interrupted ? undefined : at(evals.at(-1)),
  };
}

const prefixed = (prefix: string, values: Record<string, number>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [prefix + k, v]));

function stepMetrics(
  completions: Rollout[],
  scored: ScoredSample[],
  categories: readonly string[],
  stats: { kl: number; entropy: number; gradNorm: number; pgLoss: number; clipFraction: number },
  sched: ReturnType<typeof scheduleAt>,
  trained: number,
): Record<string, number> {
  const withKeyword = scored.filter((s) => categories.some((k) => (s.components[k] ?? 0) > 0)).length;
  const out: Record<string, number> = {
    "train/reward_mean": mean(scored.map((s) => s.reward)),
    "train/accuracy": mean(scored.map((s) => (s.verdict === "correct" ? 1 : 0))),
    "train/response_length_mean": mean(completions.map((c) => c.tokenIds.length)),
    "train/completion_ratio": mean(completions.map((c) => (c.finishReason === "length" ? 0 : 1))),
    "train/keyword_ratio": scored.length === 0 ? 0 : withKeyword / scored.length,
    "train/entropy": stats.entropy,
    "train/kl": stats.kl,
    "train/kl_coef": sched.klCoef,
    "train/grad_norm": stats.gradNorm,
    "train/lr": sched.lr,
    "train/pg_loss": stats.pgLoss,
    "train/clip_fraction": stats.clipFraction,
    "train/included_ratio": completions.length === 0 ? 0 : trained / completions.length,
    "train/max_response_length": sched.maxResponseLength,
    ...prefixed("train/", toolMetrics(completions)),
  };
  for (const k of categories) {
    out[`train/keyword_ratio/${k.replace(/^kw_/, "")}`] = mean(
      scored.map((s) => ((s.components[k] ?? 0) > 0 ? 1 : 0)),
    );
  }
  return out;
}

function sampleRows(
  step: number,
  prompts: string[],
  batch: QaRecord[],
  completions: Rollout[],
  scored: ScoredSample[],
  count: number,
) {
  // One response of each of the first prompts, so the log shows different questions.
  const picked = completions.flatMap((c, i) => (c.sample === 0 ? [i] : [])).slice(0, count);
  return picked.map((i) => {
    const c = completions[i]!;
    const s = scored[i]!;
    return {
      step,
      prompt: prompts[c.input]!,
      response: c.text,
      answer: batch[c.input]!.answer,
      reward: s.reward,
      verdict: s.verdict,
      advantage: s.advantage ?? null,
      included: s.included ?? true,
      finish: c.finishReason,
      tokens: c.tokenIds.length,
      ...(c.calls === null ? {} : { tool_calls: c.calls.length }),
    };
  });
}
