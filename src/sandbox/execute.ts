import { type ChildProcess, spawn } from "node:child_process";
import { EXIT_MEMORY } from "./boot.js";
import { HeadTailCapture } from "./capture.js";

/** How an execution ended: `memory` is a MemoryError (RLIMIT_AS), `killed` a signal or an output flood. */
export type SandboxStatus = "ok" | "error" | "timeout" | "memory" | "killed";

export interface SandboxResult {
  status: SandboxStatus;
  /** The snippet's exit code (128+N when a signal N ended it); null when the sandbox killed it. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Whether stdout or stderr lost bytes to the byte cap. */
  truncated: boolean;
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
}

export interface ExecuteLimits {
  outputBytes: number;
  outputKillBytes: number;
}

const SIGXCPU = 24;

/** Map a finished execution to a status. Pure; `killedBy` says whether the sandbox stopped it and why. */
export function classify(exitCode: number | null, killedBy: "timeout" | "output" | null): SandboxStatus {
  if (killedBy === "timeout") return "timeout";
  if (killedBy === "output") return "killed";
  if (exitCode === 0) return "ok";
  if (exitCode === EXIT_MEMORY) return "memory";
  if (exitCode === 128 + SIGXCPU) return "timeout";
  if (exitCode !== null && exitCode > 128 && exitCode < 160) return "killed";
  return "error";
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGSEGV: 11, SIGXCPU: SIGXCPU, SIGABRT: 6, SIGBUS: 7 };

/**
 * A sandbox started ahead of demand: the process is spawned and sets up (namespaces, mounts, interpreter
 * start-up) while it waits for its input on stdin. `execute` hands it the input, starts the wall clock and
 * collects the result. Each one runs exactly one execution.
 */
export class Started {
  private readonly out: HeadTailCapture;
  private readonly err: HeadTailCapture;
  private status = "";
  private killedBy: "timeout" | "output" | null = null;
  private exited = false;
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private spawnError: Error | null = null;
  private readonly child: ChildProcess;

  constructor(
    private readonly launch: Launch,
    private readonly limits: ExecuteLimits,
  ) {
    this.child = spawn(launch.file, launch.args, {
      env: launch.env,
      cwd: launch.cwd,
      detached: true,
      stdio: ["pipe", "pipe", "pipe", launch.bwrapStatusFd ? "pipe" : "ignore"],
    });
    this.out = new HeadTailCapture(limits.outputBytes);
    this.err = new HeadTailCapture(limits.outputBytes);
    this.child.stdout!.on("data", this.collect(this.out));
    this.child.stderr!.on("data", this.collect(this.err));
    (this.child.stdio[3] as NodeJS.ReadableStream | null)?.on("data", (d: Buffer) => {
      this.status += d.toString();
    });
    this.child.stdin!.on("error", () => {});
    // A waiting sandbox must not keep the event loop alive (a pool nobody closed would hang the program).
    this.setRef(false);
    this.closed = new Promise((resolve) => {
      this.child.on("error", (e) => {
        this.spawnError = e;
        this.exited = true;
        resolve({ code: null, signal: null });
      });
      this.child.on("close", (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      });
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

  /** SIGKILL the process group: under bwrap, the monitor's death takes the whole sandbox with it. */
  kill(why: "timeout" | "output" | null = null): void {
    if (this.killedBy !== null || !this.alive) return;
    this.killedBy = why;
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
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

  /** Hand over the input and wait for the result. Rejects with SandboxError when the sandbox failed. */
  async execute(stdin: Buffer, timeoutMs: number): Promise<SandboxResult> {
    this.setRef(true);
    const started = performance.now();
    const timer = setTimeout(() => this.kill("timeout"), timeoutMs);
    this.child.stdin!.end(stdin);
    const { code, signal } = await this.closed;
    clearTimeout(timer);
    const ms = performance.now() - started;
    if (this.spawnError)
      throw new SandboxError(`cannot start ${this.launch.file}: ${this.spawnError.message}`);
    let exitCode: number | null = code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : null);
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
      ms,
    };
  }
}
