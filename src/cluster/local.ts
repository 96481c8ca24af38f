import { execa } from "execa";

/**
 * A framework job run on this machine as one shell command in its own process group, its output streamed
 * line by line. Abort stops the whole group (SIGINT, then SIGTERM and SIGKILL after `graceMs` each); when the
 * command ends, whatever it left in its group (Ray's raylet and GCS outlive a killed driver) is killed too,
 * and so is the group if Node exits. Shared by the framework backends (veRL, OpenRLHF).
 *
 * A local job starts a Ray instance of its own (RAY_ADDRESS=local): a bare `ray.init()` would otherwise join
 * whatever cluster another process started on this host. `cluster.type: ray` is the way to use one.
 */

export interface LocalJobOptions {
  /** A bash command line (already quoted). */
  command: string;
  env: NodeJS.ProcessEnv;
  onLine: (line: string) => void;
  signal: AbortSignal;
  /** How long the job gets after each stop signal before a harder one (default 20 s). */
  graceMs?: number;
}

export interface LocalJobResult {
  exitCode: number | undefined;
  signal: string | undefined;
}

export async function runLocalJob(opts: LocalJobOptions): Promise<LocalJobResult> {
  const grace = opts.graceMs ?? 20_000;
  const child = execa("bash", ["-c", opts.command], {
    env: { ...opts.env, RAY_ADDRESS: "local" },
    detached: true,
    reject: false,
    all: true,
    buffer: false,
    stdin: "ignore",
  });
  const group = child.pid;
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (group !== undefined) process.kill(-group, sig);
    } catch {
      // already gone
    }
  };
  let timers: NodeJS.Timeout[] = [];
  const stop = () => {
    kill("SIGINT");
    timers = [setTimeout(() => kill("SIGTERM"), grace), setTimeout(() => kill("SIGKILL"), 2 * grace)];
  };
  if (opts.signal.aborted) stop();
  opts.signal.addEventListener("abort", stop, { once: true });
  const onExit = () => kill("SIGKILL");
  process.once("exit", onExit);
  try {
    for await (const line of child.iterable({ from: "all" })) opts.onLine(String(line));
    const r = await child;
    kill("SIGKILL");
    return { exitCode: r.exitCode, signal: r.signal };
  } finally {
    for (const t of timers) clearTimeout(t);
    opts.signal.removeEventListener("abort", stop);
    process.off("exit", onExit);
  }
}

/** A word for `bash -c`, quoted only when it must be. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-./=:,+@]+$/.test(s) || s === "&&" ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}
