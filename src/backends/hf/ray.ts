import { existsSync } from "node:fs";
import path from "node:path";
import { JOB_CONFIG, jobFailure, runStillJob } from "../../cluster/still-job.js";
import type { TrainResult } from "../../train/trainer.js";
import { UserError } from "../../util/errors.js";
import type { BackendRunOptions } from "../types.js";

/**
 * `still train` of the built-in engine on a Ray cluster: the run becomes one Ray job (cluster/still-job.ts:
 * the package and the run config with its data and reward files carried in its runtime env) that runs
 * `still train` there. Its log (progress lines included) streams back; Ctrl-C stops the job (the job's
 * `still train` gets it as Ctrl-C and checkpoints). The job writes the run to `runDir` as an absolute path on
 * the node that runs it: the same directory here with a local head or a shared filesystem. Rerunning the same
 * command resumes an interrupted run there.
 */

export async function runHfOnRay(opts: BackendRunOptions): Promise<TrainResult> {
  const { config, progress, signal } = opts;
  const runDir = path.resolve(opts.runDir);
  // The job's `still train` resumes by itself: it finds the checkpoint in runDir (checkpoint.resume: auto) or
  // reads checkpoint.resume_from, as paths on the node that runs it.
  if (opts.resume) progress.log(`the job resumes the run from its newest intact checkpoint in ${runDir}`);
  const job = await runStillJob({
    config,
    describe: `the run (run directory ${runDir})`,
    argv: ["train", JOB_CONFIG, "--out", runDir],
    onLine: (line) => progress.log(line),
    signal,
  });
  const { lines } = job;
  const done = parseDoneLine(lines);
  const where = existsSync(path.join(runDir, "metrics.jsonl"))
    ? runDir
    : `${runDir} on the cluster node that ran job ${job.submissionId}`;
  progress.log(`Ray job ${job.submissionId}: ${job.status}; run directory: ${where}`);
  if (signal.aborted) return { ...(done ?? notStarted), runDir, interrupted: true };
  if (job.status !== "SUCCEEDED" || done === null) {
    throw new UserError(jobFailure(config.cluster.address as string, job));
  }
  return { ...done, runDir };
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
