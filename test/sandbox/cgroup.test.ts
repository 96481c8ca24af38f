/**
 * The sandbox's memory cgroup: detection (table-tested on fake /proc and /sys trees), and on a host where this
 * process may create memory cgroups (root on a v1/hybrid host, or a delegated v2 subtree) real executions that
 * the cgroup must stop, with the per-execution cgroup gone afterwards. Elsewhere those tests are skipped and the
 * fallback (RLIMIT_AS, the watchdog, the seccomp denials) is what attacks.test.ts exercises.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CGROUP_PREFIX,
  cgroupSetting,
  describeEnforcement,
  detectCgroup,
  parseMountinfo,
  parseProcCgroup,
  SandboxCgroup,
  sweepStale,
} from "../../src/sandbox/cgroup.js";
import { SandboxError, SandboxPool, type SandboxResult } from "../../src/sandbox/index.js";

describe("cgroup detection (fake /proc and /sys)", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "still-cgroup-fake-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function fakeHost(
    name: string,
    procCgroup: string,
    mountinfo: string,
    files: Record<string, string>,
  ): string {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, "proc/self"), { recursive: true });
    writeFileSync(path.join(dir, "proc/self/cgroup"), procCgroup);
    writeFileSync(path.join(dir, "proc/self/mountinfo"), mountinfo);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }

  const V2_MOUNT = "30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

  it("parses mountinfo and /proc/self/cgroup", () => {
    const mounts = parseMountinfo(
      `${V2_MOUNT}31 22 0:27 /docker/abc /sys/fs/cgroup/mem\\040ory rw shared:5 - cgroup cgroup rw,memory\n`,
    );
    expect(mounts).toEqual([
      { root: "/", mountPoint: "/sys/fs/cgroup", fsType: "cgroup2", superOptions: ["rw", "nsdelegate"] },
      {
        root: "/docker/abc",
        mountPoint: "/sys/fs/cgroup/mem ory",
        fsType: "cgroup",
        superOptions: ["rw", "memory"],
      },
    ]);
    expect(parseProcCgroup("4:memory:/a/b\n1:cpu,cpuacct:/\n0::/user.slice\n")).toEqual([
      { controllers: ["memory"], path: "/a/b" },
      { controllers: ["cpu", "cpuacct"], path: "/" },
      { controllers: [], path: "/user.slice" },
    ]);
  });

  it("off is off, whatever the host has", () => {
    expect(detectCgroup("off")).toEqual({ plan: null, reason: "cgroups are turned off (cgroup: off)" });
    const e = describeEnforcement(detectCgroup("off"));
    expect(e.cgroup).toBeNull();
    expect(e.detail).toMatch(/^no cgroup \(cgroups are turned off.*RLIMIT_AS.*watchdog.*seccomp/);
  });

  it("v2 without the memory controller delegated: not usable, says why", () => {
    const host = fakeHost("v2-no-memory", "0::/user.slice/me\n", V2_MOUNT, {
      "sys/fs/cgroup/user.slice/me/cgroup.controllers": "cpu pids\n",
      "sys/fs/cgroup/user.slice/me/cgroup.subtree_control": "\n",
    });
    const found = detectCgroup("auto", host);
    expect(found.plan).toBeNull();
    expect(found.reason).toMatch(/cgroup v2 .*user\.slice\/me has no memory controller/);
  });

  it("v2 with memory enabled for children but no real cgroupfs under it: the probe refuses it", () => {
    const host = fakeHost("v2-fake", "0::/svc\n", V2_MOUNT, {
      "sys/fs/cgroup/svc/cgroup.controllers": "memory pids\n",
      "sys/fs/cgroup/svc/cgroup.subtree_control": "memory pids\n",
    });
    const found = detectCgroup("auto", host);
    expect(found.plan).toBeNull();
    // A plain directory's child has no memory.max: only a cgroup filesystem makes one.
    expect(found.reason).toMatch(/gives its children no memory\.max/);
  });

  it("a cgroup the mount cannot reach, or no hierarchy at all: not usable", () => {
    const other = fakeHost(
      "v1-elsewhere",
      "4:memory:/elsewhere\n",
      "31 22 0:27 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
      {},
    );
    expect(detectCgroup("auto", other)).toEqual({
      plan: null,
      reason: "no cgroup hierarchy with a memory controller is mounted",
    });
    const none = fakeHost("none", "", "", {});
    expect(detectCgroup("auto", none).plan).toBeNull();
  });

  it("an explicit path that is no cgroup is an error at pool creation, not a silent fallback", async () => {
    expect(detectCgroup("relative/path").reason).toMatch(/must be an absolute path/);
    expect(detectCgroup(root).reason).toMatch(/neither a cgroup v2 directory nor a v1 memory cgroup/);
    await expect(SandboxPool.create({ cgroup: root, concurrency: 1, prestart: false })).rejects.toThrow(
      SandboxError,
    );
  });

  it("STILL_SANDBOX_CGROUP is the default setting; the pool's option wins", () => {
    const saved = process.env.STILL_SANDBOX_CGROUP;
    try {
      process.env.STILL_SANDBOX_CGROUP = "off";
      expect(cgroupSetting(undefined)).toBe("off");
      expect(cgroupSetting("auto")).toBe("auto");
      delete process.env.STILL_SANDBOX_CGROUP;
      expect(cgroupSetting(undefined)).toBe("auto");
    } finally {
      if (saved === undefined) delete process.env.STILL_SANDBOX_CGROUP;
      else process.env.STILL_SANDBOX_CGROUP = saved;
    }
  });
});

const usable = detectCgroup("auto").plan;

/** The sandbox's own memory cgroup name, as its /proc/self/cgroup shows it (relative to the namespace root). */
const PRINT_CGROUP = `for line in open("/proc/self/cgroup"):
    if ":memory:" in line or line.startswith("0::"):
        name = line.strip().rsplit("/", 1)[-1]
        if name.startswith("${CGROUP_PREFIX}"):
            print("cgroup", name, flush=True)`;

function cgroupName(r: SandboxResult): string {
  const m = new RegExp(`^cgroup (${CGROUP_PREFIX}[0-9a-f]+)$`, "m").exec(r.stdout);
  expect(m, `no cgroup line in ${JSON.stringify(r.stdout)}`).not.toBeNull();
  return m![1]!;
}

/** The execution's cgroup directories are gone (memory, and pids under v1). */
function expectRemoved(name: string): void {
  expect(existsSync(path.join(usable!.memoryParent, name))).toBe(false);
  if (usable!.pidsParent !== null) expect(existsSync(path.join(usable!.pidsParent, name))).toBe(false);
}

describe.skipIf(usable === null)("a memory cgroup per execution (this host allows them)", () => {
  let pool: SandboxPool;
  let fallback: SandboxPool;
  beforeAll(async () => {
    // The work dir is far larger than the memory limit: only a cgroup counts what is written there.
    const limits = { memoryMb: 200, workDirMb: 512, maxProcesses: 24, concurrency: 1 };
    pool = await SandboxPool.create({ ...limits, cgroup: "auto" });
    fallback = await SandboxPool.create({ ...limits, cgroup: "off" });
  });
  afterAll(() => {
    pool?.close();
    fallback?.close();
  });

  it("the pool says a cgroup enforces memory; the fallback says why not", () => {
    expect(pool.memory.cgroup).toEqual(usable);
    expect(pool.memory.detail).toMatch(/^cgroup v[12]: one memory cgroup per execution under /);
    expect(fallback.memory.cgroup).toBeNull();
    expect(fallback.memory.detail).toMatch(/^no cgroup \(cgroups are turned off/);
  });

  it("each execution runs in a cgroup of its own, removed when it ends", async () => {
    const a = await pool.run(PRINT_CGROUP);
    const b = await pool.run(PRINT_CGROUP);
    expect(a.status).toBe("ok");
    expect(cgroupName(a)).not.toBe(cgroupName(b));
    expectRemoved(cgroupName(a));
    expectRemoved(cgroupName(b));
    const off = await fallback.run(`${PRINT_CGROUP}\nprint("done")`);
    expect(off.stdout).toBe("done\n");
  });

  it("bytearrays across processes, each under RLIMIT_AS, past memory_mb together: the cgroup's OOM kill, status memory", async () => {
    const code = `${PRINT_CGROUP}
import os, time
for _ in range(4):
    if os.fork() == 0:
        block = bytearray(120 * 2**20)
        time.sleep(30)
        os._exit(0)
time.sleep(30)
print("held")`;
    const before = pool.cgroupOomKills;
    const r = await pool.run(code, { timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: "memory", limit: "memoryMb", exitCode: null });
    expect(r.stdout).not.toContain("held");
    expect(pool.cgroupOomKills).toBe(before + 1);
    expect(r.ms).toBeLessThan(10_000);
    expectRemoved(cgroupName(r));
    // The fallback still stops it (the resident-memory watchdog), with no cgroup involved.
    const f = await fallback.run(code, { timeoutMs: 20_000 });
    expect(f).toMatchObject({ status: "memory", limit: "memoryMb" });
    expect(fallback.cgroupOomKills).toBe(0);
  });

  it("files in the tmpfs work dir (resident in no process: the watchdog never sees them) count against memory_mb", async () => {
    // 450 MiB in 15 MiB files (each under RLIMIT_FSIZE) in a 512 MiB tmpfs, under memory_mb: 200.
    const r = await pool.run(
      `${PRINT_CGROUP}
for i in range(30):
    with open(f"/sandbox/f{i}", "wb") as f:
        f.write(b"x" * 15 * 2**20)
print("held")`,
      { timeoutMs: 20_000 },
    );
    expect(r).toMatchObject({ status: "memory", limit: "memoryMb" });
    expect(r.stdout).not.toContain("held");
    expectRemoved(cgroupName(r));
  });

  it("one allocation past memory_mb is still a MemoryError (RLIMIT_AS stays in force)", async () => {
    const r = await pool.run("x = bytearray(300 * 2**20)");
    expect(r).toMatchObject({ status: "memory", limit: "memoryMb" });
    expect(r.stderr.trim().split("\n").pop()).toMatch(/MemoryError/);
  });

  it("the seccomp denials stay in force with a cgroup (memfd_create)", async () => {
    const r = await pool.run('import os\nos.memfd_create("x")');
    expect(r.status).toBe("error");
    expect(r.stderr.trim().split("\n").pop()).toMatch(/^PermissionError/);
  });

  it.skipIf(usable?.pidsParent === null)("pids: the cgroup's pids.max is max_processes", async () => {
    const r = await pool.run(
      `${PRINT_CGROUP}
import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(10)
            os._exit(0)
        n += 1
except OSError as e:
    print("blocked", n, e.errno)`,
    );
    expect(r.status).toBe("ok");
    expect(r.stdout).toMatch(/^blocked (\d+) 11$/m);
    expect(Number(/^blocked (\d+)/m.exec(r.stdout)![1])).toBeLessThan(24);
    expectRemoved(cgroupName(r));
  });

  it("a killed execution (timeout) and a crashed one leave no cgroup behind", async () => {
    const t = await pool.run(`${PRINT_CGROUP}\nimport time\ntime.sleep(60)`, { timeoutMs: 1000 });
    expect(t.status).toBe("timeout");
    expectRemoved(cgroupName(t));
    const c = await pool.run(`${PRINT_CGROUP}\nimport ctypes\nctypes.string_at(0)`);
    expect(c.status).toBe("killed");
    expectRemoved(cgroupName(c));
  });

  it("isolation none gets a cgroup too; what it leaves running is killed and the cgroup removed", async () => {
    const none = await SandboxPool.create({
      isolation: "none",
      memoryMb: 200,
      concurrency: 1,
      cgroup: "auto",
      warn: () => {},
    });
    try {
      const r = await none.run(
        `import os, time
for _ in range(4):
    if os.fork() == 0:
        block = bytearray(120 * 2**20)
        time.sleep(30)
        os._exit(0)
time.sleep(30)`,
        { timeoutMs: 20_000 },
      );
      expect(r).toMatchObject({ status: "memory", limit: "memoryMb" });
      expect(none.cgroupOomKills).toBe(1);
      // A daemonised grandchild escapes the process group that a kill under \`none\` reaches, not the cgroup.
      const d = await none.run(
        `${PRINT_CGROUP}
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(30)
    os._exit(0)
print("parent")`,
      );
      expect(d.status).toBe("ok");
      const name = cgroupName(d);
      const deadline = Date.now() + 3000;
      while (existsSync(path.join(usable!.memoryParent, name)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expectRemoved(name);
    } finally {
      none.close();
    }
  });

  it("a pool of its own parent cgroup leaves it empty once closed (executions' and waiting sandboxes' cgroups)", async () => {
    const parent = path.join(usable!.memoryParent, `still-test-${process.pid}`);
    mkdirSync(parent);
    try {
      const own = await SandboxPool.create({ concurrency: 2, cgroup: parent });
      expect(own.memory.cgroup?.memoryParent).toBe(parent);
      const rs = await Promise.all([
        own.run(PRINT_CGROUP),
        own.run(`${PRINT_CGROUP}\nimport time\ntime.sleep(60)`, { timeoutMs: 500 }),
        own.run(`${PRINT_CGROUP}\nraise ValueError`),
      ]);
      expect(rs.map((r) => r.status)).toEqual(["ok", "timeout", "error"]);
      // The two sandboxes waiting for the next executions are in cgroups of their own already.
      expect(readdirSync(parent).filter((n) => n.startsWith(CGROUP_PREFIX)).length).toBe(2);
      own.close();
      expect(readdirSync(parent).filter((n) => n.startsWith(CGROUP_PREFIX))).toEqual([]);
    } finally {
      rmdirSync(parent);
    }
  });

  it("cgroups left by a process that died are swept; fresh or busy ones are not", () => {
    const cg = SandboxCgroup.create(usable!, 64 << 20, 8);
    const name = path.basename(cg.memoryDir);
    expect(sweepStale(usable!, Date.now())).toBe(0);
    expect(existsSync(cg.memoryDir)).toBe(true);
    expect(sweepStale(usable!, Date.now() + 120_000)).toBeGreaterThanOrEqual(1);
    expectRemoved(name);
  });
});
