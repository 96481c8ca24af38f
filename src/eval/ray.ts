/**
 * `still eval` on a Ray cluster (`cluster.type: ray`): the evaluation becomes one Ray job (cluster/still-job.ts)
 * whose config carries the chosen benchmarks with their files, and which runs `still eval` there with the same
 * options, so it writes the rows and summary a local run writes. The output directory is an absolute path on
 * the node that runs the job: the same directory here with a local head or a shared filesystem.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { JOB_CONFIG, jobFailure, runStillJob } from "../cluster/still-job.js";
import type { RunConfig } from "../config/index.js";
import { UserError } from "../util/errors.js";
import { chooseBenchmarks } from "./from-config.js";
import { SAMPLES_FILE, SUMMARY_FILE } from "./run.js";
import type { BenchmarkSummary } from "./summary.js";

export interface EvalOnRayOptions {
  config: RunConfig;
  /** --benchmarks: names of the config's, bundled ones, or files (undefined: the config's). */
  benchmarks?: readonly string[];
  outDir: string;
  /** The provider and generation options of `still eval`, passed on unchanged. */
  model?: string;
  endpoint?: string;
  api: "completions" | "chat";
  limit?: number;
  concurrency: number;
  retries: number;
  /** Seconds per endpoint request. */
  timeout: number;
  batchSize: number;
  onLine: (line: string) => void;
  /** Aborting stops the job; the rows written so far stay, and a rerun resumes them. */
  signal: AbortSignal;
}

export interface EvalOnRayResult {
  submissionId: string;
  /** True when the job ran to the end (its `still eval` exited 0). */
  ok: boolean;
  /** Absolute output directory (on the node that ran the job). */
  outDir: string;
  /** Whether the output directory is readable here (a local head, a shared filesystem). */
  here: boolean;
  /** The summary of a job that succeeded, when the output directory is readable here. */
  summaries: BenchmarkSummary[] | null;
  /** Why the job did not succeed (jobFailure), when it did not. */
  failure: string;
}

/** A path that exists here, made absolute (the job runs in a directory of its own); anything else as is. */
const here = (p: string) => (existsSync(p) ? path.resolve(p) : p);

/** The run config the job evaluates: the chosen benchmarks (their files absolute, so they are carried). */
export function jobConfig(config: RunConfig, names: readonly string[] | undefined): RunConfig {
  const benchmarks = chooseBenchmarks(config, names).map((b) => ({ ...b, file: path.resolve(b.file) }));
  return {
    ...config,
    model: { ...config.model, path: here(config.model.path) },
    eval: { ...config.eval, benchmarks },
  };
}

/** `still eval` argv in the job. */
export function jobArgv(o: Omit<EvalOnRayOptions, "config" | "benchmarks" | "onLine" | "signal">): string[] {
  return [
    "eval",
    JOB_CONFIG,
    ...["--out", path.resolve(o.outDir)],
    ...(o.model === undefined ? [] : ["--model", o.endpoint === undefined ? here(o.model) : o.model]),
    ...(o.endpoint === undefined ? [] : ["--endpoint", o.endpoint, "--api", o.api]),
    ...(o.limit === undefined ? [] : ["--limit", String(o.limit)]),
    ...["--concurrency", String(o.concurrency), "--retries", String(o.retries)],
    ...["--timeout", String(o.timeout), "--batch-size", String(o.batchSize)],
  ];
}

export async function evalOnRay(o: EvalOnRayOptions): Promise<EvalOnRayResult> {
  const config = jobConfig(o.config, o.benchmarks);
  const outDir = path.resolve(o.outDir);
  if (o.endpoint !== undefined && process.env.OPENAI_API_KEY !== undefined) {
    const envVars = o.config.cluster.runtime_env?.env_vars as Record<string, string> | undefined;
    if (envVars?.OPENAI_API_KEY === undefined) {
      o.onLine(
        "note: OPENAI_API_KEY is not sent to the Ray job (a runtime env is visible on the cluster); " +
          "set cluster.runtime_env.env_vars.OPENAI_API_KEY if the endpoint needs it",
      );
    }
  }
  const job = await runStillJob({
    config,
    describe: `the evaluation (output ${outDir})`,
    argv: jobArgv(o),
    onLine: o.onLine,
    signal: o.signal,
  });
  const summaryFile = path.join(outDir, SUMMARY_FILE);
  let summaries: BenchmarkSummary[] | null = null;
  if (job.status === "SUCCEEDED" && existsSync(summaryFile)) {
    try {
      // JSON writes a metric without a value (NaN: no correct answer to measure) as null.
      summaries = JSON.parse(readFileSync(summaryFile, "utf8"), (_, v) => (v === null ? Number.NaN : v))
        .benchmarks as BenchmarkSummary[];
    } catch (err) {
      throw new UserError(`${summaryFile}: unreadable after Ray job ${job.submissionId}: ${String(err)}`);
    }
  }
  return {
    submissionId: job.submissionId,
    ok: job.status === "SUCCEEDED",
    outDir,
    here: existsSync(path.join(outDir, SAMPLES_FILE)),
    summaries,
    failure: job.status === "SUCCEEDED" ? "" : jobFailure(config.cluster.address as string, job),
  };
}
