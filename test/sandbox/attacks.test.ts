/**
 * Hostile snippets against the real bubblewrap sandbox. Each must be contained, leave the host as it was, and
 * leave the pool serving (checked after every test). Network attacks only ever run inside the sandbox's empty
 * network namespace: nothing here can reach another host.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resolvePython } from "../../src/pyenv/python.js";
import { PASSWD, runtimeBinds, SANDBOX_ENV, TOP_LEVEL_DIRS } from "../../src/sandbox/bwrap-args.js";
import { SandboxPool, type SandboxResult } from "../../src/sandbox/index.js";
import { probeRuntime } from "../../src/sandbox/runtime.js";
import { packageRoot } from "../../src/util/paths.js";

const CANARY = `still-canary-${randomBytes(8).toString("hex")}`;
const TOKEN = `still-orphan-${randomBytes(6).toString("hex")}`;
let pool: SandboxPool;
let hostDir: string;

/** Host pids whose command line contains `needle` (a sandbox process that outlived its run would show here). */
/** Parent pid of every host process. */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited while we looked
    }
  }
  return parents;
}

/** Host processes whose command line contains `needle` (a token unique to this run finds escapees anywhere). */
function hostProcessesWith(needle: string, parents = parentPids()): number[] {
  const pids: number[] = [];
  for (const pid of parents.keys()) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(needle)) pids.push(pid);
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * This test process's descendants whose command line contains `needle`. Other test files run their own
 * sandboxes (some with isolation: none) at the same time; only ours are this suite's business.
 */
function ourProcessesWith(needle: string): number[] {
  const parents = parentPids();
  const ours = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return hostProcessesWith(needle, parents).filter(ours);
}

// Generous by default: on a loaded two-core machine even honest work can take seconds.
async function run(code: string, timeoutMs = 10_000): Promise<SandboxResult> {
  return pool.run(code, { timeoutMs });
}

function lines(r: SandboxResult): string[] {
  return r.stdout.trim().split("\n");
}

beforeAll(async () => {
  process.env.STILL_TEST_SECRET = CANARY;
  hostDir = mkdtempSync(path.join(os.tmpdir(), "still-attack-host-"));
  writeFileSync(path.join(hostDir, "secret.txt"), CANARY);
  pool = await SandboxPool.create({ concurrency: 2, workDirMb: 16, maxFileMb: 4, timeoutMs: 3000 });
});

afterAll(() => {
  pool?.close();
  delete process.env.STILL_TEST_SECRET;
  rmSync(hostDir, { recursive: true, force: true });
});

afterEach(async () => {
  const r = await run("print(6 * 7)");
  expect(r.status).toBe("ok");
  expect(r.stdout).toBe("42\n");
  expect(hostProcessesWith(TOKEN)).toEqual([]);
  expect(readFileSync(path.join(hostDir, "secret.txt"), "utf8")).toBe(CANARY);
});

describe("sandbox attacks: resources", () => {
  it("fork bomb: stops at the process limit, the host is untouched", async () => {
    const r = await run(
      `import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print("blocked", n, e.errno)`,
    );
    expect(r.status).toBe("ok");
    const [word, n, errno] = lines(r)[0]!.split(" ");
    expect(word).toBe("blocked");
    expect(Number(n)).toBeLessThan(64);
    expect(Number(errno)).toBe(11); // EAGAIN
  });

  it("a fork bomb holding every process it may have does not stop another sandbox from running", async () => {
    // Every process forks until EAGAIN and then sleeps: the bomb sits at its process limit without spinning.
    // (A spinning bomb competes for CPU instead, which only the wall-clock limit bounds: there is no CPU cgroup.)
    const bomb = run(
      "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(60)",
      3000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const other = await run("import os, subprocess\nprint(subprocess.run(['true']).returncode)", 10_000);
    expect(other).toMatchObject({ status: "ok", stdout: "0\n" });
    const r = await bomb;
    expect(r.status).toBe("timeout");
    expect(r.ms).toBeLessThan(3000 + 1500);
  });

  it.each([
    ["one huge allocation", "x = bytearray(8 * 1024**3)"],
    ["allocation in a loop", "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024**2))"],
    ["numpy", "import numpy as np\nx = np.ones((50_000, 50_000))"],
  ])("memory bomb (%s): MemoryError, status memory", async (_name, code) => {
    const r = await run(code, 10_000);
    expect(r.status).toBe("memory");
    expect(r.limit).toBe("memoryMb");
    expect(r.stderr.trim().split("\n").pop()).toMatch(/MemoryError/);
  });

  it("memory bomb across processes: the sandbox's total resident memory is capped, not just each process's", async () => {
    const small = await SandboxPool.create({ concurrency: 1, memoryMb: 300, prestart: false });
    try {
      // Eight children of 200 MiB each stay under RLIMIT_AS one by one but not together.
      const r = await small.run(
        `import os, time
for _ in range(8):
    if os.fork() == 0:
        block = bytearray(200 * 1024**2)
        time.sleep(30)
        os._exit(0)
time.sleep(30)`,
        { timeoutMs: 10_000 },
      );
      expect(r.status).toBe("memory");
      expect(r.limit).toBe("memoryMb");
      expect(r.ms).toBeLessThan(8000);
      expect((await small.run("print('still serving')")).stdout).toBe("still serving\n");
    } finally {
      small.close();
    }
  });

  describe("memory no per-process limit sees is refused, not held (memory_mb: 256, 900 MiB tried)", () => {
    let small: SandboxPool;
    beforeAll(async () => {
      small = await SandboxPool.create({ concurrency: 1, memoryMb: 256 });
    });
    afterAll(() => small?.close());

    /**
     * Six holder processes each get 150 MiB of shared memory from \`make\` and a child of theirs fills it and
     * exits: the pages stay allocated but are resident in no living process, so neither RLIMIT_AS nor the
     * resident-memory watchdog sees them.
     */
    const holders = (make: string) => `import mmap, os, sys, time
MB = 2**20
r, w = os.pipe()
for _ in range(6):
    if os.fork() == 0:
        try:
            m = ${make}
        except OSError as e:
            os.write(w, b"e")
            os._exit(1)
        if os.fork() == 0:
            for i in range(150):
                m[i * MB:(i + 1) * MB] = b"x" * MB
            os._exit(0)
        os.wait()
        os.write(w, b"k")
        time.sleep(60)
        os._exit(0)
    if os.read(r, 1) != b"k":
        raise PermissionError("refused")
print("held")`;

    // Each snippet prints "held" and exits 0 only if it got 900 MiB past the limit.
    it.each([
      [
        "memfd_create + write",
        `import os
fd = os.memfd_create("x")
for _ in range(900):
    os.write(fd, b"x" * 2**20)
print("held")`,
      ],
      [
        "SysV shared memory",
        `import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
ids = [libc.shmget(0, 150 * 2**20, 0o1600) for _ in range(6)]
if -1 in ids:
    raise PermissionError(ctypes.get_errno(), "shmget refused")
for i in ids:
    addr = libc.shmat(i, None, 0)
    ctypes.memset(addr, 1, 150 * 2**20)
    libc.shmdt(ctypes.c_void_p(addr))
print("held")`,
      ],
      ["shared anonymous mappings", holders("mmap.mmap(-1, 150 * MB)")],
      ["shared mappings of /dev/zero", holders('mmap.mmap(os.open("/dev/zero", os.O_RDWR), 150 * MB)')],
    ])("%s", async (_name, code) => {
      const r = await small.run(code, { timeoutMs: 15_000 });
      expect(r.stdout).not.toContain("held");
      expect(r.status).toBe("error");
      expect(r.stderr.trim().split("\n").pop()).toMatch(/^PermissionError/);
    });

    it("socket buffers filled from many processes (1 GiB tried under memory_mb: 512): counted, killed at the limit", async () => {
      // Each process's buffers fill up to its open-file limit; a larger limit than the others' leaves room for
      // the processes' own resident memory, which alone would get the snippet killed at 256 MiB.
      const roomy = await SandboxPool.create({ concurrency: 1, memoryMb: 512, prestart: false });
      const r = await roomy
        .run(
          `import os, socket, time
r, w = os.pipe()
held = 0
for _ in range(60):
    if os.fork() == 0:
        total, pairs = 0, []
        try:
            while True:
                a, b = socket.socketpair()
                a.setblocking(False)
                pairs.append((a, b))
                try:
                    while True:
                        total += a.send(b"x" * 65536)
                except BlockingIOError:
                    pass
        except OSError:
            pass
        os.write(w, total.to_bytes(8, "little"))
        time.sleep(60)
        os._exit(0)
    held += int.from_bytes(os.read(r, 8), "little")
    if held > 2**30:
        print("held")
        break
time.sleep(1)`,
          { timeoutMs: 15_000 },
        )
        .finally(() => roomy.close());
      expect(r.stdout).not.toContain("held");
      expect(r.status).toBe("memory");
      expect(r.limit).toBe("memoryMb");
    });
  });

  it("CPU loop: killed at the wall-clock limit", async () => {
    const r = await run("while True:\n    pass", 1000);
    expect(r.status).toBe("timeout");
    expect(r.limit).toBe("timeoutMs");
    expect(r.exitCode).toBeNull();
    expect(r.ms).toBeGreaterThanOrEqual(990);
    // Upper bounds are loose: a loaded two-core CI box delays timers, not the kill itself.
    expect(r.ms).toBeLessThan(5000);
  });

  it("time.sleep stall: killed at the wall-clock limit (the CPU limit would never fire)", async () => {
    const r = await run("import time\ntime.sleep(600)", 800);
    expect(r.status).toBe("timeout");
    expect(r.ms).toBeLessThan(5000);
  });

  it("deep recursion: RecursionError, or a crash with the limit lifted; either way contained", async () => {
    const plain = await run("def f(n):\n    return f(n + 1)\nf(0)");
    expect(plain.status).toBe("error");
    expect(plain.stderr).toMatch(/RecursionError/);
    // Python 3.11 frames live on the heap: this grows until RLIMIT_AS or the clock stops it.
    const lifted = await run(
      "import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return f(n + 1)\nf(0)",
      3000,
    );
    expect(["killed", "memory", "error", "timeout"]).toContain(lifted.status);
    expect(lifted.ms).toBeLessThan(4500);
  });
});

describe("sandbox attacks: filesystem", () => {
  it("sees a synthetic /etc/passwd, not the host's", async () => {
    const r = await run("print(open('/etc/passwd').read(), end='')");
    expect(r.status).toBe("ok");
    expect(r.stdout).toBe(PASSWD);
    expect(r.stdout).not.toBe(readFileSync("/etc/passwd", "utf8"));
  });

  it("cannot see the project directory, /root's files, host temp files or /etc/shadow", async () => {
    const targets = [
      path.join(packageRoot, "package.json"),
      path.join(packageRoot, "src"),
      process.cwd(),
      "/root/.bashrc",
      path.join(hostDir, "secret.txt"),
      "/etc/shadow",
      "/etc/hostname",
      "/home",
    ].filter((p) => existsSync(p));
    const r = await run(
      `import os, json
targets = json.loads(${JSON.stringify(JSON.stringify(targets))})
print(json.dumps({t: os.path.exists(t) and t != os.getcwd() for t in targets}))
print(json.dumps(sorted(os.listdir('/root')) if os.path.isdir('/root') else []))`,
    );
    expect(r.status).toBe("ok");
    const [visible, rootListing] = lines(r).map((l) => JSON.parse(l));
    expect(Object.values(visible).every((v) => v === false)).toBe(true);
    expect(rootListing.filter((n: string) => n !== ".pyenv")).toEqual([]);
    expect(r.stdout).not.toContain(CANARY);
  });

  it("cannot write outside the work dir; the host paths stay absent", async () => {
    const site = path.join(packageRoot, ".venv");
    const targets = [
      "/usr/evil",
      "/evil",
      "/etc/evil",
      "/proc/evil",
      `${site}/evil`,
      "/root/evil",
      "/sandbox/../evil",
    ];
    const r = await run(
      `import json
out = {}
for t in json.loads(${JSON.stringify(JSON.stringify(targets))}):
    try:
        open(t, 'w').write('x')
        out[t] = 'written'
    except OSError as e:
        out[t] = e.strerror
open('/sandbox/ok.txt', 'w').write('fine')
open('/tmp/ok2.txt', 'w').write('fine')
print(json.dumps(out))`,
    );
    expect(r.status).toBe("ok");
    const out = JSON.parse(lines(r)[0]!);
    for (const t of targets) expect(out[t], t).not.toBe("written");
    for (const t of ["/usr/evil", "/evil", "/etc/evil", "/root/evil"]) expect(existsSync(t)).toBe(false);
  });

  it("filling the disk: one file stops at RLIMIT_FSIZE, many files at the tmpfs size", async () => {
    const r = await run(
      `import os
def fill(prefix, size):
    total = 0
    try:
        for i in range(10_000):
            with open(f"{prefix}{i}", "wb") as f:
                for _ in range(size):
                    f.write(b"0" * 2**20)
                    total += 1
    except OSError as e:
        return total, e.errno
    return total, 0
print(*fill("/sandbox/big", 10_000))
for n in os.listdir("/sandbox"):
    os.remove("/sandbox/" + n)
print(*fill("/sandbox/many", 1))
print(*fill("/dev/shm/many", 1))`,
      10_000,
    );
    expect(r.status).toBe("ok");
    const [big, many, shm] = lines(r);
    expect(big).toBe("4 27"); // EFBIG after maxFileMb
    const [mb, errno] = many!.split(" ").map(Number);
    expect(mb).toBeLessThanOrEqual(16);
    expect(errno).toBe(28); // ENOSPC
    const [shmMb, shmErrno] = shm!.split(" ").map(Number);
    expect(shmMb).toBeLessThanOrEqual(16);
    expect(shmErrno).toBe(28);
  });
  it("filling the tmpfs with empty files (which the size cap does not bound): killed at maxFiles", async () => {
    const r = await run(
      "import os\nos.mkdir('/sandbox/d')\nfor i in range(1_000_000):\n    open(f'/sandbox/d/{i}', 'w').close()",
      20_000,
    );
    expect(r.status).toBe("killed");
    expect(r.limit).toBe("maxFiles");
    expect(r.ms).toBeLessThan(10_000);
  });
});

describe("sandbox attacks: secrets, processes, signals", () => {
  it("the caller's environment is not visible: os.environ, /proc/1/environ, any /proc/*/environ", async () => {
    expect(process.env.STILL_TEST_SECRET).toBe(CANARY);
    const r = await run(
      `import os
print(sorted(os.environ))
blob = b""
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            blob += open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            pass
print(len(blob), ${JSON.stringify(CANARY)}.encode() in blob, b"STILL_TEST_SECRET" in blob)
print(repr(open("/proc/1/environ", "rb").read()))`,
    );
    expect(r.status).toBe("ok");
    expect(r.stdout).not.toContain("STILL_TEST_SECRET");
    const [, scan, pid1] = lines(r);
    expect(scan!.split(" ").slice(1)).toEqual(["False", "False"]);
    // PID 1 is the boot program: it holds the sandbox's own environment, nothing of the caller's.
    const own = [...Object.entries(SANDBOX_ENV).map(([k, v]) => `${k}=${v}`), "PWD=/sandbox"];
    expect(pid1).toBe(`b'${own.map((kv) => `${kv}\\x00`).join("")}'`);
  });

  it("/proc/self/mountinfo and /proc/1/cmdline name no host temp dir, project path or bwrap argv", async () => {
    const r = await run(
      `import os
print(repr(open("/proc/self/mountinfo").read()))
print(repr(open("/proc/1/cmdline", "rb").read().decode()))
print(os.getpid(), os.getppid())`,
    );
    expect(r.status).toBe("ok");
    const [mountinfo, pid1, ids] = lines(r);
    // The snippet is PID 1 itself: no process above it in the sandbox whose command line could tell more.
    expect(ids).toBe("1 0");
    for (const text of [mountinfo!, pid1!]) {
      expect(text).not.toContain("still-sandbox-etc");
      expect(text).not.toContain(os.tmpdir() === "/tmp" ? "/tmp/still" : os.tmpdir());
      expect(text).not.toContain("--unshare-user");
      expect(text).not.toContain("--ro-bind");
    }
    expect(pid1).not.toContain(process.cwd());
  });

  it("/proc/self/mountinfo, a child's mountinfo and /proc/1/cmdline name no repo, venv or site-packages path", async () => {
    const runtime = await probeRuntime(resolvePython().executable);
    const { stdout } = await promisify(execFile)(resolvePython().executable, [
      "-I",
      "-c",
      "import os, sys; print(os.path.realpath(sys.prefix))",
    ]);
    const venv = stdout.trim();
    const r = await run(
      `import os, subprocess
print(repr(open("/proc/self/mountinfo").read()))
print(repr(subprocess.run(["cat", "/proc/self/mountinfo"], capture_output=True).stdout.decode()))
print(repr(open("/proc/1/cmdline", "rb").read().decode()))
import numpy
print(numpy.__file__)`,
    );
    expect(r.status).toBe("ok");
    const [mountinfo, child, pid1, numpyFile] = lines(r);
    // The environment's libraries still import, from the neutral mount point.
    expect(numpyFile).toMatch(/^\/opt\/site\/\d+\/numpy\/__init__\.py$/);
    const hostPaths = [packageRoot, process.cwd(), realpathSync(packageRoot), ...runtime.sitePackages];
    // A venv (the interpreter's sys.prefix differs from its base): its own directory must not show either. The
    // interpreter's installation prefix is bound at its own path by design (absolute RUNPATH).
    if (!runtime.binds.some((b) => venv === b || venv.startsWith(`${b}/`))) hostPaths.push(venv);
    // Only the root-only mount view can mount the overlay that hides a bind's source path (bwrap 0.8 has none).
    const checked = process.geteuid?.() === 0 ? [mountinfo!, child!, pid1!] : [pid1!];
    for (const text of checked) {
      for (const p of hostPaths) expect(text).not.toContain(p);
    }
    if (process.geteuid?.() !== 0) return;
    // Every mount's root (its source's path within its filesystem) is a system path, a device, the interpreter's
    // prefix (bound at its own path by design) or a filesystem's own root: nothing else of the host shows.
    const allowed = new Set([
      "/",
      "/newroot",
      "/usr",
      "/etc/ld.so.cache",
      ...TOP_LEVEL_DIRS,
      ...runtimeBinds(runtime),
      ...["/null", "/zero", "/full", "/random", "/urandom", "/tty"],
    ]);
    for (const text of [mountinfo!, child!]) {
      const rows = (JSON.parse(text.replace(/^'|'$/g, '"')) as string).trim().split("\n");
      expect(rows.length).toBeGreaterThan(5);
      for (const row of rows) expect(allowed, row).toContain(row.split(" ")[3]);
    }
  });

  it("sees only its own processes in /proc, runs unprivileged with no capabilities", async () => {
    const r = await run(
      `import os
cmds = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        cmds.append(open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")[0].decode())
print(sorted(set(os.path.basename(c) for c in cmds)))
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
print(os.getuid(), os.geteuid(), os.getgid(), status["CapEff"].strip(), status["CapBnd"].strip(), status["NoNewPrivs"].strip())
print(os.path.exists(f"/proc/${process.pid}/cmdline") and open(f"/proc/${process.pid}/cmdline", "rb").read().find(b"node") >= 0)`,
    );
    expect(r.status).toBe("ok");
    const [names, ids, nodeVisible] = lines(r);
    const seen = names!.replace(/[[\]' ]/g, "").split(",");
    expect(seen.every((n) => n === "bwrap" || n.startsWith("python"))).toBe(true);
    expect(ids).toBe("1000 1000 1000 0000000000000000 0000000000000000 1");
    expect(nodeVisible).toBe("False");
  });

  it("the sandbox's host processes run as the unprivileged host uid, never root", async () => {
    const pending = run("import time\ntime.sleep(1)");
    await new Promise((r) => setTimeout(r, 500));
    // Running and waiting sandboxes alike: every interpreter started with the boot program.
    const owners = ourProcessesWith("_still_boot").map((pid) => {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    });
    expect((await pending).status).toBe("ok");
    expect(owners.length).toBeGreaterThan(0);
    expect(owners).not.toContain(0);
    if (process.geteuid?.() === 0) expect(new Set(owners)).toEqual(new Set([65534]));
  });

  it("cannot signal the parent node process or other sandboxes", async () => {
    const r = await run(
      `import os, signal
try:
    os.kill(${process.pid}, signal.SIGKILL)
    print("sent")
except OSError as e:
    print("refused", e.errno)
try:
    os.kill(-1, signal.SIGKILL)
except OSError as e:
    print("nothing else to kill", e.errno)
print("survived")`,
    );
    // ESRCH both times: the node pid does not exist in its pid namespace, and -1 finds no other process.
    expect(r.stdout).toBe("refused 3\nnothing else to kill 3\nsurvived\n");
    expect(r.status).toBe("ok");
  });

  it("orphaned background children die with the snippet", async () => {
    const r = await run(
      `import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "${TOKEN}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", "${TOKEN}"])
    os._exit(0)
time.sleep(0.3)
print("parent done")`,
    );
    expect(r.status).toBe("ok");
    expect(r.stdout).toBe("parent done\n");
    await new Promise((res) => setTimeout(res, 200));
    expect(hostProcessesWith(TOKEN)).toEqual([]);
  });

  // setuid(0), unshare(CLONE_NEWUSER), unshare(CLONE_NEWNS), mount, chroot, ptrace(ATTACH) of the node pid, reboot.
  it("ctypes: privileged syscalls fail, wild pointers only crash the snippet", async () => {
    const r = await run(
      `import ctypes, ctypes.util, os
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *args):
    rc = getattr(libc, name)(*args)
    return rc, ctypes.get_errno()
print(call("setuid", 0)[0], call("unshare", 0x10000000)[0], call("unshare", 0x00020000)[0],
      call("mount", b"none", b"/usr", b"tmpfs", 0, None)[0], call("chroot", b"/")[0],
      call("syscall", 101, 16, ${process.pid}, 0, 0)[0], call("reboot", 0x4321fedc)[0])
print(os.getuid(), flush=True)
ctypes.string_at(1)`,
    );
    const [rcs, uid] = lines(r);
    expect(rcs).toBe("-1 -1 -1 -1 -1 -1 -1");
    expect(uid).toBe("1000");
    expect(r.status).toBe("killed");
    expect(r.exitCode).toBe(128 + 11); // SIGSEGV
  });
});

describe("sandbox attacks: seccomp", () => {
  it.skipIf(process.arch !== "x64")(
    "ptrace of another sandboxed process, io_uring, userfaultfd, bpf, keyrings: EPERM",
    async () => {
      const r = await run(
        `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def sc(*args):
    rc = libc.syscall(*args)
    return f"{rc}/{ctypes.get_errno()}"
print(sc(101, 16, 1, 0, 0), sc(425, 8, ctypes.c_void_p(0)), sc(323, 0), sc(321, 0, 0, 0), sc(250, 0, 0),
      sc(310, 1, 0, 0, 0, 0, 0), sc(298, 0, 0, -1, -1, 0))`,
      );
      expect(r.status).toBe("ok");
      expect(r.stdout.trim().split(" ")).toEqual(Array(7).fill("-1/1"));
    },
  );

  it.skipIf(process.arch !== "x64")(
    "a syscall through the i386 ABI (int 0x80) kills the process",
    async () => {
      const r = await run(
        `import ctypes, mmap
code = b"\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3"  # mov eax, 20 (getpid); int 0x80; ret
buf = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
buf.write(code)
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
print("calling", flush=True)
print(ctypes.CFUNCTYPE(ctypes.c_int)(addr)())`,
      );
      expect(r.stdout).toBe("calling\n");
      expect(r.status).toBe("killed");
      expect(r.exitCode).toBe(128 + 31); // SIGSYS
    },
  );
});

describe("sandbox attacks: network", () => {
  it("cannot reach the host's loopback, other hosts, or host unix sockets", async () => {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const sock = path.join(hostDir, "host.sock");
    const unix = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => unix.listen(sock, r));
    try {
      const r = await run(
        `import socket
def attempt(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(addr)
        return "connected"
    except OSError as e:
        return f"{type(e).__name__}:{e.errno}"
print(attempt(socket.AF_INET, ("127.0.0.1", ${port})))
print(attempt(socket.AF_INET, ("1.1.1.1", 53)))
print(attempt(socket.AF_INET6, ("::1", ${port})))
print(attempt(socket.AF_UNIX, ${JSON.stringify(sock)}))
try:
    socket.getaddrinfo("example.com", 80)
    print("resolved")
except OSError as e:
    print("no dns")
print(sorted(n for _, n in socket.if_nameindex()))`,
      );
      expect(r.status).toBe("ok");
      const [loop, external, loop6, unixResult, dns, ifaces] = lines(r);
      expect(loop).toBe("ConnectionRefusedError:111");
      expect(external).toBe("OSError:101"); // ENETUNREACH: no route out of the empty namespace
      expect(loop6).not.toBe("connected");
      expect(unixResult).toBe("FileNotFoundError:2");
      expect(dns).toBe("no dns");
      expect(ifaces).toBe("['lo']");
      expect(connections).toBe(0);
    } finally {
      server.close();
      unix.close();
    }
  });
});

describe("sandbox attacks: output", () => {
  it("megabytes on one line: capped head and tail, marked truncated", async () => {
    const r = await run("import sys\nsys.stdout.write('a' * 4_000_000 + 'END')");
    expect(r.status).toBe("ok");
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBeLessThan((1 << 20) + 100);
    expect(r.stdout.startsWith("aaaa")).toBe(true);
    expect(r.stdout.endsWith("aEND")).toBe(true);
    expect(r.stdout).toMatch(/\.\.\.\[\d+ bytes truncated\]\.\.\./);
  });

  it("megabytes in many lines: the tail keeps the last lines", async () => {
    const r = await run("for i in range(1_500_000):\n    print(i)");
    expect(r.status).toBe("ok");
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith("0\n1\n2\n")).toBe(true);
    expect(r.stdout.endsWith("1499998\n1499999\n")).toBe(true);
  });

  it("an endless flood is killed once it passes the kill threshold, long before the timeout", async () => {
    const r = await run("import sys\nwhile True:\n    sys.stdout.write('y' * 65536)", 20_000);
    expect(r.status).toBe("killed");
    expect(r.limit).toBe("outputKillBytes");
    expect(r.truncated).toBe(true);
    expect(r.ms).toBeLessThan(10_000);
  });

  it("invalid UTF-8 becomes U+FFFD, on stdout and stderr", async () => {
    const r = await run(
      "import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe \\xc3(')\nsys.stderr.buffer.write(b'\\x80err')",
    );
    expect(r.status).toBe("ok");
    expect(r.stdout).toBe("ok \uFFFD\uFFFD \uFFFD(");
    expect(r.stderr).toBe("\uFFFDerr");
  });
});
