import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolvePython } from "../pyenv/python.js";
import { bootArgv, bootHeader } from "./boot.js";
import {
  checkRuntimePaths,
  GROUP,
  GROUP_FD,
  PASSWD,
  PASSWD_FD,
  runtimeBinds,
  SANDBOX_ENV,
  type SandboxPlan,
  SECCOMP_FD,
  sandboxArgs,
  WRITABLE_DIRS,
} from "./bwrap-args.js";
import {
  type CgroupPlan,
  cgroupSetting,
  describeEnforcement,
  detectCgroup,
  type MemoryEnforcement,
  sweepStale,
} from "./cgroup.js";
import { type Launch, SandboxError, type SandboxResult, Started } from "./execute.js";
import { findProgram, hostLayout, unreachableAncestors } from "./host.js";
import {
  DEFAULT_HOST_ID,
  type Isolation,
  resolveLimits,
  type SandboxLimits,
  type SandboxOptions,
} from "./options.js";
import { type PythonRuntime, probeRuntime, type SiteMount, sandboxSitePackages } from "./runtime.js";
import { seccompProgram } from "./seccomp.js";
import { MountView } from "./view.js";

export interface RunOptions {
  /** Wall-clock limit for this execution (default: the pool's); RLIMIT_CPU is raised to match if lower. */
  timeoutMs?: number;
  /**
   * Earlier cells run first in the same interpreter, their output discarded, so that `code` sees their
   * definitions (what SandboxSession uses). Errors in them are ignored.
   */
  previous?: readonly string[];
}

/**
 * Site-packages as the sandbox binds them: each through an overlay inside the view (see MountView.overlay), so
 * that the sandbox's mountinfo shows no host path of the environment; a directory whose overlay cannot be
 * mounted is bound directly, as without the view.
 */
async function overlaySites(view: MountView, sites: SiteMount[], etcDir: string): Promise<SiteMount[]> {
  const empty = path.join(etcDir, "empty");
  mkdirSync(empty, { mode: 0o755 });
  return Promise.all(
    sites.map(async (m, i) => {
      const target = path.join(etcDir, `site-${i}`);
      mkdirSync(target, { mode: 0o755 });
      try {
        await view.overlay(m.host, empty, target);
        return { host: target, sandbox: m.sandbox };
      } catch {
        return m;
      }
    }),
  );
}

/** Temp dirs of open pools, removed at exit even when a pool was never closed. */
const liveTempDirs = new Set<string>();
process.once("exit", () => {
  for (const d of liveTempDirs) rmSync(d, { recursive: true, force: true });
});

interface Spare {
  process: Started;
  cleanup: () => void;
}

export const NO_ISOLATION_WARNING =
  "still: WARNING: sandbox isolation is OFF (isolation: none): model-written code runs as this user with only " +
  "rlimits and a timeout. It can read your files and environment and use the network. Never use this for " +
  "untrusted models.";

/**
 * Runs Python snippets in bubblewrap sandboxes, at most `concurrency` at once. Each execution is a fresh
 * sandbox: state never leaks from one snippet to the next (stateful use goes through `session()`).
 * Create with `SandboxPool.create()`, which fails closed when the sandbox cannot be built.
 */
export class SandboxPool {
  readonly limits: SandboxLimits;
  readonly isolation: Isolation;
  readonly concurrency: number;
  private running = 0;
  private readonly spares: Spare[] = [];
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  /** What enforces the memory limit: a cgroup per execution, or the fallback (see cgroup.ts). */
  readonly memory: MemoryEnforcement;
  /** Executions the kernel's OOM killer ended in their cgroup (each also reported as status `memory`). */
  cgroupOomKills = 0;
  private cgroupWarned = false;

  private constructor(
    options: SandboxOptions,
    private readonly runtime: PythonRuntime,
    private readonly plan: SandboxPlan | null,
    private readonly view: MountView | null,
    private readonly tempDirs: string[],
    memory: MemoryEnforcement,
  ) {
    this.memory = memory;
    this.limits = resolveLimits(options);
    this.isolation = options.isolation ?? "bwrap";
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? os.availableParallelism()));
    this.prestart = options.prestart ?? true;
    this.hostUid = options.hostUid ?? DEFAULT_HOST_ID;
    this.hostGid = options.hostGid ?? DEFAULT_HOST_ID;
    this.warn = options.warn ?? ((m) => process.stderr.write(`${m}\n`));
  }

  private readonly prestart: boolean;
  private readonly hostUid: number;
  private readonly hostGid: number;
  private readonly warn: (message: string) => void;

  static async create(options: SandboxOptions = {}): Promise<SandboxPool> {
    const limits = resolveLimits(options);
    const isolation = options.isolation ?? "bwrap";
    if (options.hostUid === 0 || options.hostGid === 0) {
      throw new SandboxError(
        "the sandbox's hostUid/hostGid must not be 0: sandboxed code never runs as root",
      );
    }
    const setting = cgroupSetting(options.cgroup);
    const found = detectCgroup(setting);
    if (found.plan === null && setting !== "auto" && setting !== "off") {
      throw new SandboxError(`cannot use the sandbox cgroup ${setting}: ${found.reason}`);
    }
    if (found.plan !== null) sweepStale(found.plan);
    const memory = describeEnforcement(found);
    const python = options.python ?? resolvePython().executable;
    let runtime: PythonRuntime;
    try {
      runtime = await probeRuntime(python);
      if (isolation === "bwrap") checkRuntimePaths(runtime);
    } catch (err) {
      throw new SandboxError((err as Error).message);
    }
    if (isolation === "none") return new SandboxPool(options, runtime, null, null, [], memory);
    const bwrap = findProgram("bwrap");
    if (bwrap === null) {
      throw new SandboxError(
        "bubblewrap (bwrap) is not installed, refusing to run model-written code. Install it " +
          "(`apt-get install bubblewrap`; `npm run setup` does this as root), or set `isolation: none`.",
      );
    }
    const nsenter = findProgram("nsenter") ?? "nsenter";

    const etcDir = mkdtempSync(path.join(os.tmpdir(), "still-sandbox-etc-"));
    liveTempDirs.add(etcDir);
    const tempDirs = [etcDir];
    let view: MountView | null = null;
    let pool: SandboxPool | undefined;
    try {
      for (const [name, text] of [
        ["passwd", PASSWD],
        ["group", GROUP],
      ] as const) {
        writeFileSync(path.join(etcDir, name), text, { mode: 0o644 });
      }
      chmodSync(etcDir, 0o755);
      const program = seccompProgram();
      let seccomp: string | null = null;
      if (program !== null) {
        seccomp = path.join(etcDir, "seccomp.bpf");
        writeFileSync(seccomp, program, { mode: 0o644 });
      }
      const plan: SandboxPlan = { runtime, limits, host: hostLayout(), etcDir, bwrap, seccomp };
      if (process.geteuid?.() === 0) {
        // Root: the sandbox must run as an unprivileged host uid, which may not reach a root-owned interpreter
        // (pyenv under /root); a private mount view makes exactly the runtime paths reachable.
        const binds = [...runtimeBinds(runtime), ...runtime.siteMounts.map((m) => m.host)];
        const hide = unreachableAncestors(
          binds,
          options.hostUid ?? DEFAULT_HOST_ID,
          options.hostGid ?? DEFAULT_HOST_ID,
        );
        view = await MountView.start(bwrap, nsenter, hide, binds);
        plan.runtime = { ...runtime, siteMounts: await overlaySites(view, runtime.siteMounts, etcDir) };
      }
      pool = new SandboxPool(options, runtime, plan, view, tempDirs, memory);
      await pool.selfTest();
      return pool;
    } catch (err) {
      if (pool) pool.close();
      else view?.close();
      for (const d of tempDirs) {
        rmSync(d, { recursive: true, force: true });
        liveTempDirs.delete(d);
      }
      throw new SandboxError(
        `cannot create the code sandbox, refusing to run model-written code: ${(err as Error).message}\n` +
          "Fix: install bubblewrap and allow unprivileged user namespaces (Debian: `apt-get install bubblewrap`, " +
          "sysctl kernel.unprivileged_userns_clone=1; in Docker: `--security-opt seccomp=unconfined " +
          "--security-opt apparmor=unconfined`), or set `isolation: none` to run with no isolation at all.",
      );
    }
  }

  /** Fail closed: one trivial snippet must run and print, or nothing runs at all. */
  private async selfTest(): Promise<void> {
    const r = await this.run("print(6 * 7)", { timeoutMs: 30_000 });
    if (r.status !== "ok" || r.stdout !== "42\n") {
      throw new Error(
        `a test snippet failed (status ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`,
      );
    }
  }

  /** Run one snippet; resolves whatever the snippet does, rejects only when the sandbox itself fails. */
  async run(code: string, options: RunOptions = {}): Promise<SandboxResult> {
    if (this.closed) throw new SandboxError("the sandbox pool is closed");
    await this.acquire();
    let spare: Spare | undefined;
    try {
      if (this.isolation === "none") this.warn(NO_ISOLATION_WARNING);
      const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
      const cells = [...(options.previous ?? []), code].map((c) => Buffer.from(c, "utf8"));
      const limits = {
        ...this.limits,
        cpuSeconds: Math.max(this.limits.cpuSeconds, Math.ceil(timeoutMs / 1000)),
      };
      const header = bootHeader(
        limits,
        cells.map((c) => c.length),
      );
      spare = this.takeSpare();
      const result = await spare.process.execute(Buffer.concat([Buffer.from(header), ...cells]), timeoutMs);
      if (spare.process.oomKilled) this.cgroupOomKills++;
      return result;
    } finally {
      spare?.cleanup();
      this.release();
    }
  }

  /**
   * A sandbox that is already set up and waiting for input, or a fresh one. Keeping `concurrency` of them
   * started hides namespace creation and interpreter start-up (~20 ms of wall time, mostly kernel waits, for
   * ~3 ms of CPU) behind the previous execution. Each is used once: nothing carries over between executions.
   */
  private takeSpare(): Spare {
    let spare = this.spares.shift();
    while (spare && !spare.process.alive) {
      spare.cleanup();
      spare = this.spares.shift();
    }
    spare ??= this.start();
    this.refill();
    return spare;
  }

  private refill(): void {
    if (!this.prestart) return;
    while (!this.closed && this.spares.length < this.concurrency) this.spares.push(this.start());
  }

  private start(): Spare {
    const site = this.isolation === "bwrap" ? sandboxSitePackages(this.runtime) : this.runtime.sitePackages;
    const execLimits = {
      outputBytes: this.limits.outputBytes,
      outputKillBytes: this.limits.outputKillBytes,
      memoryBytes: this.limits.memoryMb * (1 << 20),
      maxFiles: this.limits.maxFiles,
      writableDirs: WRITABLE_DIRS,
      cgroup: this.memory.cgroup as CgroupPlan | null,
      maxProcesses: this.limits.maxProcesses,
      onCgroupError: (message: string) => {
        if (this.cgroupWarned) return;
        this.cgroupWarned = true;
        this.warn(message);
      },
    };
    if (this.plan === null) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "still-sandbox-"));
      const launch: Launch = {
        file: this.runtime.executable,
        args: bootArgv(site),
        cwd: dir,
        env: { ...SANDBOX_ENV, HOME: dir, TMPDIR: dir },
        bwrapStatusFd: false,
      };
      return {
        process: new Started(launch, execLimits),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    const bwrap = sandboxArgs(this.plan, [this.runtime.executable, ...bootArgv(site)]);
    const files: Record<number, string> = {
      [PASSWD_FD]: path.join(this.plan.etcDir, "passwd"),
      [GROUP_FD]: path.join(this.plan.etcDir, "group"),
    };
    if (this.plan.seccomp !== null) files[SECCOMP_FD] = this.plan.seccomp;
    const launch: Launch = this.view
      ? {
          file: this.view.nsenter,
          args: [...this.view.enter(this.hostUid, this.hostGid), this.plan.bwrap, ...bwrap],
          env: {},
          bwrapStatusFd: true,
          files,
        }
      : { file: this.plan.bwrap, args: bwrap, env: {}, bwrapStatusFd: true, files };
    return { process: new Started(launch, execLimits), cleanup: () => {} };
  }

  /** A notebook-like session: each call sees the definitions of the session's earlier calls. */
  session(): SandboxSession {
    return new SandboxSession(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const spare of this.spares.splice(0)) {
      spare.process.discard();
      spare.cleanup();
    }
    this.view?.close();
    for (const d of this.tempDirs) {
      rmSync(d, { recursive: true, force: true });
      liveTempDirs.delete(d);
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/**
 * Stateful execution by replay: call k runs in a fresh sandbox that first re-runs calls 1..k-1 (output
 * discarded at the fd level, errors ignored) and then call k. Chosen over a persistent interpreter per session
 * because every call keeps its own rlimits, timeout and clean process tree, a crash or timeout cannot wedge the
 * session, and no pool slot is pinned while the model generates. The cost is recomputation, so the timeout of
 * call k grows by the time the replayed calls took, and calls that timed out, ran out of memory or were killed
 * are not replayed.
 */
export class SandboxSession {
  private readonly cells: { code: string; ms: number }[] = [];

  constructor(private readonly pool: SandboxPool) {}

  async run(code: string, options: Omit<RunOptions, "previous"> = {}): Promise<SandboxResult> {
    const replayMs = this.cells.reduce((s, c) => s + c.ms, 0);
    const result = await this.pool.run(code, {
      timeoutMs: (options.timeoutMs ?? this.pool.limits.timeoutMs) + replayMs,
      previous: this.cells.map((c) => c.code),
    });
    if (result.status === "ok" || result.status === "error") {
      this.cells.push({ code, ms: Math.max(0, result.ms - replayMs) });
    }
    return result;
  }
}
