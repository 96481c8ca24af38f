import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JobLog } from "../../cluster/job-log.js";
import { runLocalJob, shellQuote } from "../../cluster/local.js";
import { jobLogTail, jobRuntimeEnv, runRayJob } from "../../cluster/ray.js";
import { printConfig, type RunConfig } from "../../config/index.js";
import { loadQa } from "../../data/dataset.js";
import { renderPrompt } from "../../prompts/templates.js";
import { pythonEnv } from "../../pyenv/python.js";
import { planFromConfig } from "../../rewards/plan.js";
import { serveRewards } from "../../rewards/service.js";
import { loadTokenCounter, resolveTokenizerDir } from "../../rewards/tokens.js";
import type { TrainResult } from "../../train/loop.js";
import { MetricsWriter } from "../../train/metrics.js";
import { UserError } from "../../util/errors.js";
import type { BackendRunOptions } from "../types.js";
import { routableHost } from "../verl/launch.js";
import { startVerlServices } from "../verl/services.js";
import { openrlhfPython } from "./check.js";
import { compileOpenrlhf, DATA_KEYS, OPENRLHF_MODULE } from "./compile.js";
import { openrlhfTargets } from "./index.js";
import { metricsLine, parseStepLine } from "./metrics.js";

/**
 * `still train` on OpenRLHF: the data as OpenRLHF JSONL (the prompt rendered by still-rl, the answer), the
 * TS reward service (HTTP, OpenRLHF's remote-reward contract) or, for tool runs, the bridge the tool agent
 * talks to (`still.tool` and `score`, the same services a veRL job gets), then one `train_ppo_ray` launch
 * per segment: OpenRLHF has no reference reset and a fixed generation budget, so every reset and every
 * context stage is a relaunch from the HF snapshot of the segment's last step (`--ckpt.save_hf`) as the new
 * policy and reference, with the DeepSpeed state resumed (`--ckpt.load_enable`).
 */

export class OpenrlhfRunError extends UserError {
  override name = "OpenrlhfRunError";
}

/** One launch of a run: steps after `fromStep` up to `untilStep` (inclusive; null: to the end). */
export interface Segment {
  fromStep: number;
  untilStep: number | null;
  /** Index into context_stages (0 without stages). */
  stage: number;
  /** Why the next segment starts (empty for the last). */
  reasons: ("reset_reference" | "context_stage")[];
}

/** The segment that starts after `fromStep` completed steps (pure; the launcher calls it per relaunch). */
export function segmentAfter(config: RunConfig, fromStep: number): Segment {
  const next = fromStep + 1;
  const stages = config.context_stages;
  const stage = Math.max(
    0,
    stages.findIndex((s) => s.until_step === undefined || next < s.until_step),
  );
  const stageEnd = stages[stage]?.until_step;
  const candidates: [number, Segment["reasons"][number]][] = [];
  if (stageEnd !== undefined) candidates.push([stageEnd - 1, "context_stage"]);
  const every = config.algorithm.reference_reset_every;
  if (every !== null) candidates.push([(Math.floor(fromStep / every) + 1) * every, "reset_reference"]);
  const total = config.algorithm.total_steps;
  const live = candidates.filter(([s]) => total === null || s < total);
  if (live.length === 0) return { fromStep, untilStep: null, stage, reasons: [] };
  const until = Math.min(...live.map(([s]) => s));
  return {
    fromStep,
    untilStep: until,
    stage,
    reasons: live.filter(([s]) => s === until).map(([, r]) => r),
  };
}

/** OpenRLHF's HF snapshot of a step (ppo_actor.save_checkpoint: `<ckpt.path>/global_step<N>_hf`). */
export function hfSnapshot(ckptDir: string, step: number): string {
  return path.join(ckptDir, `global_step${step}_hf`);
}

/** The flags of one segment: its stage's budget, its policy/reference, resumed after the first. */
export function segmentArgv(
  config: RunConfig,
  runDir: string,
  segment: Segment,
  rewardUrl: string,
): { argv: string[]; model: string } {
  const staged = { ...config, context_stages: config.context_stages.slice(segment.stage) };
  const targets = openrlhfTargets(config, runDir, rewardUrl);
  const model = segment.fromStep === 0 ? targets.model : hfSnapshot(targets.ckptDir, segment.fromStep);
  const compiled = compileOpenrlhf(staged, { ...targets, model });
  if (compiled.issues.length > 0) {
    throw new OpenrlhfRunError(compiled.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  }
  const argv = [...compiled.argv];
  if (segment.untilStep !== null) {
    // The segment must end on a checkpoint: save at every step that divides its end as well.
    const i = argv.indexOf("--ckpt.save_steps");
    const every = Number(argv[i + 1]);
    argv[i + 1] = String(gcd(every > 0 ? every : segment.untilStep, segment.untilStep - segment.fromStep));
    if (!argv.includes("--ckpt.save_hf")) argv.push("--ckpt.save_hf");
  }
  if (segment.fromStep > 0 && !argv.includes("--ckpt.load_enable")) argv.push("--ckpt.load_enable");
  return { argv, model };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The run's questions as the JSONL OpenRLHF's prompt dataset reads (`--data.input_key/label_key`). */
export function convertOpenrlhfData(config: RunConfig, file: string): number {
  const records = loadQa(config.data.train_files, {
    promptKey: config.data.prompt_key,
    answerKey: config.data.answer_key,
    sourceKey: config.data.source_key,
  });
  if (records.length === 0) throw new UserError("data.train_files: no training questions");
  mkdirSync(path.dirname(file), { recursive: true });
  const lines = records.map((r) =>
    JSON.stringify({
      [DATA_KEYS.input]: renderPrompt(config.prompt, r.question),
      [DATA_KEYS.label]: r.answer,
      data_source: r.source,
    }),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
  return records.length;
}

/**
 * How often a running segment's checkpoint folder is looked at, and how long after the last file appeared the
 * job is stopped (a step takes minutes on a GPU, so the next cannot finish in between).
 */
const POLL_MS = 1_000;
const SETTLE_MS = 2_000;

export async function runOpenrlhf(opts: BackendRunOptions): Promise<TrainResult> {
  const { config, runDir, progress, signal } = opts;
  const started = Date.now();
  const python = config.python ?? openrlhfPython;
  if (!existsSync(python)) {
    throw new UserError(`no OpenRLHF environment: ${python} does not exist. Run \`npm run setup:openrlhf\`.`);
  }
  mkdirSync(runDir, { recursive: true });
  if (!opts.resume) {
    for (const f of ["metrics.jsonl", "openrlhf.log"]) rmSync(path.join(runDir, f), { force: true });
  }
  writeFileSync(path.join(runDir, "config.yaml"), printConfig(config));
  const targets = openrlhfTargets(config, runDir);
  const rows = convertOpenrlhfData(config, targets.trainData);
  progress.log(`OpenRLHF data: ${rows} prompts → ${targets.trainData}`);

  const remote = config.cluster.type === "ray";
  const host = remote ? routableHost() : "127.0.0.1";
  // STILL_RUN_DIR marks every process of the run (and reaches the Ray job's), so none is left unaccounted for.
  let env: Record<string, string> = { STILL_RUN_DIR: path.resolve(runDir) };
  let rewardUrl = "agent";
  let close: () => Promise<void>;
  if (config.tools.enabled) {
    const services = await startVerlServices({ config, runDir: path.resolve(runDir), host });
    env = { ...env, ...services.env };
    close = () => services.close();
  } else {
    const model = config.model.tokenizer ?? config.model.path;
    const tokens = resolveTokenizerDir(model) === null ? undefined : loadTokenCounter(model);
    // Reachable from the cluster, the service needs a secret; OpenRLHF's client sends no header of ours, so
    // the secret is the URL's first path segment (a capability URL).
    const secret = remote ? randomBytes(24).toString("hex") : undefined;
    const service = await serveRewards(planFromConfig(config), {
      http: { host, port: 0, ...(tokens && { tokens }), ...(secret && { token: secret }) },
      signals: false,
      log: (line) => progress.log(line),
    });
    const base = service.http!.url;
    rewardUrl = secret ? `${base}/${secret}/get_reward` : `${base}/get_reward`;
    progress.log(
      `OpenRLHF rewards: ${secret ? `${base}/<secret>/get_reward` : rewardUrl} (${tokens ? `token counts from ${tokens.source}` : "no tokenizer on this machine: lengths estimated"})`,
    );
    close = () => service.stop();
  }

  const log = new JobLog(path.join(runDir, "openrlhf.log"), (line) => progress.log(line));
  const metrics = new MetricsWriter(path.join(runDir, "metrics.jsonl"));
  const stepStart = Date.now();
  let lastStep = 0;
  const onLine = (line: string) => {
    log.line(line);
    const parsed = parseStepLine(line);
    if (parsed === null) return;
    const m = metricsLine(parsed.step, parsed.metrics);
    metrics.append(m);
    lastStep = Math.max(lastStep, parsed.step);
    if (parsed.step % config.logging.every_steps !== 0) return;
    progress.step({
      stage: "rl",
      step: parsed.step,
      total: config.algorithm.total_steps ?? 0,
      startStep: 0,
      elapsedS: (Date.now() - stepStart) / 1000,
      values: Object.fromEntries(
        Object.entries({
          reward: m["train/reward_mean"],
          acc: m["train/accuracy"],
          len: m["train/response_length_mean"],
        }).filter((e): e is [string, number] => typeof e[1] === "number"),
      ),
    });
  };

  let step = 0;
  let interrupted = false;
  try {
    for (;;) {
      const segment = segmentAfter(config, step);
      const { argv, model } = segmentArgv(config, runDir, segment, rewardUrl);
      if (segment.fromStep > 0) {
        progress.log(
          `OpenRLHF: relaunching after step ${segment.fromStep} with ${model} as policy and reference`,
        );
      }
      log.newLaunch();
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      const watch =
        segment.untilStep === null ? undefined : watchSnapshot(targets.ckptDir, segment.untilStep, stop);
      const command = [python, "-m", OPENRLHF_MODULE, ...argv].map(shellQuote).join(" ");
      let failure: string | undefined;
      try {
        failure = remote
          ? await runOnRay(config, command, env, onLine, stop.signal)
          : await runHere(command, env, onLine, stop.signal);
      } finally {
        signal.removeEventListener("abort", onAbort);
        watch?.cancel();
      }
      if (signal.aborted) {
        interrupted = true;
        break;
      }
      if (segment.untilStep !== null && watch?.reached()) {
        step = segment.untilStep;
        continue;
      }
      if (failure !== undefined) throw new OpenrlhfRunError(failureMessage(failure, log.recent, log.file));
      step = Math.max(step, lastStep);
      break;
    }
  } finally {
    await close();
  }
  return {
    runDir,
    step,
    totalSteps: config.algorithm.total_steps ?? step,
    interrupted,
    checkpoint: step > 0 ? hfSnapshot(targets.ckptDir, step) : null,
    wallS: (Date.now() - started) / 1000,
  };
}

/**
 * Stops the segment once OpenRLHF has written both checkpoints of its last step (ppo_actor.save_checkpoint):
 * the DeepSpeed state whose `latest` names that step (what --ckpt.load_enable reads), then the HF snapshot
 * (the next policy and reference), whose tokenizer files strategy.save_model writes last.
 */
function watchSnapshot(ckptDir: string, step: number, stop: AbortController) {
  let seen: number | undefined;
  let reached = false;
  const latest = path.join(ckptDir, "_actor", "latest");
  const timer = setInterval(() => {
    const hf = existsSync(path.join(hfSnapshot(ckptDir, step), "tokenizer_config.json"));
    const tag = existsSync(latest) ? /global_step(\d+)/.exec(readFileSync(latest, "utf8")) : null;
    const ds = tag !== null && Number(tag[1]) >= step;
    if (!hf || !ds) return;
    seen ??= Date.now();
    if (Date.now() - seen >= SETTLE_MS) {
      reached = true;
      clearInterval(timer);
      stop.abort();
    }
  }, POLL_MS);
  return { cancel: () => clearInterval(timer), reached: () => reached };
}

async function runHere(
  command: string,
  env: Record<string, string>,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<string | undefined> {
  const r = await runLocalJob({ command: `exec ${command}`, env: pythonEnv(env), onLine, signal });
  if (r.exitCode === 0) return undefined;
  return r.signal ? `OpenRLHF was killed by ${r.signal}` : `OpenRLHF exited with code ${r.exitCode}`;
}

async function runOnRay(
  config: RunConfig,
  command: string,
  env: Record<string, string>,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<string | undefined> {
  const address = config.cluster.address as string;
  const runtimeEnv = jobRuntimeEnv(config.cluster.runtime_env, {
    ...env,
    PYTHONPATH: String(pythonEnv().PYTHONPATH),
    PYTHONUNBUFFERED: "1",
  });
  // OpenRLHF pins a Ray its venv gets only on a GPU machine: the CLI comes from PATH (or STILL_RAY).
  const result = await runRayJob({
    ray: process.env.STILL_RAY ?? "ray",
    address,
    entrypoint: ["bash", "-c", `exec ${command}`],
    runtimeEnv,
    onLine,
    signal,
    env: pythonEnv(),
  });
  if (result.status === "SUCCEEDED") return undefined;
  return `Ray job ${result.submissionId} on ${address}: ${result.status}${result.message ? ` (${result.message})` : ""}`;
}

/** One message for a failed launch: the cause in words where it is a known one, then the last log lines. */
export function failureMessage(reason: string, lines: readonly string[], logFile: string): string {
  const text = lines.join("\n");
  let what = `OpenRLHF failed: ${reason}`;
  const missing = /No module named '(vllm|ray|deepspeed|flash_attn)'/.exec(text);
  if (missing) {
    what = `OpenRLHF needs ${missing[1]} (a GPU machine's package; see \`still doctor --config …\`): train_ppo_ray cannot start here`;
  } else if (/CUDA|NVIDIA driver|no GPU|torch.cuda/.test(text)) {
    what = "OpenRLHF needs a CUDA GPU: run on a GPU machine or a Ray cluster with GPUs";
  }
  const tail = jobLogTail(lines);
  return `${what}\n${reason}; last lines of ${logFile}:\n${tail}`;
}
