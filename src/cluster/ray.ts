import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { UserError } from "../util/errors.js";

/**
 * A command run as a Ray job (`ray job submit` to a cluster's job server), with its logs streamed and a
 * clean stop on abort. Shared by the framework backends (veRL, OpenRLHF) and `still eval`: the caller says
 * what to run and with which environment; this module knows the Ray CLI.
 */

export interface RayJobOptions {
  /** The `ray` CLI (the framework venv's `bin/ray`, so its version matches the cluster's). */
  ray: string;
  /** Job server, e.g. http://head:8265. */
  address: string;
  /** argv of the job's command on the cluster (Ray quotes each word: use `bash -c` for shell syntax). */
  entrypoint: string[];
  /** Ray runtime_env (working_dir, env_vars, …); the caller merges its env_vars in. */
  runtimeEnv: Record<string, unknown>;
  /** Called for every log line of the job, as it arrives. */
  onLine: (line: string) => void;
  /** Called once the cluster took the job, before its logs. */
  onSubmitted?: (submissionId: string) => void;
  /** Aborting stops the job (`ray job stop`) and waits for it to end. */
  signal?: AbortSignal;
  /** Environment of the `ray` CLI itself. */
  env?: NodeJS.ProcessEnv;
}

const SUBMIT_RETRIES = 24;
const SUBMIT_RETRY_MS = 5_000;

export type RayJobStatus = "SUCCEEDED" | "FAILED" | "STOPPED" | "UNKNOWN";

export interface RayJobResult {
  submissionId: string;
  status: RayJobStatus;
  /** Ray's reason line for a failed job, when it gives one. */
  message: string;
}

/** The cluster refused or could not take the job (unreachable job server, bad runtime env): user-actionable. */
export class RayJobError extends UserError {
  override name = "RayJobError";
}

/**
 * The runtime env of a job: the run config's `cluster.runtime_env` with `env` added to its env_vars (ours win:
 * they carry the bridge endpoint and keys the job cannot run without).
 */
export function jobRuntimeEnv(
  userEnv: Record<string, unknown> | undefined,
  env: Record<string, string>,
): Record<string, unknown> {
  const base = userEnv ?? {};
  return { ...base, env_vars: { ...((base.env_vars as Record<string, string> | undefined) ?? {}), ...env } };
}

/** The last lines of a framework job's log for a failure message, without the Ray CLI's own trailer lines. */
export function jobLogTail(lines: readonly string[], count = 15): string {
  return lines
    .filter((l) => l.trim() !== "" && !/ cli\.py:\d+ -- /.test(l))
    .slice(-count)
    .map((l) => `  | ${l}`)
    .join("\n");
}

/** Submit, follow the logs to the end, return the final status. Never leaves the job running on abort. */
export async function runRayJob(opts: RayJobOptions): Promise<RayJobResult> {
  const submissionId = `still-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const base = ["--address", opts.address];
  const cli = (args: string[], extra: Record<string, unknown> = {}) =>
    execa(opts.ray, args, { env: opts.env, reject: false, ...extra });

  const submit = () =>
    cli([
      "job",
      "submit",
      ...base,
      "--submission-id",
      submissionId,
      "--runtime-env-json",
      JSON.stringify(opts.runtimeEnv),
      "--no-wait",
      "--",
      ...opts.entrypoint,
    ]);
  // A head that just started answers "No available agent to submit job, please try again later" for a while.
  let submitted = await submit();
  for (let i = 0; i < SUBMIT_RETRIES && submitted.exitCode !== 0; i++) {
    if (!/try again later/.test(`${submitted.stdout}\n${submitted.stderr}`)) break;
    await new Promise((r) => setTimeout(r, SUBMIT_RETRY_MS));
    submitted = await submit();
  }
  if (submitted.exitCode !== 0) {
    if ((submitted as { code?: string }).code === "ENOENT") {
      throw new RayJobError(
        `no Ray CLI (${opts.ray}): install Ray, the cluster's version (\`pip install "ray[default]==VERSION"\`)`,
      );
    }
    if (/Failed to connect to Ray at address/.test(submitted.stderr)) {
      throw new RayJobError(
        `no Ray job server answers at ${opts.address}: start the head (\`ray start --head\`) or set cluster.address to its job server (the dashboard address, e.g. http://HEAD:8265)`,
      );
    }
    throw new RayJobError(
      `ray job submit to ${opts.address} failed (exit ${submitted.exitCode}):\n${tail(`${submitted.stdout}\n${submitted.stderr}`)}`,
    );
  }

  opts.onSubmitted?.(submissionId);

  let stopping: Promise<unknown> | undefined;
  const stop = () => {
    stopping ??= cli(["job", "stop", ...base, submissionId]);
  };
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener("abort", stop, { once: true });
  try {
    const logs = execa(opts.ray, ["job", "logs", ...base, "--follow", submissionId], {
      env: opts.env,
      reject: false,
      all: true,
      buffer: false,
    });
    // A failed job's status, at the end of its log and in `ray job status`, repeats the log after "last
    // available logs": it has just been streamed, so it is not passed on again.
    let repeat = false;
    for await (const line of logs.iterable({ from: "all" })) {
      if (!repeat) opts.onLine(String(line).replace(LOGS_AGAIN, ""));
      repeat ||= LOGS_AGAIN.test(String(line));
    }
    await logs;
    await stopping;
    const status = await cli(["job", "status", ...base, submissionId]);
    for (const line of `${status.stdout}\n${status.stderr}`.split("\n")) {
      if (line.trim() !== "") opts.onLine(line.replace(LOGS_AGAIN, ""));
      if (LOGS_AGAIN.test(line)) break;
    }
    return { submissionId, ...parseJobStatus(`${status.stdout}\n${status.stderr}`) };
  } finally {
    opts.signal?.removeEventListener("abort", stop);
  }
}

/** Where a failed job's status message starts repeating its log. */
const LOGS_AGAIN = /,? last available logs.*$/;

/**
 * The final status in `ray job status` output ("Status for job 'ID': FAILED", or "Job 'ID' failed" in some
 * versions), and its "Status message" line. The CLI colours its output even into a pipe.
 */
export function parseJobStatus(raw: string): { status: RayJobStatus; message: string } {
  const text = raw.replace(/\x1b\[[0-9;]*m/g, "");
  const word =
    /Status for job '[^']*': (\w+)/.exec(text)?.[1] ??
    /Job '[^']*' (succeeded|failed|was stopped|stopped)/i.exec(text)?.[1]?.replace("was ", "");
  const upper = word?.toUpperCase() ?? "";
  const status = (["SUCCEEDED", "FAILED", "STOPPED"].includes(upper) ? upper : "UNKNOWN") as RayJobStatus;
  const message = /Status message: ([^\n]*)/.exec(text)?.[1]?.replace(LOGS_AGAIN, "").trim() ?? "";
  return { status, message };
}

function tail(text: string, n = 20): string {
  return text.trim().split("\n").slice(-n).join("\n");
}
