import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bootHeader, EXIT_MEMORY } from "../../src/sandbox/boot.js";
import {
  checkRuntimePaths,
  type HostLayout,
  runtimeBinds,
  type SandboxPlan,
  sandboxArgs,
  viewArgs,
} from "../../src/sandbox/bwrap-args.js";
import { HeadTailCapture } from "../../src/sandbox/capture.js";
import { classify, firedLimit, signalName } from "../../src/sandbox/execute.js";
import { unreachableAncestors } from "../../src/sandbox/host.js";
import { DEFAULT_LIMITS, resolveLimits } from "../../src/sandbox/options.js";
import { collapse, type PythonRuntime } from "../../src/sandbox/runtime.js";
import { DENIED_SYSCALLS_X86_64, seccompProgram } from "../../src/sandbox/seccomp.js";

const runtime: PythonRuntime = {
  executable: "/root/.pyenv/versions/3.11.7/bin/python3.11",
  binds: ["/root/.pyenv/versions/3.11.7"],
  siteMounts: [{ host: "/work/main/.venv/lib/python3.11/site-packages", sandbox: "/opt/site/0" }],
  sitePackages: ["/work/main/.venv/lib/python3.11/site-packages"],
};
const merged: HostLayout = {
  topLevel: {
    "/bin": { kind: "symlink", target: "usr/bin" },
    "/lib": { kind: "symlink", target: "usr/lib" },
    "/lib64": { kind: "dir" },
  },
  ldCache: true,
};
const plan: SandboxPlan = {
  runtime,
  limits: DEFAULT_LIMITS,
  host: merged,
  etcDir: "/tmp/etc-x",
  bwrap: "/usr/bin/bwrap",
  seccomp: "/tmp/etc-x/seccomp.bpf",
};

/** The values following each occurrence of `flag`, `n` at a time. */
function valuesOf(args: string[], flag: string, n = 1): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 1 + n));
  });
  return out;
}

describe("sandboxArgs", () => {
  const args = sandboxArgs(plan, ["python", "-c", "x"]);

  it.each([
    "--unshare-user",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--as-pid-1",
  ])("has %s", (flag) => {
    expect(args).toContain(flag);
  });

  it("drops all capabilities, runs as uid/gid 1000, ends with the command", () => {
    expect(valuesOf(args, "--cap-drop")).toEqual([["ALL"]]);
    expect(valuesOf(args, "--uid")).toEqual([["1000"]]);
    expect(valuesOf(args, "--gid")).toEqual([["1000"]]);
    expect(args.slice(-4)).toEqual(["--", "python", "-c", "x"]);
  });

  it("binds only /usr, the runtime and ld.so.cache, all read-only; copies in synthetic passwd/group", () => {
    expect(valuesOf(args, "--bind")).toEqual([]);
    // Only /dev/full, standing in for /dev/zero (whose shared mappings no memory limit sees).
    expect(valuesOf(args, "--dev-bind", 2)).toEqual([["/dev/full", "/dev/zero"]]);
    expect(valuesOf(args, "--ro-bind", 2)).toEqual([
      ["/usr", "/usr"],
      ["/lib64", "/lib64"],
      ["/root/.pyenv/versions/3.11.7", "/root/.pyenv/versions/3.11.7"],
      ["/work/main/.venv/lib/python3.11/site-packages", "/opt/site/0"],
      ["/etc/ld.so.cache", "/etc/ld.so.cache"],
    ]);
    // Copies leave no host path in /proc/self/mountinfo, as bind mounts of the host temp dir did.
    expect(valuesOf(args, "--file", 2)).toEqual([
      ["5", "/etc/passwd"],
      ["6", "/etc/group"],
    ]);
    expect(args.join(" ")).not.toContain("/tmp/etc-x");
    expect(valuesOf(args, "--symlink", 2)).toEqual([
      ["usr/bin", "/bin"],
      ["usr/lib", "/lib"],
      ["/sandbox", "/tmp"],
    ]);
  });

  it("caps both writable tmpfs mounts and makes the root read-only", () => {
    const size = String(DEFAULT_LIMITS.workDirMb << 20);
    const i = args.indexOf("/sandbox");
    expect(args.slice(i - 5, i + 1)).toEqual(["--perms", "1777", "--size", size, "--tmpfs", "/sandbox"]);
    const j = args.indexOf("/dev/shm");
    expect(args.slice(j - 5, j + 1)).toEqual(["--perms", "1777", "--size", size, "--tmpfs", "/dev/shm"]);
    expect(valuesOf(args, "--remount-ro")).toEqual([["/"]]);
  });

  it("sets only the sandbox's own environment", () => {
    const env = Object.fromEntries(valuesOf(args, "--setenv", 2));
    expect(Object.keys(env).sort()).toEqual([
      "HOME",
      "LANG",
      "MKL_NUM_THREADS",
      "OMP_NUM_THREADS",
      "OPENBLAS_NUM_THREADS",
      "PATH",
      "TMPDIR",
    ]);
  });
});

describe("runtime paths", () => {
  it.each([
    [["/usr/lib/python3.11", "/usr/local/lib/python3.11/dist-packages"], []],
    [
      ["/opt/py", "/opt/py/lib/site", "/home/u/.venv/lib/site"],
      ["/home/u/.venv/lib/site", "/opt/py"],
    ],
  ])("runtimeBinds(%j) = %j", (binds, expected) => {
    expect(runtimeBinds({ executable: "", binds, siteMounts: [], sitePackages: [] })).toEqual(expected);
  });

  it.each([["/tmp/venv"], ["/sandbox/x"], ["/etc/python"], ["/"], ["/dev/py"]])("rejects %s", (p) => {
    expect(() => checkRuntimePaths({ executable: "", binds: [p], siteMounts: [], sitePackages: [] })).toThrow(
      /overlaps/,
    );
  });

  it("accepts the usual places", () => {
    expect(() => checkRuntimePaths(runtime)).not.toThrow();
  });

  it.each([
    [
      ["/a/b", "/a", "/c"],
      ["/a", "/c"],
    ],
    [
      ["/a/bc", "/a/b"],
      ["/a/b", "/a/bc"],
    ],
  ])("collapse(%j) = %j", (input, expected) => {
    expect(collapse(input)).toEqual(expected);
  });
});

describe("viewArgs", () => {
  it("replaces a hidden directory by a tmpfs holding only the runtime paths", () => {
    const args = viewArgs(["/root"], ["/root/.pyenv/versions/3.11.7", "/work/site"]);
    expect(args.slice(0, 3)).toEqual(["--dev-bind", "/", "/"]);
    expect(args.slice(3, 17)).toEqual([
      "--perms",
      "0755",
      "--tmpfs",
      "/root",
      "--perms",
      "0755",
      "--dir",
      "/root/.pyenv",
      "--perms",
      "0755",
      "--dir",
      "/root/.pyenv/versions",
      "--ro-bind",
      "/root/.pyenv/versions/3.11.7",
    ]);
    expect(args).not.toContain("/work/site");
  });

  it("with nothing to hide, is the host's mount tree", () => {
    expect(viewArgs([], ["/opt/py"]).slice(0, 4)).toEqual(["--dev-bind", "/", "/", "--die-with-parent"]);
  });
});

describe("unreachableAncestors", () => {
  it("finds the topmost directory the sandbox uid cannot traverse", () => {
    const base = mkdtempSync(path.join(os.tmpdir(), "still-reach-"));
    try {
      mkdirSync(path.join(base, "closed/inner/leaf"), { recursive: true });
      mkdirSync(path.join(base, "open/leaf"), { recursive: true });
      chmodSync(path.join(base, "closed"), 0o700);
      chmodSync(path.join(base, "closed/inner"), 0o700);
      chmodSync(path.join(base, "open"), 0o755);
      chmodSync(base, 0o755);
      const paths = [path.join(base, "closed/inner/leaf"), path.join(base, "open/leaf")];
      expect(unreachableAncestors(paths, 65534, 65534)).toEqual([path.join(base, "closed")]);
      const owner = process.getuid!();
      expect(unreachableAncestors(paths, owner, 424242)).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe("HeadTailCapture", () => {
  it.each([
    ["fits", 10, ["abc", "def"], "abcdef", false],
    ["exactly the limit", 6, ["abc", "def"], "abcdef", false],
    ["head and tail kept", 4, ["abcdef", "ghij"], "ab\n...[6 bytes truncated]...\nij", true],
    ["tail across chunks", 6, ["ab", "cd", "ef", "gh", "ij"], "abc\n...[4 bytes truncated]...\nhij", true],
    ["invalid UTF-8", 10, [Buffer.from([0x61, 0xff, 0x62])], "a\uFFFDb", false],
  ])("%s", (_name, limit, chunks, text, truncated) => {
    const c = new HeadTailCapture(limit as number);
    for (const chunk of chunks as (string | Buffer)[]) c.push(Buffer.from(chunk));
    expect(c.text()).toBe(text);
    expect(c.truncated).toBe(truncated);
  });

  it("keeps memory bounded on a flood", () => {
    const c = new HeadTailCapture(1000);
    for (let i = 0; i < 10_000; i++) c.push(Buffer.alloc(1000, 120));
    expect(c.total).toBe(10_000_000);
    expect(c.text().length).toBeLessThan(1100);
  });
});

describe("classify", () => {
  it.each([
    [0, null, "ok"],
    [1, null, "error"],
    [3, null, "error"],
    [EXIT_MEMORY, null, "memory"],
    [128 + 24, null, "timeout"],
    [128 + 9, null, "killed"],
    [128 + 11, null, "killed"],
    [null, "timeout", "timeout"],
    [0, "timeout", "timeout"],
    [null, "output", "killed"],
  ] as const)("exit %s, killed by %s -> %s", (code, killedBy, status) => {
    expect(classify(code, killedBy)).toBe(status);
  });
});

describe("firedLimit and signalName", () => {
  it.each([
    [0, null, null],
    [1, null, null],
    [EXIT_MEMORY, null, "memoryMb"],
    [128 + 24, null, "cpuSeconds"],
    [128 + 25, null, "maxFileMb"],
    [128 + 9, null, null],
    [null, "timeout", "timeoutMs"],
    [null, "output", "outputKillBytes"],
    [null, "memory", "memoryMb"],
    [null, "files", "maxFiles"],
  ] as const)("exit %s, killed by %s -> %s", (code, killedBy, limit) => {
    expect(firedLimit(code, killedBy)).toBe(limit);
  });

  it.each([
    [0, null],
    [1, null],
    [128 + 9, "SIGKILL"],
    [128 + 11, "SIGSEGV"],
    [128 + 31, "SIGSYS"],
    [null, null],
  ] as const)("exit %s -> signal %s", (code, name) => {
    expect(signalName(code)).toBe(name);
  });
});

describe("limits", () => {
  it("bootHeader lists the rlimits in bytes and the cell sizes", () => {
    expect(
      bootHeader({ memoryMb: 2, cpuSeconds: 2.5, maxProcesses: 8, maxFileMb: 1, maxOpenFiles: 32 }, [5, 0]),
    ).toBe(`${2 << 20} 3 8 ${1 << 20} 32 5 0\n`);
  });

  it.each([
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ memoryMb: Number.NaN }, /memoryMb/],
    [{ outputBytes: 100, outputKillBytes: 10 }, /outputKillBytes/],
  ])("resolveLimits(%j) throws", (overrides, message) => {
    expect(() => resolveLimits(overrides)).toThrow(message);
  });

  it("fills defaults", () => {
    expect(resolveLimits({ timeoutMs: 5 })).toEqual({ ...DEFAULT_LIMITS, timeoutMs: 5 });
  });
});

/** Runs a classic-BPF seccomp program (the instructions seccompProgram emits) on one syscall. */
function runFilter(program: Buffer, arch: number, nr: number, args: number[] = []): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  for (const [i, a] of args.entries()) data.writeBigUInt64LE(BigInt(a), 16 + 8 * i);
  let acc = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const [code, jt, jf, k] = [
      program.readUInt16LE(pc * 8),
      program.readUInt8(pc * 8 + 2),
      program.readUInt8(pc * 8 + 3),
      program.readUInt32LE(pc * 8 + 4),
    ];
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x54) acc = (acc & k) >>> 0;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected instruction ${code} at ${pc}`);
  }
  throw new Error("fell off the end of the program");
}

describe("seccompProgram", () => {
  const X86_64 = 0xc000003e;
  const ALLOW = 0x7fff0000;
  const EPERM = 0x00050001;
  const KILL = 0x80000000;
  const p = seccompProgram("x64")!;

  it.each(Object.entries(DENIED_SYSCALLS_X86_64))("denies %s (%i) with EPERM", (_name, nr) => {
    expect(runFilter(p, X86_64, nr)).toBe(EPERM);
  });

  it.each([
    ["read", 0],
    ["write", 1],
    ["openat", 257],
    ["clone", 56],
    ["socketpair", 53],
    ["exit_group", 231],
  ])("allows %s (%i)", (_name, nr) => {
    expect(runFilter(p, X86_64, nr)).toBe(ALLOW);
  });

  it.each([
    ["MAP_PRIVATE | MAP_ANONYMOUS", 0x22, ALLOW],
    ["MAP_SHARED (a file)", 0x01, ALLOW],
    ["MAP_PRIVATE (a file)", 0x02, ALLOW],
    ["MAP_SHARED | MAP_ANONYMOUS", 0x21, EPERM],
    ["MAP_SHARED_VALIDATE | MAP_ANONYMOUS", 0x23, EPERM],
    ["MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE", 0x4021, EPERM],
  ])("mmap with %s: %#x", (_name, flags, action) => {
    expect(runFilter(p, X86_64, 9, [0, 4096, 3, flags, -1 >>> 0, 0])).toBe(action);
  });

  it.each([
    ["SOL_SOCKET, SO_SNDBUF", 1, 7, EPERM],
    ["SOL_SOCKET, SO_RCVBUF", 1, 8, EPERM],
    ["SOL_SOCKET, SO_SNDBUFFORCE", 1, 32, EPERM],
    ["SOL_SOCKET, SO_RCVBUFFORCE", 1, 33, EPERM],
    ["SOL_SOCKET, SO_REUSEADDR", 1, 2, ALLOW],
    ["IPPROTO_TCP, TCP_NODELAY", 6, 1, ALLOW],
    ["IPPROTO_TCP, option 7", 6, 7, ALLOW],
  ])("setsockopt %s", (_name, level, option, action) => {
    expect(runFilter(p, X86_64, 54, [3, level, option, 0, 4])).toBe(action);
  });

  it("kills other architectures' calls and denies the x32 numbering", () => {
    expect(runFilter(p, 0x40000003, 20)).toBe(KILL); // i386
    expect(runFilter(p, X86_64, 0x40000000 + 39)).toBe(EPERM); // x32 getpid
  });

  it("has no program for other architectures", () => {
    expect(seccompProgram("arm64")).toBeNull();
  });
});
