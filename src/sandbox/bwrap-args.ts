/**
 * The bubblewrap command lines, as pure functions of the host facts they depend on (so the mount layout is
 * reviewable and table-tested without running anything).
 */
import path from "node:path";
import type { SandboxLimits } from "./options.js";
import { collapse, isUnder, type PythonRuntime } from "./runtime.js";

/** How a top-level directory such as /lib looks on the host: a symlink (merged /usr) or a real directory. */
export type TopLevelEntry = { kind: "symlink"; target: string } | { kind: "dir" };

export interface HostLayout {
  /** /bin, /sbin, /lib, /lib32, /lib64, /libx32 where they exist. */
  topLevel: Record<string, TopLevelEntry>;
  /** Whether /etc/ld.so.cache exists (bound so the loader does not scan directories). */
  ldCache: boolean;
}

export interface SandboxPlan {
  runtime: PythonRuntime;
  limits: SandboxLimits;
  host: HostLayout;
  /** Host directory holding the synthetic passwd and group files (passed on PASSWD_FD and GROUP_FD). */
  etcDir: string;
  /** Absolute path of the bwrap binary. */
  bwrap: string;
  /** Host file with the seccomp filter (seccompProgram), handed to bwrap on SECCOMP_FD; null for none. */
  seccomp: string | null;
}

/** The child's fd on which bwrap reads the seccomp program. */
export const SECCOMP_FD = 4;
/**
 * The child's fds from which bwrap copies the synthetic /etc/passwd and /etc/group into the sandbox's root: a
 * copy, unlike a bind mount, leaves no host path in /proc/self/mountinfo.
 */
export const PASSWD_FD = 5;
export const GROUP_FD = 6;

/** The snippet's home, working directory and /tmp: a private size-capped tmpfs. */
export const WORK_DIR = "/sandbox";
/** The size-capped tmpfs mounts a snippet can write to. */
export const WRITABLE_DIRS = [WORK_DIR, "/dev/shm"];
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
/** Paths the sandbox builds itself; no bound host path may sit under them. */
const RESERVED = [WORK_DIR, "/tmp", "/proc", "/dev", "/etc"];
export const TOP_LEVEL_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

export const SANDBOX_ENV: Record<string, string> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: WORK_DIR,
  TMPDIR: "/tmp",
  LANG: "C.UTF-8",
  // One BLAS/OpenMP thread: the pool already runs one snippet per core, and each thread counts against NPROC.
  OPENBLAS_NUM_THREADS: "1",
  OMP_NUM_THREADS: "1",
  MKL_NUM_THREADS: "1",
};

export const PASSWD = `root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:${SANDBOX_UID}:${SANDBOX_GID}:sandbox:${WORK_DIR}:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
export const GROUP = `root:x:0:\nsandbox:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`;

/** Host paths bound read-only besides /usr: the interpreter's, minus what /usr already covers. */
export function runtimeBinds(runtime: PythonRuntime): string[] {
  return collapse(runtime.binds).filter((p) => !isUnder(p, "/usr"));
}

/** Throws when a runtime path would be shadowed by a directory the sandbox builds itself. */
export function checkRuntimePaths(runtime: PythonRuntime): void {
  for (const p of runtimeBinds(runtime)) {
    const clash = RESERVED.find((r) => isUnder(p, r) || isUnder(r, p));
    if (clash || p === "/") {
      throw new Error(
        `the sandbox's Python lives at ${p}, which overlaps ${clash ?? "/"} inside the sandbox; ` +
          "install it (or its virtualenv) elsewhere, e.g. under /opt or /home",
      );
    }
  }
}

/**
 * bwrap argv (without the program name) running `command` in fresh user/pid/net/ipc/uts(/cgroup) namespaces
 * with an empty read-only root, no capabilities, no way to make further user namespaces, and bwrap's exit
 * status reported on fd 3 (its absence tells a sandbox failure from the snippet's own exit code).
 * `command` is the sandbox's PID 1 (--as-pid-1), which bwrap waits for: bwrap's own PID 1 would outlive the
 * bwrap process that spawned it and be left for the host's init to reap, which `still` is when it runs as a
 * container's PID 1 (one zombie per execution).
 */
export function sandboxArgs(plan: SandboxPlan, command: string[]): string[] {
  const args = [
    "--unshare-user",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--as-pid-1",
    "--cap-drop",
    "ALL",
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_GID),
    "--hostname",
    "sandbox",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  for (const dir of TOP_LEVEL_DIRS) {
    const entry = plan.host.topLevel[dir];
    if (entry?.kind === "symlink") args.push("--symlink", entry.target, dir);
    else if (entry?.kind === "dir") args.push("--ro-bind", dir, dir);
  }
  for (const p of runtimeBinds(plan.runtime)) args.push("--ro-bind", p, p);
  for (const m of plan.runtime.siteMounts) args.push("--ro-bind", m.host, m.sandbox);
  args.push(
    "--perms",
    "0644",
    "--file",
    String(PASSWD_FD),
    "/etc/passwd",
    "--perms",
    "0644",
    "--file",
    String(GROUP_FD),
    "/etc/group",
  );
  if (plan.host.ldCache) args.push("--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache");
  args.push(
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // A shared mapping of /dev/zero is anonymous memory that no limit sees (see seccomp.ts); /dev/full reads as
    // zeros too and cannot be mapped.
    "--dev-bind",
    "/dev/full",
    "/dev/zero",
    // bwrap's /dev is an uncapped tmpfs with a world-writable shm/ in it: cap that like the work dir.
    "--perms",
    "1777",
    "--size",
    String(plan.limits.workDirMb << 20),
    "--tmpfs",
    "/dev/shm",
    "--perms",
    "1777",
    "--size",
    String(plan.limits.workDirMb << 20),
    "--tmpfs",
    WORK_DIR,
    "--symlink",
    WORK_DIR,
    "/tmp",
    "--chdir",
    WORK_DIR,
    "--remount-ro",
    "/",
  );
  if (plan.seccomp !== null) args.push("--seccomp", String(SECCOMP_FD));
  for (const [k, v] of Object.entries(SANDBOX_ENV)) args.push("--setenv", k, v);
  args.push("--json-status-fd", "3", "--", ...command);
  return args;
}

/**
 * bwrap argv for the root-only "view": a long-lived mount namespace identical to the host's except that each
 * directory in `hide` (one the unprivileged sandbox uid cannot traverse, such as /root) is replaced by an empty
 * tmpfs holding only the runtime paths under it. Sandboxes are then started inside this namespace, already
 * switched to the unprivileged uid, so bwrap's own setup (done as that uid) can reach the interpreter.
 */
export function viewArgs(hide: string[], binds: string[]): string[] {
  const args = ["--dev-bind", "/", "/"];
  for (const dir of hide) {
    args.push("--perms", "0755", "--tmpfs", dir);
    for (const p of binds.filter((b) => isUnder(b, dir) && b !== dir)) {
      const parts = path.relative(dir, p).split(path.sep);
      let cur = dir;
      for (const part of parts.slice(0, -1)) {
        cur = path.join(cur, part);
        args.push("--perms", "0755", "--dir", cur);
      }
      args.push("--ro-bind", p, p);
    }
  }
  args.push("--die-with-parent", "--", "/bin/sh", "-c", "echo $$; exec cat >/dev/null");
  return args;
}
