import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { jobRuntimeEnv, runRayJob } from "../../cluster/ray.js";
import { printConfig, type RunConfig } from "../../config/index.js";
import { resolvePython } from "../../pyenv/python.js";
import type { TrainResult } from "../../train/trainer.js";
import { UserError } from "../../util/errors.js";
import { packageRoot } from "../../util/paths.js";
import type { BackendRunOptions } from "../types.js";
import { VERL_VENV } from "../verl/python.js";

/**
 * `still train` of the built-in engine on a Ray cluster: the run becomes one Ray job whose runtime env carries
 * this package (built JS, Python side, lock file) and the run config with its data and reward files, and whose
 * entrypoint installs the production dependencies and runs `still train` there. Its log (progress lines
 * included) streams back; Ctrl-C stops the job (the job's `still train` gets it as Ctrl-C and checkpoints).
 * The job writes the run to `runDir` as an absolute path on the node that runs it: the same directory here
 * with a local head or a shared filesystem.
 */

/** What the package carries into the job (relative to the package root). */
const PACKAGE_FILES = ["package.json", "package-lock.json", "bin", "dist", "python/still_rl"];

export async function runHfOnRay(opts: BackendRunOptions): Promise<TrainResult> {
  const { config, progress, signal } = opts;
  if (opts.resume || opts.resumeFrom !== undefined) {
    throw new UserError(
      "cluster.type: ray: resuming a built-in engine run on Ray is not supported yet; run it with cluster.type: local",
    );
  }
  if (!existsSync(path.join(packageRoot, "dist", "cli", "main.js"))) {
    throw new UserError(
      `cluster.type: ray carries the built package: run \`npm run build\` in ${packageRoot} first`,
    );
  }
  const runDir = path.resolve(opts.runDir);
  const workDir = mkdtempSync(path.join(tmpdir(), "still-ray-job-"));
  try {
    stageJob(config, workDir);
    const python = config.python ?? resolvePython().executable;
    const ray =
      process.env.STILL_RAY ??
      (existsSync(path.join(VERL_VENV, "bin", "ray")) ? path.join(VERL_VENV, "bin", "ray") : "ray");
    const runtimeEnv = jobRuntimeEnv(config.cluster.runtime_env, {
      STILL_PYTHON: python,
      PYTHONUNBUFFERED: "1",
    });
    const lines: string[] = [];
    progress.log(
      `submitting the run to the Ray cluster at ${config.cluster.address}; run directory ${runDir}`,
    );
    const job = await runRayJob({
      ray,
      address: config.cluster.address as string,
      entrypoint: ["bash", "-c", jobScript(runDir)],
      runtimeEnv: { ...runtimeEnv, working_dir: workDir },
      onLine: (line) => {
        lines.push(line);
        progress.log(line);
      },
      signal,
    });
    const done = parseDoneLine(lines);
    const where = existsSync(path.join(runDir, "metrics.jsonl"))
      ? runDir
      : `${runDir} on the cluster node that ran job ${job.submissionId}`;
    progress.log(`Ray job ${job.submissionId}: ${job.status}; run directory: ${where}`);
    if (signal.aborted) return { ...(done ?? notStarted), runDir, interrupted: true };
    if (job.status !== "SUCCEEDED" || done === null) {
      throw new UserError(
        `Ray job ${job.submissionId} on ${config.cluster.address}: ${job.status}${job.message ? ` (${job.message})` : ""}\n` +
          lines.slice(-15).join("\n"),
      );
    }
    return { ...done, runDir };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The job's working directory: the package, the run config as `config.yaml` (run locally there, its files
 * under `files/`), each data, SFT, benchmark and reward file copied once.
 */
export function stageJob(config: RunConfig, workDir: string): void {
  for (const f of PACKAGE_FILES) {
    cpSync(path.join(packageRoot, f), path.join(workDir, f), {
      recursive: true,
      filter: (src) => !src.includes("__pycache__"),
    });
  }
  const copied = new Map<string, string>();
  const carry = (file: string): string => {
    if (!path.isAbsolute(file)) return file; // a scheme such as synthetic:max3/train
    let staged = copied.get(file);
    if (staged === undefined) {
      staged = path.posix.join("files", `${copied.size}-${path.basename(file)}`);
      mkdirSync(path.join(workDir, "files"), { recursive: true });
      cpSync(file, path.join(workDir, staged));
      copied.set(file, staged);
    }
    return staged;
  };
  const staged: RunConfig = {
    ...config,
    cluster: { type: "local" },
    data: {
      ...config.data,
      train_files: config.data.train_files.map(carry),
      eval_files: config.data.eval_files.map(carry),
    },
    ...(config.sft && { sft: { ...config.sft, train_files: config.sft.train_files.map(carry) } }),
    eval: { ...config.eval, benchmarks: config.eval.benchmarks.map((b) => ({ ...b, file: carry(b.file) })) },
    rewards: {
      ...config.rewards,
      components: config.rewards.components.map((c) =>
        c.name === "custom" ? { ...c, path: carry(c.path) } : c,
      ),
    },
  };
  writeFileSync(path.join(workDir, "config.yaml"), printConfig(staged));
}

/**
 * Install the production dependencies (from the npm cache when it has them), then `still train`. Ray stops a
 * job with SIGTERM: it is passed on as SIGINT so the run ends at a step boundary with a checkpoint.
 */
export function jobScript(runDir: string): string {
  const out = `'${runDir.replaceAll("'", `'\\''`)}'`;
  return [
    "set -e",
    "npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error",
    `node bin/still.js train config.yaml --out ${out} & pid=$!`,
    `trap 'kill -INT "$pid"' TERM INT`,
    'wait "$pid" || wait "$pid"',
  ].join("\n");
}

const DONE =
  /^(done|interrupted): step (\d+)\/(\d+) in (\d+) s; held-out accuracy after cold start (\S+), final (\S+)$/;

/** The result line `still train` prints at its end, from the job's log. */
export function parseDoneLine(lines: readonly string[]): TrainResult | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = DONE.exec(lines[i]!.trim());
    if (m === null) continue;
    const acc = (s: string) => (s === "n/a" ? undefined : Number(s));
    return {
      runDir: "",
      step: Number(m[2]),
      totalSteps: Number(m[3]),
      interrupted: m[1] === "interrupted",
      checkpoint: null,
      ...(acc(m[5]!) !== undefined && { evalAfterColdStart: acc(m[5]!) }),
      ...(acc(m[6]!) !== undefined && { evalFinal: acc(m[6]!) }),
      wallS: Number(m[4]),
    };
  }
  return null;
}

/** A job stopped before `still train` printed its result. */
const notStarted: TrainResult = {
  runDir: "",
  step: 0,
  totalSteps: 0,
  interrupted: true,
  checkpoint: null,
  wallS: 0,
};
