import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { JobLog } from "../../cluster/job-log.js";
import { runLocalJob, shellQuote } from "../../cluster/local.js";
import { jobLogTail, jobRuntimeEnv, runRayJob } from "../../cluster/ray.js";
import { printConfig, type RunConfig } from "../../config/index.js";
import { MetricsWriter } from "../../train/metrics.js";
import type { TrainResult } from "../../train/trainer.js";
import { UserError } from "../../util/errors.js";
import type { BackendRunOptions, CompiledLaunch } from "../types.js";
import { compileVerl } from "./compile.js";
import { convertData } from "./data.js";
import { metricsLine } from "./metrics.js";
import { verlEnv, verlPython } from "./python.js";
import { type RelaunchNeed, startVerlServices } from "./services.js";

/**
 * `still train` on veRL: convert the data to Parquet, start the TS services (rewards, directives, advantages,
 * tools, metrics), then run each launch — the first, and one more per relaunch the still3 trainer asks for
 * (a new context stage, a reference reset) — locally or as a Ray job. Every launch starts with the preflight
 * (plugin import + bridge handshake in the job's own environment), then `python -m verl.trainer.main_ppo`.
 */

/** After Ctrl-C, veRL gets this long to stop (SIGINT) before SIGTERM, then as long again before SIGKILL. */
const STOP_GRACE_MS = 20_000;

export class VerlRunError extends UserError {
  override name = "VerlRunError";
}

export async function runVerl(opts: BackendRunOptions): Promise<TrainResult> {
  const { config, runDir, progress, signal } = opts;
  const started = Date.now();
  const python = verlPython(config);
  mkdirSync(runDir, { recursive: true });
  if (!opts.resume) {
    for (const f of ["metrics.jsonl", "report.html", "verl.log"])
      rmSync(path.join(runDir, f), { force: true });
  }
  writeFileSync(path.join(runDir, "config.yaml"), printConfig(config));
  const data = convertData(config, runDir);
  progress.log(
    `veRL data: ${data.trainRows} training rows → ${data.train}` +
      (data.val ? `, ${data.valRows} validation rows → ${data.val}` : ""),
  );

  const remote = config.cluster.type === "ray";
  const services = await startVerlServices({
    config,
    runDir: path.resolve(runDir),
    ...(remote && { host: routableHost() }),
  });
  const metrics = new MetricsWriter(path.join(runDir, "metrics.jsonl"));
  let lastStep = 0;
  const every = config.logging.every_steps;
  const stepStart = Date.now();
  services.onMetrics((step, m) => {
    const line = metricsLine(step, m);
    metrics.append(line);
    lastStep = Math.max(lastStep, step);
    if (step % every === 0) {
      progress.step({
        stage: "rl",
        step,
        total: config.algorithm.total_steps ?? 0,
        startStep: 0,
        elapsedS: (Date.now() - stepStart) / 1000,
        values: Object.fromEntries(
          Object.entries({
            reward: line["train/reward_mean"],
            acc: line["train/accuracy"],
            len: line["train/response_length_mean"],
          }).filter((e): e is [string, number] => typeof e[1] === "number"),
        ),
      });
    }
  });
  let relaunch: RelaunchNeed | undefined;
  services.onRelaunch((need) => {
    relaunch = need;
  });

  const log = new JobLog(path.join(runDir, "verl.log"), (line) => progress.log(line));
  const onLine = (line: string) => log.line(line);

  let interrupted = false;
  try {
    let launch = compileVerl(config, runDir);
    for (;;) {
      relaunch = undefined;
      log.newLaunch();
      const outcome = remote
        ? await runOnRay(config, python, entrypoint(python, launch, runDir), services.env, onLine, signal)
        : await runLocally(entrypoint(python, launch, runDir), services.env, onLine, signal);
      if (signal.aborted) {
        interrupted = true;
        break;
      }
      if (!outcome.ok) throw new VerlRunError(failureMessage(outcome.reason, log.recent, config, log.file));
      const need = relaunch as RelaunchNeed | undefined;
      if (need === undefined) break;
      progress.log(`veRL: relaunching after step ${need.afterStep} (${need.reasons.join("; ")})`);
      launch = await relaunchLaunch(config, runDir, python, need, onLine);
    }
  } finally {
    await services.close();
  }
  return {
    runDir,
    step: lastStep,
    totalSteps: config.algorithm.total_steps ?? lastStep,
    interrupted,
    checkpoint: null,
    wallS: (Date.now() - started) / 1000,
  };
}

/** The next launch after the still3 trainer stopped for a relaunch: the stage of the next step, resumed. */
async function relaunchLaunch(
  config: RunConfig,
  runDir: string,
  python: string,
  need: RelaunchNeed,
  onLine: (line: string) => void,
): Promise<CompiledLaunch> {
  const next = need.afterStep + 1;
  const stage = Math.max(
    0,
    config.context_stages.findIndex((s) => s.until_step === undefined || next < s.until_step),
  );
  let modelPath: string | undefined;
  if (need.reasons.includes("reset_reference")) {
    modelPath = path.resolve(runDir, "reference", `step_${need.afterStep}`);
    const merged = await execa(
      python,
      [
        "-m",
        "verl.model_merger",
        "merge",
        "--backend",
        "fsdp",
        "--local_dir",
        path.join(need.checkpoint, "actor"),
        "--target_dir",
        modelPath,
      ],
      { env: verlEnv(), reject: false, all: true },
    );
    for (const line of String(merged.all ?? "").split("\n")) onLine(line);
    if (merged.exitCode !== 0) {
      throw new VerlRunError(
        `reference reset: verl.model_merger failed (exit ${merged.exitCode}); see the lines above`,
      );
    }
  }
  return compileVerl(config, runDir, {
    stage,
    resumeFrom: need.checkpoint,
    ...(modelPath !== undefined && { modelPath }),
  });
}

/**
 * The address a Ray job on other machines reaches this one at: `$STILL_BRIDGE_HOST`, else the first
 * non-loopback IPv4 address. The bridge binds it (not 0.0.0.0), so the endpoint it hands out is routable.
 */
export function routableHost(): string {
  if (process.env.STILL_BRIDGE_HOST) return process.env.STILL_BRIDGE_HOST;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

type Outcome = { ok: true } | { ok: false; reason: string };

/**
 * The preflight, then veRL, as one shell command (the same line a Ray job runs). Hydra's own output folder
 * goes into the run directory instead of `outputs/` under whatever directory the job starts in.
 */
function entrypoint(python: string, launch: CompiledLaunch, runDir: string): string[] {
  const hydraDir = `hydra.run.dir=${path.resolve(runDir, "hydra")}`;
  return [python, "-m", "still_rl.verl.preflight", "&&", "exec", python, ...launch.argv, hydraDir];
}

async function runLocally(
  command: string[],
  env: Record<string, string>,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<Outcome> {
  const r = await runLocalJob({
    command: command.map(shellQuote).join(" "),
    env: verlEnv(env),
    onLine,
    signal,
    graceMs: STOP_GRACE_MS,
  });
  if (r.exitCode === 0) return { ok: true };
  return {
    ok: false,
    reason: r.signal ? `veRL was killed by ${r.signal}` : `veRL exited with code ${r.exitCode}`,
  };
}

async function runOnRay(
  config: RunConfig,
  python: string,
  command: string[],
  env: Record<string, string>,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<Outcome> {
  const address = config.cluster.address as string;
  const ray = path.join(path.dirname(python), "ray");
  const runtimeEnv = jobRuntimeEnv(config.cluster.runtime_env, {
    ...env,
    PYTHONPATH: String(verlEnv().PYTHONPATH),
    PYTHONUNBUFFERED: "1",
  });
  const result = await runRayJob({
    ray: existsSync(ray) ? ray : "ray",
    address,
    entrypoint: ["bash", "-c", command.map(shellQuote).join(" ")],
    runtimeEnv,
    onLine,
    signal,
    env: verlEnv(),
  });
  if (result.status === "SUCCEEDED") return { ok: true };
  return {
    ok: false,
    reason: `Ray job ${result.submissionId} on ${address}: ${result.status}${result.message ? ` (${result.message})` : ""}`,
  };
}

/** One message for a failed launch: what veRL said, in words, plus its last lines. */
export function failureMessage(
  reason: string,
  lines: readonly string[],
  config: RunConfig,
  logFile: string,
): string {
  const text = lines.join("\n");
  const v = config.backend.verl;
  let what = `veRL failed: ${reason}`;
  const gpus = /Total available GPUs (\d+) is less than total desired GPUs (\d+)/.exec(text);
  if (gpus) {
    what =
      `veRL needs ${gpus[2]} GPU(s) (backend.verl.nnodes ${v.nnodes} × n_gpus_per_node ${v.n_gpus_per_node}) ` +
      `but the Ray cluster has ${gpus[1]}: run on a GPU machine, or lower backend.verl.n_gpus_per_node`;
  } else if (/still-rl preflight: .*plugin/.test(text)) {
    what = "the still-rl veRL plugin did not load (run `npm run setup:verl`)";
  } else if (/still-rl preflight: bridge handshake/.test(text)) {
    what = "the veRL job could not reach the still-rl services over the bridge (endpoint or CURVE keys)";
  }
  const tail = jobLogTail(lines);
  return `${what}\n${reason}; last lines of ${logFile}:\n${tail}`;
}
