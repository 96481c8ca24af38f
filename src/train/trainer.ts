import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { printConfig, type RunConfig } from "../config/index.js";
import { loadQa, loadSft, type QaRecord, type SftRecord } from "../data/dataset.js";
import type { Engine, PolicySample } from "../engines/engine.js";
import { startHfEngine } from "../engines/hf.js";
import { renderPrompt } from "../prompts/templates.js";
import { planFromConfig } from "../rewards/plan.js";
import { RewardScorer, type ScoredSample } from "../rewards/scorer.js";
import { SandboxPool, sandboxOptionsFromConfig } from "../sandbox/index.js";
import { toolOptionsFromConfig } from "../tools/from-config.js";
import { openTrackers } from "../trackers/index.js";
import { UserError } from "../util/errors.js";
import { ioReason, writeOutputFile } from "../util/io.js";
import { deriveSeed } from "../util/rng.js";
import {
  newestIntactCheckpoint,
  readTrainerState,
  saveCheckpoint,
  type TrainerState,
  verifyCheckpoint,
} from "./checkpoint.js";
import { type EvalSampling, evaluate, rewardSample } from "./evaluate.js";
import { type MetricsLine, MetricsWriter, readMetrics } from "./metrics.js";
import { resolveModel } from "./model.js";
import type { ProgressSink } from "./progress.js";
import { generateRollouts, policySamples, type Rollout, type RolloutTools, toolMetrics } from "./rollouts.js";
import { drawBatch, INITIAL_SAMPLER_STATE, type SamplerOptions } from "./sampler.js";
import { SampleWriter } from "./samples.js";
import { lrAt, type ScheduleInputs, scheduleAt, totalRlSteps } from "./schedules.js";
import { unsupportedKnobs } from "./support.js";

/**
 * The driver-mode training loop: TypeScript samples prompts, asks the engine to generate, scores with the
 * reward plan (group strategies and advantages included), asks the engine to update, applies the schedules,
 * evaluates, checkpoints and logs. Every random choice derives from (seed, step), and checkpoints hold the
 * engine state plus the sampler positions, so a resumed run repeats an uninterrupted one step for step.
 * With `tools.enabled`, rollouts and evaluation run the model's code in one sandbox pool per run.
 */

export interface TrainOptions {
  config: RunConfig;
  runDir: string;
  /** Continue from the newest checkpoint in `runDir` (it must have one). */
  resume?: boolean;
  /** Continue from this checkpoint directory (e.g. `checkpoint.resume_from`, another run's) into `runDir`. */
  resumeFrom?: string;
  /** An engine to drive instead of starting the HF engine (it is not shut down at the end). */
  engine?: Engine;
  progress?: ProgressSink;
  /** Aborting stops at the next step boundary with a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  /** Stop after this RL step as if interrupted (tests of resume). */
  stopAfterStep?: number;
  /** Lines the engine process prints. */
  onEngineOutput?: (line: string) => void;
  /** Sees each RL step's update batch before it goes to the engine (tests of what is trained on). */
  onPolicyBatch?: (step: number, batch: readonly PolicySample[]) => void;
}

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

const quiet: ProgressSink = { step() {}, log() {}, close() {} };

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The run's files a fresh (non-resumed) run replaces. */
const RUN_OUTPUTS = ["metrics.jsonl", "samples", "checkpoints", "report.html", "model", "config.yaml"];

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, runDir } = opts;
  const progress = opts.progress ?? quiet;
  const started = Date.now();
  const unsupported = unsupportedKnobs(config);
  if (unsupported.length > 0)
    throw new UserError(`this run cannot be trained here:\n  ${unsupported.join("\n  ")}`);
  // Node's recursive mkdir never returns under /proc (it retries forever): refuse pseudo-filesystems up front.
  if (/^\/(proc|sys)(\/|$)/.test(path.resolve(runDir))) {
    throw new UserError(`cannot create the run directory ${runDir}: it is under /proc or /sys`);
  }
  try {
    mkdirSync(runDir, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create the run directory ${runDir}: ${ioReason(err)}`);
  }

  let state: TrainerState = {
    format: 1,
    step: 0,
    sampler: INITIAL_SAMPLER_STATE,
    sft: { step: 0, sampler: INITIAL_SAMPLER_STATE, done: config.sft === undefined },
    elapsedS: 0,
  };
  let resumeFrom: string | null = null;
  if (opts.resumeFrom !== undefined) {
    resumeFrom = opts.resumeFrom;
    if (!existsSync(path.join(resumeFrom, "trainer.json"))) {
      throw new UserError(`checkpoint.resume_from: ${resumeFrom} is not a checkpoint (no trainer.json)`);
    }
    const problem = await verifyCheckpoint(resumeFrom);
    if (problem !== undefined) {
      throw new UserError(`checkpoint.resume_from: ${resumeFrom} is damaged: ${problem}`);
    }
  } else if (opts.resume) {
    resumeFrom = (await newestIntactCheckpoint(runDir, (line) => progress.log(line))) ?? null;
    if (resumeFrom === null)
      throw new UserError(`--resume ${runDir}: no checkpoint in ${runDir}/checkpoints`);
  }
  if (resumeFrom === null) {
    for (const f of RUN_OUTPUTS) rmSync(path.join(runDir, f), { recursive: true, force: true });
  } else {
    state = readTrainerState(resumeFrom);
  }
  writeOutputFile(path.join(runDir, "config.yaml"), printConfig(config));

  const render = (q: string) => renderPrompt(config.prompt, q);
  const train = loadQa(config.data.train_files, {
    promptKey: config.data.prompt_key,
    answerKey: config.data.answer_key,
    sourceKey: config.data.source_key,
  });
  const limited = config.data.max_samples === null ? train : train.slice(0, config.data.max_samples);
  const heldOut = loadQa(config.data.eval_files, {
    promptKey: config.data.prompt_key,
    answerKey: config.data.answer_key,
    sourceKey: config.data.source_key,
  });
  const benchmarks = config.eval.benchmarks.map((b) => ({
    config: b,
    records: loadQa([b.file], {
      promptKey: b.prompt_key ?? config.data.prompt_key,
      answerKey: b.answer_key ?? config.data.answer_key,
      sourceKey: config.data.source_key,
    }),
  }));
  const sftData = config.sft
    ? loadSft(config.sft.train_files, config.sft.prompt_key, config.sft.response_key)
    : [];

  const metrics = new MetricsWriter(
    path.join(runDir, "metrics.jsonl"),
    openTrackers(config, runDir, (line) => progress.log(line)),
  );
  if (resumeFrom !== null) {
    const s = state;
    metrics.truncate((l) =>
      l.stage === "sft" ? s.sft.done || l.step <= s.sft.step : s.sft.done && l.step <= s.step,
    );
  }
  const samples = new SampleWriter(path.join(runDir, "samples"));
  if (resumeFrom !== null) samples.truncate(state.sft.done ? state.step : -1);

  const scorer = await RewardScorer.start(planFromConfig(config));
  let engine = opts.engine;
  const ownEngine = engine === undefined;
  let sandbox: SandboxPool | null = null;
  try {
    if (config.tools.enabled) {
      sandbox = await SandboxPool.create(sandboxOptionsFromConfig(config.tools, config.python));
      progress.log(
        `sandbox: ${sandbox.isolation} isolation, ${sandbox.concurrency} concurrent, dialect ${config.tools.dialect}`,
      );
    }
    if (engine === undefined) {
      const model = await resolveModel(config.model.path, runDir, config.seed, config.python);
      const hf = config.backend.hf;
      progress.log(`starting the HF engine on ${model}`);
      engine = await startHfEngine({
        model,
        device: hf.device,
        dtype: config.model.dtype === "auto" ? undefined : config.model.dtype,
        threads: hf.threads ?? undefined,
        microBatchSize: hf.micro_batch_size,
        gradientCheckpointing: hf.gradient_checkpointing,
        tokenizer: config.model.tokenizer,
        trustRemoteCode: config.model.trust_remote_code,
        python: config.python,
        onOutput: opts.onEngineOutput,
      });
    }
    if (resumeFrom !== null) {
      await engine.load(path.join(resumeFrom, "engine"));
      progress.log(`resumed from ${resumeFrom} (step ${state.step})`);
    }
    const loop = new Loop(
      opts,
      engine,
      scorer,
      metrics,
      samples,
      progress,
      render,
      state,
      started,
      resumeFrom !== null,
      sandbox === null ? null : { sandbox, options: toolOptionsFromConfig(config.tools) },
    );
    const fitting = await dropOverlongPrompts(engine, limited, render, config.rollout.max_prompt_length);
    if (fitting.length < limited.length) {
      progress.log(
        `dropped ${limited.length - fitting.length} of ${limited.length} training questions longer than rollout.max_prompt_length (${config.rollout.max_prompt_length} tokens)`,
      );
    }
    const totalSteps = fitting.length === 0 ? 0 : totalRlSteps(config.algorithm, fitting.length);
    return await loop.run({ train: fitting, heldOut, benchmarks, sft: sftData, totalSteps });
  } finally {
    await metrics.close();
    progress.close();
    sandbox?.close();
    await scorer.close();
    if (ownEngine) await engine?.shutdown();
  }
}

/** Questions whose rendered prompt fits the prompt budget (veRL's filter_overlong_prompts), in order. */
async function dropOverlongPrompts(
  engine: Engine,
  records: QaRecord[],
  render: (q: string) => string,
  maxTokens: number,
): Promise<QaRecord[]> {
  const out: QaRecord[] = [];
  const chunk = 4096;
  for (let i = 0; i < records.length; i += chunk) {
    const part = records.slice(i, i + chunk);
    const ids = await engine.tokenize(part.map((r) => render(r.question)));
    part.forEach((r, k) => {
      if (ids[k]!.length <= maxTokens) out.push(r);
    });
  }
  return out;
}

interface Data {
  train: QaRecord[];
  heldOut: QaRecord[];
  benchmarks: { config: RunConfig["eval"]["benchmarks"][number]; records: QaRecord[] }[];
  sft: SftRecord[];
  totalSteps: number;
}

class Loop {
  private readonly config: RunConfig;
  private lastCheckpoint: string | null = null;
  private readonly eosId: number;
  /** Wall time of the run before this process took it over (resume). */
  private readonly priorElapsedS: number;

  constructor(
    private readonly opts: TrainOptions,
    private readonly engine: Engine,
    private readonly scorer: RewardScorer,
    private readonly metrics: MetricsWriter,
    private readonly samples: SampleWriter,
    private readonly progress: ProgressSink,
    private readonly render: (q: string) => string,
    private state: TrainerState,
    private readonly started: number,
    private readonly resumed: boolean,
    /** The run's sandbox and tool options when `tools.enabled`. */
    private readonly tools: RolloutTools | null,
  ) {
    this.config = opts.config;
    this.eosId = engine.info.eosTokenId;
    this.priorElapsedS = state.elapsedS;
  }

  private elapsed(): number {
    return this.priorElapsedS + (Date.now() - this.started) / 1000;
  }

  private interrupted(): boolean {
    return this.opts.signal?.aborted === true;
  }

  private async checkpoint(): Promise<void> {
    this.state = { ...this.state, elapsedS: this.elapsed() };
    this.lastCheckpoint = await saveCheckpoint(
      this.opts.runDir,
      this.engine,
      this.state,
      this.config.checkpoint.keep_last,
    );
    this.progress.log(`checkpoint ${this.lastCheckpoint}`);
  }

  private result(interrupted: boolean, totalSteps: number): TrainResult {
    return {
      runDir: this.opts.runDir,
      step: this.state.step,
      totalSteps,
      interrupted,
      checkpoint: this.lastCheckpoint,
      ...heldOutAccuracy(readMetrics(this.metrics.file), interrupted),
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
    } else if (this.state.step === 0 && !this.resumed && c.eval.before_train) {
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
        Object.assign(line, await this.evaluateOnly(step, data));
      }
      line["time/elapsed_s"] = this.elapsed();
      this.metrics.append(line);
      this.progress.step({
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
      const stop = this.interrupted() || this.opts.stopAfterStep === step;
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
    this.progress.log(
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
      const promptIds = await this.engine.tokenize(pairs.map((p) => this.render(p.prompt)));
      const responseIds = (await this.engine.tokenize(pairs.map((p) => p.response))).map((ids) => {
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
      const stats = await this.engine.sftStep(fit, {
        lr,
        maxGradNorm: sft.max_grad_norm,
        weightDecay: sft.weight_decay,
        miniBatchSize: 0,
      });
      this.state = { ...this.state, sft: { step, sampler: draw.next, done: false } };
      this.metrics.append({
        stage: "sft",
        step,
        "sft/loss": stats.loss,
        "sft/grad_norm": stats.gradNorm,
        "sft/lr": lr,
        "sft/tokens": stats.tokens,
      });
      this.progress.step({
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
    const prompts = batch.map((q) => this.render(q.question));
    const inputs = await this.engine.tokenize(prompts);
    const rollouts = await generateRollouts(this.engine, this.tools, inputs, {
      n: r.n,
      temperature: r.temperature,
      topP: r.top_p,
      topK: r.top_k,
      maxNewTokens: sched.maxResponseLength,
      stop: r.stop,
      seed: deriveSeed(c.seed, "rollout", step),
      returnLogprobs: true,
    });
    const scored = await this.scorer.score(
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
          ? await this.engine.logprobs(
              trained.map((t) => ({ promptIds: t.promptIds, responseIds: t.rollout.tokenIds })),
              "reference",
              { temperature: r.temperature },
            )
          : null;
      const policyBatch = policySamples(trained, ref);
      this.opts.onPolicyBatch?.(step, policyBatch);
      const a = c.algorithm;
      const onPolicy = a.mini_batch_size === a.train_batch_size && a.epochs === 1;
      stats = await this.engine.update(policyBatch, {
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
    if (sched.resetReference) await this.engine.resetReference();
    this.samples.write(step, sampleRows(step, prompts, batch, rollouts, scored, c.logging.samples_per_step));
    return stepMetrics(rollouts, scored, this.scorer.plan.categories, stats, sched, trained.length);
  }

  // --- evaluation ------------------------------------------------------------------------------------------------

  private evalSampling(
    step: number,
    greedy: boolean,
    override?: Partial<RunConfig["eval"]["sampling"]>,
  ): EvalSampling {
    const s = { ...this.config.eval.sampling, ...override };
    return {
      greedy: greedy || s.greedy,
      n: s.n,
      temperature: s.temperature,
      topP: s.top_p,
      maxTokens: s.max_tokens,
      stop: this.config.rollout.stop,
      seed: deriveSeed(this.config.seed, "evalSampled", step),
    };
  }

  /** eval/* values at `step`: greedy and sampled accuracy on the held-out split, then each benchmark. */
  private async evaluateOnly(step: number, data: Data): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (data.heldOut.length > 0) {
      const greedy = await evaluate(
        this.engine,
        this.scorer,
        data.heldOut,
        this.render,
        this.evalSampling(step, true),
        this.tools,
      );
      out["eval/accuracy"] = greedy.accuracy;
      out["eval/response_length_mean"] = greedy.responseLengthMean;
      Object.assign(out, prefixed("eval/", greedy.toolMetrics));
      if (!this.config.eval.sampling.greedy) {
        const sampled = await evaluate(
          this.engine,
          this.scorer,
          data.heldOut,
          this.render,
          this.evalSampling(step, false),
          this.tools,
        );
        out["eval/accuracy_sampled"] = sampled.accuracy;
      }
      this.samples.writeEval(step, greedy.samples);
    }
    for (const b of data.benchmarks) {
      const res = await evaluate(
        this.engine,
        this.scorer,
        b.records,
        this.render,
        this.evalSampling(step, false, b.config.sampling),
        b.config.tools ? this.tools : null,
      );
      out[`eval/${b.config.name}/accuracy`] = res.accuracy;
      Object.assign(out, prefixed(`eval/${b.config.name}/`, res.toolMetrics));
    }
    const shown = Object.entries(out)
      .filter(([k]) => k.includes("accuracy"))
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join("  ");
    if (shown) this.progress.log(`eval at step ${step}: ${shown}`);
    return out;
  }

  private async evaluateAll(step: number, data: Data): Promise<void> {
    const values = await this.evaluateOnly(step, data);
    if (Object.keys(values).length === 0) return;
    this.metrics.append({ step, ...values });
  }
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
