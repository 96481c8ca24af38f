import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, statfsSync } from "node:fs";
import { constants } from "node:os";
import { EXIT_MEMORY } from "./boot.js";
import { HeadTailCapture } from "./capture.js";
import { type CgroupPlan, SandboxCgroup } from "./cgroup.js";
import type { SandboxLimits } from "./options.js";

/** How an execution ended: `memory` is a MemoryError (RLIMIT_AS), `killed` a signal or an output flood. */
export type SandboxStatus = "ok" | "error" | "timeout" | "memory" | "killed";

/** The limit that ended an execution, named as in SandboxLimits. */
export type FiredLimit = keyof Pick<
  SandboxLimits,
  "timeoutMs" | "cpuSeconds" | "memoryMb" | "outputKillBytes" | "maxFiles" | "maxFileMb"
>;

export interface SandboxResult {
  status: SandboxStatus;
  /** The snippet's exit code (128+N when a signal N ended it); null when the sandbox killed it. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Whether stdout or stderr lost bytes to the byte cap. */
  truncated: boolean;
  /** Which limit ended the execution (null when none did: it finished, failed, or a signal ended it). */
  limit: FiredLimit | null;
  /** The signal that ended the snippet's process (e.g. "SIGSEGV"), null when it exited or the sandbox killed it. */
  signal: string | null;
  /** Wall-clock milliseconds, process start to exit. */
  ms: number;
}

/** The sandbox itself failed (e.g. bwrap could not create namespaces): distinct from a snippet failing. */
export class SandboxError extends Error {
  override name = "SandboxError";
}

/** One process launch: the program, its argv, and whether bwrap reports its status on fd 3. */
export interface Launch {
  file: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  bwrapStatusFd: boolean;
  /** Files opened read-only and passed at these fd numbers (bwrap's --seccomp and --file inputs). */
  files?: Record<number, string>;
}

export interface ExecuteLimits {
  outputBytes: number;
  outputKillBytes: number;
  /** Resident memory of all the sandbox's processes together (bwrap only; RLIMIT_AS is per process). */
  memoryBytes: number;
  /** Inodes in use across the sandbox's writable tmpfs mounts (bwrap only). */
  maxFiles: number;
  /** Those mounts, as paths inside the sandbox. */
  writableDirs: string[];
  /**
   * Where each execution gets a memory cgroup of its own (memoryBytes, swap included; pids.max = maxProcesses),
   * joined by the sandbox's first process before the input is handed over; null: no cgroup.
   */
  cgroup: CgroupPlan | null;
  maxProcesses: number;
  /** Called once when the cgroup could not be made or joined (the execution then runs without one). */
  onCgroupError?: (message: string) => void;
}

const SIGXCPU = 24;
const SIGXFSZ = 25;

/** Why the sandbox killed an execution: wall clock, output flood, total memory, or too many files. */
export type KillReason = "timeout" | "output" | "memory" | "files";

/** How often the watchdog sums the sandbox's resident memory and counts its files. */
const WATCH_POLL_MS = 50;
const PAGE_BYTES = 4096;
/** After the process exits, how long its pipes may stay open before they are closed from this side. */
const EXIT_GRACE_MS = 500;

/** Inodes in use on the filesystem at `dir` (statfs), 0 when it cannot be read. */
export function inodesUsed(dir: string): number {
  try {
    const st = statfsSync(dir);
    return st.files - st.ffree;
  } catch {
    return 0;
  }
}

/**
 * Resident bytes of every process in the pid namespace `pidNs` (a /proc/<pid>/ns/pid link text). RLIMIT_AS
 * bounds each process, but a snippet may fork maxProcesses of them; this bounds their sum.
 */
export function residentBytes(pidNs: string): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (entry.charCodeAt(0) > 57) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== pidNs) continue;
      const statm = readFileSync(`/proc/${entry}/statm`, "latin1");
      total += Number(statm.split(" ")[1]) * PAGE_BYTES;
    } catch {
      // gone, or not ours to inspect
    }
  }
  return total;
}

/**
 * What one socket may hold in its buffers: the host's default send buffer, which the seccomp filter keeps every
 * sandbox socket at. Socket memory is resident in no process, so the watchdog counts sockets at this size.
 */
const SOCKET_BYTES = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/core/wmem_default", "latin1")) || 212_992;
  } catch {
    return 212_992;
  }
})();

/** Sockets open in the network namespace of `pid` (the sandbox has its own), 0 when it cannot be read. */
export function socketsInUse(pid: number): number {
  try {
    const m = /sockets: used (\d+)/.exec(readFileSync(`/proc/${pid}/net/sockstat`, "latin1"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Map a finished execution to a status. Pure; `killedBy` says whether the sandbox stopped it and why. */
export function classify(exitCode: number | null, killedBy: KillReason | null): SandboxStatus {
  if (killedBy === "timeout") return "timeout";
  if (killedBy === "output" || killedBy === "files") return "killed";
  if (killedBy === "memory") return "memory";
  if (exitCode === 0) return "ok";
  if (exitCode === EXIT_MEMORY) return "memory";
  if (exitCode === 128 + SIGXCPU) return "timeout";
  if (exitCode !== null && exitCode > 128 && exitCode < 160) return "killed";
  return "error";
}

const KILL_LIMITS: Record<KillReason, FiredLimit> = {
  timeout: "timeoutMs",
  output: "outputKillBytes",
  memory: "memoryMb",
  files: "maxFiles",
};

/** Which limit a finished execution ran into, if any. Pure, like classify. */
export function firedLimit(exitCode: number | null, killedBy: KillReason | null): FiredLimit | null {
  if (killedBy !== null) return KILL_LIMITS[killedBy];
  if (exitCode === EXIT_MEMORY) return "memoryMb";
  if (exitCode === 128 + SIGXCPU) return "cpuSeconds";
  if (exitCode === 128 + SIGXFSZ) return "maxFileMb";
  return null;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** The name of the signal behind an exit code of 128+N, or null. */
export function signalName(exitCode: number | null): string | null {
  if (exitCode === null || exitCode <= 128) return null;
  return SIGNAL_NAMES.get(exitCode - 128) ?? null;
}

/** After killing the sandbox's PID 1, how long bwrap gets to reap it and exit before its group is killed too. */
const KILL_GRACE_MS = 1000;

/**
 * A sandbox started ahead of demand: the process is spawned and sets up (namespaces, mounts, interpreter
 * start-up) while it waits for its input on stdin. `execute` hands it the input, starts the wall clock and
 * collects the result. Each one runs exactly one execution.
 */
export class Started {
  private readonly out: HeadTailCapture;
  private readonly err: HeadTailCapture;
  private status = "";
  private killedBy: KillReason | null = null;
  private exited = false;
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private spawnError: Error | null = null;
  private readonly child: ChildProcess;
  private cgroup: SandboxCgroup | null = null;
  /** Resolves when bwrap reports the sandbox's PID 1 (or the process ends). */
  private readonly initKnown: Promise<void>;
  private initSeen: () => void = () => {};
  /** Settles once the execution's cgroup is joined (or failed, or there is none). */
  private readonly cgroupJoined: Promise<void>;
  private executing = false;
  private discarded = false;
  /** Whether the kernel's OOM killer ended a process of this execution (its cgroup's memory limit). */
  oomKilled = false;

  constructor(
    private readonly launch: Launch,
    private readonly limits: ExecuteLimits,
  ) {
    const stdio: ("pipe" | "ignore" | number)[] = [
      "pipe",
      "pipe",
      "pipe",
      launch.bwrapStatusFd ? "pipe" : "ignore",
    ];
    const opened: number[] = [];
    try {
      for (const [fd, file] of Object.entries(launch.files ?? {})) {
        while (stdio.length < Number(fd)) stdio.push("ignore");
        const handle = openSync(file, "r");
        opened.push(handle);
        stdio[Number(fd)] = handle;
      }
      this.child = spawn(launch.file, launch.args, {
        env: launch.env,
        cwd: launch.cwd,
        detached: true,
        stdio,
      });
    } finally {
      for (const handle of opened) closeSync(handle);
    }
    this.out = new HeadTailCapture(limits.outputBytes);
    this.err = new HeadTailCapture(limits.outputBytes);
    this.child.stdout!.on("data", this.collect(this.out));
    this.child.stderr!.on("data", this.collect(this.err));
    this.initKnown = new Promise((resolve) => {
      this.initSeen = resolve;
    });
    (this.child.stdio[3] as NodeJS.ReadableStream | null)?.on("data", (d: Buffer) => {
      this.status += d.toString();
      if (this.sandboxInit() !== null) this.initSeen();
    });
    this.child.stdin!.on("error", () => {});
    // A waiting sandbox must not keep the event loop alive (a pool nobody closed would hang the program).
    this.setRef(false);
    this.closed = new Promise((resolve) => {
      this.child.on("error", (e) => {
        this.initSeen();
        this.spawnError = e;
        this.exited = true;
        resolve({ code: null, signal: null });
      });
      this.child.on("close", (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      });
      this.child.on("exit", () => this.initSeen());
    });
    const plan = limits.cgroup;
    this.cgroupJoined = plan === null ? Promise.resolve() : this.joinCgroup(plan);
    // A sandbox that never ran (killed waiting, at pool close) removes its cgroup itself; execute() does otherwise.
    void this.closed.then(async () => {
      await this.cgroupJoined;
      if (!this.executing) void this.cgroup?.remove();
    });
    // Under `isolation: none` a daemonised grandchild can hold stdout open forever; "close" must still come.
    this.child.on("exit", () => {
      setTimeout(() => {
        for (const s of this.child.stdio) (s as { destroy?: () => void } | null)?.destroy?.();
      }, EXIT_GRACE_MS).unref();
    });
  }

  /** False once the process has exited (a waiting sandbox should never exit on its own). */
  get alive(): boolean {
    return !this.exited && this.child.exitCode === null && this.child.signalCode === null;
  }

  private collect(capture: HeadTailCapture) {
    return (chunk: Buffer) => {
      capture.push(chunk);
      if (capture.total > this.limits.outputKillBytes) this.kill("output");
    };
  }

  /** Host pid of the sandbox's PID 1, once bwrap has reported it. */
  private sandboxInit(): number | null {
    const m = /"child-pid":\s*(\d+)/.exec(this.status);
    return m ? Number(m[1]) : null;
  }

  /**
   * Under bwrap, SIGKILL the sandbox's PID 1: its pid namespace dies with it, and bwrap, its parent, reaps it and
   * exits. Killing bwrap first would orphan PID 1 to the host's init, a zombie when `still` is that init. The
   * process group is killed too when bwrap has not reported PID 1 yet or does not exit within KILL_GRACE_MS.
   */
  kill(why: KillReason | null = null): void {
    if (this.killedBy !== null || !this.alive) return;
    this.killedBy = why;
    const init = this.sandboxInit();
    if (init !== null) {
      try {
        process.kill(init, "SIGKILL");
        setTimeout(() => this.killGroup(), KILL_GRACE_MS).unref();
        return;
      } catch {
        // already gone: fall through
      }
    }
    this.killGroup();
  }

  /**
   * Kill a sandbox that never ran (pool close) and remove its cgroup before returning, waiting for its processes
   * to leave it (at most `maxMs`): a program that exits right after closing its pool would otherwise leave the
   * cgroup behind (removed only by a later pool's sweep). What is not done by then is finished asynchronously.
   */
  discard(maxMs = 300): void {
    this.discarded = true;
    this.kill();
    const cg = this.cgroup;
    if (cg === null) return;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const until = performance.now() + maxMs;
    while (!cg.removeNow() && performance.now() < until) Atomics.wait(pause, 0, 0, 5);
  }

  private killGroup(): void {
    if (!this.alive) return;
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }

  /**
   * Poll what rlimits cannot bound: the total resident memory of the sandbox's pid namespace plus what its
   * sockets may buffer, and the number of files in its writable tmpfs mounts (seen through /proc/<pid>/root);
   * kill the sandbox when over a limit.
   */
  private watch(): NodeJS.Timeout {
    let pidNs: string | null = null;
    let init = 0;
    let root = "";
    return setInterval(() => {
      if (pidNs === null) {
        // bwrap reports its child's pid once the namespaces exist; a sandbox started on demand may not be there yet.
        const pid = this.sandboxInit();
        if (pid === null) return;
        try {
          pidNs = readlinkSync(`/proc/${pid}/ns/pid`);
        } catch {
          return;
        }
        init = pid;
        root = `/proc/${pid}/root`;
      }
      // With a cgroup, its charge is the memory (it can never pass the limit: the kernel OOM-kills first, which
      // ends the whole execution here); socket buffers are charged to no cgroup, so they are added either way.
      const cg = this.cgroup;
      if (cg !== null && cg.oomKills() > 0) {
        this.oomKilled = true;
        this.kill("memory");
      }
      const resident = cg !== null ? cg.usage() : residentBytes(pidNs);
      const memory = resident + socketsInUse(init) * SOCKET_BYTES;
      if (memory > this.limits.memoryBytes) this.kill("memory");
      const files = this.limits.writableDirs.reduce((n, d) => n + inodesUsed(root + d), 0);
      if (files > this.limits.maxFiles) this.kill("files");
    }, WATCH_POLL_MS);
  }

  /** `isolation: none` with a cgroup: end the whole execution when the OOM killer took one of its processes. */
  private watchCgroup(): NodeJS.Timeout {
    return setInterval(() => {
      if (this.cgroup !== null && this.cgroup.oomKills() > 0) {
        this.oomKilled = true;
        this.kill("memory");
      }
    }, WATCH_POLL_MS);
  }

  private setRef(ref: boolean): void {
    if (ref) this.child.ref();
    else this.child.unref();
    for (const s of this.child.stdio) {
      const handle = s as unknown as { ref?: () => void; unref?: () => void } | null;
      if (ref) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  /**
   * Put the sandbox's first process into a fresh cgroup before it reads its input (it runs nothing of the snippet
   * before that, and everything it starts later is born inside). Under bwrap that is the sandbox's PID 1, known
   * once bwrap reports it; under `isolation: none`, the interpreter itself. Started as soon as the process is
   * there, with asynchronous writes: moving a process between cgroups waits for an RCU grace period (~10 ms on
   * a loaded host), which a sandbox started ahead of demand so spends while the previous execution runs.
   */
  private async joinCgroup(plan: CgroupPlan): Promise<void> {
    let pid: number | null = this.child.pid ?? null;
    if (this.launch.bwrapStatusFd) {
      await this.initKnown;
      pid = this.sandboxInit();
    }
    if (pid === null || !this.alive || this.discarded) return;
    let cg: SandboxCgroup | null = null;
    try {
      cg = SandboxCgroup.create(plan, this.limits.memoryBytes, this.limits.maxProcesses);
      this.cgroup = cg;
      await cg.join(pid);
    } catch (err) {
      this.cgroup = null;
      void cg?.remove();
      if (this.alive) {
        this.limits.onCgroupError?.(
          `still: the sandbox's memory cgroup failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); this execution runs without one`,
        );
      }
    }
  }

  /** Hand over the input and wait for the result. Rejects with SandboxError when the sandbox failed. */
  async execute(stdin: Buffer, timeoutMs: number): Promise<SandboxResult> {
    this.setRef(true);
    this.executing = true;
    await this.cgroupJoined;
    const started = performance.now();
    const timer = setTimeout(() => this.kill("timeout"), timeoutMs);
    const watchdog = this.launch.bwrapStatusFd
      ? this.watch()
      : this.cgroup !== null
        ? this.watchCgroup()
        : undefined;
    this.child.stdin!.end(stdin);
    const { code, signal } = await this.closed;
    clearTimeout(timer);
    clearInterval(watchdog);
    const ms = performance.now() - started;
    if (this.cgroup !== null) {
      if (this.killedBy === null && this.cgroup.oomKills() > 0) {
        this.oomKilled = true;
        this.killedBy = "memory";
      }
      // Synchronous when the cgroup is empty, as it is under bwrap; not waited for otherwise.
      void this.cgroup.remove();
    }
    if (this.spawnError)
      throw new SandboxError(`cannot start ${this.launch.file}: ${this.spawnError.message}`);
    let exitCode: number | null = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null);
    if (this.launch.bwrapStatusFd) {
      const m = /"exit-code":\s*(-?\d+)/.exec(this.status);
      if (m) exitCode = Number(m[1]);
      else if (this.killedBy === null) {
        throw new SandboxError(
          `the sandbox failed to start: ${this.err.text().trim() || `exit code ${code}`}`,
        );
      }
    }
    if (this.killedBy !== null) exitCode = null;
    return {
      status: classify(exitCode, this.killedBy),
      exitCode,
      stdout: this.out.text(),
      stderr: this.err.text(),
      truncated: this.out.truncated || this.err.truncated,
      limit: firedLimit(exitCode, this.killedBy),
      signal: signalName(exitCode),
      ms,
    };
  }
}
