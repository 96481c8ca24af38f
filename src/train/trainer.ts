import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { printConfig, type RunConfig } from "../config/index.js";
import { loadQa, loadSft, type QaRecord } from "../data/dataset.js";
import type { Engine, PolicySample } from "../engines/engine.js";
import { startHfEngine } from "../engines/hf.js";
import { renderPrompt } from "../prompts/templates.js";
import { planFromConfig } from "../rewards/plan.js";
import { RewardScorer } from "../rewards/scorer.js";
import { SandboxPool, sandboxOptionsFromConfig } from "../sandbox/index.js";
import { toolOptionsFromConfig } from "../tools/from-config.js";
import { openTrackers } from "../trackers/index.js";
import { UserError } from "../util/errors.js";
import { ioReason, writeOutputFile } from "../util/io.js";
import {
  newestIntactCheckpoint,
  readTrainerState,
  type TrainerState,
  verifyCheckpoint,
} from "./checkpoint.js";
import { Loop, type TrainResult } from "./loop.js";
import { MetricsWriter } from "./metrics.js";
import { resolveModel } from "./model.js";
import { runNotices } from "./notices.js";
import type { ProgressSink } from "./progress.js";
import { INITIAL_SAMPLER_STATE } from "./sampler.js";
import { SampleWriter } from "./samples.js";
import { totalRlSteps } from "./schedules.js";
import { unsupportedKnobs } from "./support.js";

export type { TrainResult };

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

const quiet: ProgressSink = { step() {}, log() {}, close() {} };

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
      {
        config,
        runDir,
        engine,
        scorer,
        render,
        tools: sandbox === null ? null : { sandbox, options: toolOptionsFromConfig(config.tools) },
        metrics,
        samples,
        progress,
        started,
        resumed: resumeFrom !== null,
        signal: opts.signal,
        stopAfterStep: opts.stopAfterStep,
        onPolicyBatch: opts.onPolicyBatch,
      },
      state,
    );
    const fitting = await dropOverlongPrompts(engine, limited, render, config.rollout.max_prompt_length);
    if (fitting.length < limited.length) {
      progress.log(
        `dropped ${limited.length - fitting.length} of ${limited.length} training questions longer than rollout.max_prompt_length (${config.rollout.max_prompt_length} tokens)`,
      );
    }
    const totalSteps = fitting.length === 0 ? 0 : totalRlSteps(config.algorithm, fitting.length);
    if (resumeFrom === null) {
      for (const notice of runNotices(config, { questions: fitting.length, totalSteps }))
        progress.log(notice);
    }
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
