import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { VERL_VENV } from "../backends/verl/python.js";
import { printConfig, type RunConfig } from "../config/index.js";
import { resolvePython } from "../pyenv/python.js";
import { UserError } from "../util/errors.js";
import { packageRoot } from "../util/paths.js";
import { shellQuote } from "./local.js";
import { jobLogTail, jobRuntimeEnv, type RayJobResult, runRayJob } from "./ray.js";

/**
 * A `still` command run as a Ray job on a run config: the job's working directory carries this package (built
 * JS, Python side, lock file) and the config as `config.yaml` with its data, benchmark and reward files; the
 * entrypoint installs the production dependencies and runs the command there. Shared by `still train`
 * (backend hf) and `still eval` with `cluster.type: ray`; the Ray CLI side is runRayJob (ray.ts).
 */

/** What the package carries into the job (relative to the package root). */
const PACKAGE_FILES = ["package.json", "package-lock.json", "bin", "dist", "python/still_rl"];

/** The staged config's name in the job's working directory. */
export const JOB_CONFIG = "config.yaml";

export interface StillJobOptions {
  config: RunConfig;
  /** `still` argv on the cluster, e.g. ["train", JOB_CONFIG, "--out", "/runs/x"]. */
  argv: string[];
  /** What the job is, for the line said once the cluster took it ("the run; run directory /runs/x"). */
  describe: string;
  /** Called for every log line of the job (progress lines included), as it arrives. */
  onLine: (line: string) => void;
  /** Aborting stops the job (`ray job stop`): its `still` gets SIGTERM, which `still train` takes as Ctrl-C. */
  signal: AbortSignal;
}

export interface StillJobResult extends RayJobResult {
  /** Every log line of the job. */
  lines: string[];
}

export async function runStillJob(opts: StillJobOptions): Promise<StillJobResult> {
  const { config } = opts;
  if (!existsSync(path.join(packageRoot, "dist", "cli", "main.js"))) {
    throw new UserError(
      `cluster.type: ray carries the built package: run \`npm run build\` in ${packageRoot} first`,
    );
  }
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
      // Ray's supervisor reads it from the job's env: time for the step in flight and its checkpoint.
      RAY_JOB_STOP_WAIT_TIME_S:
        (config.cluster.runtime_env?.env_vars as Record<string, string> | undefined)
          ?.RAY_JOB_STOP_WAIT_TIME_S ?? String(STOP_WAIT_S),
    });
    const lines: string[] = [];
    const job = await runRayJob({
      ray,
      address: config.cluster.address as string,
      entrypoint: ["bash", "-c", jobScript(opts.argv)],
      runtimeEnv: { ...runtimeEnv, working_dir: workDir },
      onLine: (line) => {
        lines.push(line);
        opts.onLine(line);
      },
      onSubmitted: (id) =>
        opts.onLine(
          `submitted ${opts.describe} to the Ray cluster at ${config.cluster.address} as job ${id}`,
        ),
      signal: opts.signal,
    });
    return { ...job, lines };
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
  writeFileSync(path.join(workDir, JOB_CONFIG), printConfig(staged));
}

/** How long a stopped job has to checkpoint before Ray kills it. */
export const STOP_WAIT_S = 120;

/**
 * Install the production dependencies (from the npm cache when it has them), then `still ARGV` in the shell's
 * place. Ray stops a job by sending SIGTERM to its process and every descendant, then SIGKILL after
 * RAY_JOB_STOP_WAIT_TIME_S: `still train` takes SIGTERM as Ctrl-C (the run ends at a step boundary with a
 * checkpoint; a rerun resumes it) and an evaluation keeps the rows it wrote.
 */
export function jobScript(argv: readonly string[]): string {
  return [
    "set -e",
    "npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error",
    `exec node bin/still.js ${argv.map(shellQuote).join(" ")}`,
  ].join("\n");
}

/**
 * Why a job did not succeed, for the user: its status and Ray's reason, then the error `still` printed in the
 * job (`still: …`, already one clear line) or else the last lines of its log.
 */
export function jobFailure(address: string, job: StillJobResult): string {
  const head = `Ray job ${job.submissionId} on ${address}: ${job.status}${job.message ? ` (${job.message})` : ""}`;
  const own = [...job.lines].reverse().find((l) => l.startsWith("still: "));
  return own === undefined ? `${head}\n${jobLogTail(job.lines)}` : `${head}: ${own.slice("still: ".length)}`;
}
