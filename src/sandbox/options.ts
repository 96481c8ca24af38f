/**
 * Limits and isolation of the code sandbox. Field names mirror the run config's `tools.sandbox` block
 * (snake_case there, camelCase here); every field has a default, so `{}` is a valid configuration.
 */

/** `bwrap`: bubblewrap namespaces, failing closed when they cannot be made. `none`: rlimits only, loudly. */
export type Isolation = "bwrap" | "none";

export interface SandboxLimits {
  /** Wall-clock limit of one execution; the whole process tree is killed after it. */
  timeoutMs: number;
  /** RLIMIT_CPU of each process in the sandbox. */
  cpuSeconds: number;
  /**
   * RLIMIT_AS (address space) of each process, in MiB; under bwrap also the limit on the resident memory of
   * all the sandbox's processes together plus what their sockets may buffer (polled every 50 ms; status
   * `memory` when exceeded). Memory neither sees (memfds, SysV shared memory, shared anonymous mappings) is
   * denied by the seccomp filter. Where a memory cgroup is usable (see `cgroup`), also the limit of the
   * execution's own cgroup, which counts every page its processes cause (status `memory` on an OOM kill).
   */
  memoryMb: number;
  /** RLIMIT_NPROC inside the sandbox's own user namespace (threads count too). */
  maxProcesses: number;
  /** RLIMIT_FSIZE: the largest file a snippet may write, in MiB. */
  maxFileMb: number;
  /** RLIMIT_NOFILE. */
  maxOpenFiles: number;
  /** Size of the private writable tmpfs (the working directory and /tmp), in MiB; /dev/shm gets as much. */
  workDirMb: number;
  /**
   * Files and directories in the writable tmpfs mounts together (the size cap does not bound them, and each
   * costs kernel memory). Checked every 50 ms under bwrap; exceeding it kills the snippet (status `killed`).
   */
  maxFiles: number;
  /** Bytes of each of stdout and stderr kept: the first and last half of this many. */
  outputBytes: number;
  /** A stream that exceeds this many bytes gets the snippet killed (status `killed`). */
  outputKillBytes: number;
}

export interface SandboxOptions extends Partial<SandboxLimits> {
  isolation?: Isolation;
  /** Executions running at once; more wait in line. */
  concurrency?: number;
  /**
   * Keep `concurrency` sandboxes started and waiting for input (default true): namespace set-up and interpreter
   * start-up then overlap the previous execution instead of adding to each one's latency. Each is still used
   * for exactly one execution. False starts every sandbox on demand (no idle processes).
   */
  prestart?: boolean;
  /** Interpreter to run (default: resolvePython()). Its prefix and site-packages are bound read-only. */
  python?: string;
  /** Host uid/gid the sandbox runs as when the caller is root (it must never be root). */
  hostUid?: number;
  hostGid?: number;
  /**
   * Memory cgroup per execution (see cgroup.ts): `auto` (default, or STILL_SANDBOX_CGROUP) uses one when this
   * process may create them, `off` never does, an absolute path names the parent cgroup to use (an error when
   * it is not usable).
   */
  cgroup?: "auto" | "off" | string;
  /** Where `isolation: none` warnings go (default: stderr). */
  warn?: (message: string) => void;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutMs: 10_000,
  cpuSeconds: 10,
  memoryMb: 1024,
  maxProcesses: 64,
  maxFileMb: 16,
  maxOpenFiles: 256,
  workDirMb: 64,
  maxFiles: 10_000,
  outputBytes: 1 << 20,
  outputKillBytes: 16 << 20,
};

/** The conventional unprivileged `nobody`. */
export const DEFAULT_HOST_ID = 65534;

/** Defaults filled in and every number checked; throws a RangeError naming the field. */
export function resolveLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof SandboxLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) continue;
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`sandbox ${key} must be a positive number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (limits.outputKillBytes < limits.outputBytes) {
    throw new RangeError(
      `sandbox outputKillBytes (${limits.outputKillBytes}) must be at least outputBytes (${limits.outputBytes})`,
    );
  }
  return limits;
}

/** The run config's `tools` block (its `sandbox` sub-block and `isolation`) as pool options. */
export function sandboxOptionsFromConfig(
  tools: {
    isolation: Isolation;
    sandbox: {
      timeout_ms: number;
      cpu_seconds: number;
      memory_mb: number;
      max_processes: number;
      max_file_mb: number;
      pool_size: number;
    };
  },
  python?: string,
): SandboxOptions {
  const s = tools.sandbox;
  return {
    isolation: tools.isolation,
    timeoutMs: s.timeout_ms,
    cpuSeconds: s.cpu_seconds,
    memoryMb: s.memory_mb,
    maxProcesses: s.max_processes,
    maxFileMb: s.max_file_mb,
    concurrency: s.pool_size,
    ...(python === undefined ? {} : { python }),
  };
}
