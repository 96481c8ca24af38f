/**
 * Memory (and process) limits enforced by the kernel: each sandbox execution runs in a child cgroup of its own
 * with the memory limit set to `memory_mb` (swap included), so every page the snippet's processes cause — heap,
 * page cache, tmpfs files, kernel memory — counts, and going past it gets an OOM kill, reported as status
 * `memory`. Used where a cgroup is usable:
 *
 * - v2: this process's cgroup (or the one configured) has `memory` in cgroup.subtree_control and we may create
 *   children in it (a delegated subtree);
 * - v1: the memory hierarchy's directory for this process is writable (root on a v1 or hybrid host).
 *
 * Otherwise memory is bounded as before (RLIMIT_AS, the resident-memory watchdog, and the seccomp denials of
 * memory kinds neither sees), which stay in force with a cgroup too.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

/** `auto`: use a cgroup when one is usable; `off`: never; an absolute path: that parent cgroup, or fail. */
export type CgroupSetting = "auto" | "off" | string;

export interface CgroupPlan {
  version: 1 | 2;
  /** Directory the per-execution memory cgroups are created in (v2: also the pids one). */
  memoryParent: string;
  /** v1: the pids hierarchy's directory for them; v2: memoryParent when pids is enabled; null: no pids limit. */
  pidsParent: string | null;
}

/** What enforces the sandbox's memory limit, for `still doctor` and the pool. */
export interface MemoryEnforcement {
  cgroup: CgroupPlan | null;
  /** One line: what is in effect and, without a cgroup, why not. */
  detail: string;
}

/** Names of the per-execution cgroups (the random part keeps the host's pids out of the sandbox's view). */
export const CGROUP_PREFIX = "still-sandbox-";
/** An empty cgroup of ours older than this was left by a process that died: removed when a pool is created. */
const STALE_MS = 60_000;

const FALLBACK =
  "RLIMIT_AS per process, a resident-memory watchdog over all processes, memfd/SysV/shared-anonymous memory denied by seccomp";

interface MountEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Parse /proc/self/mountinfo (only the fields this needs). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    if (left.length < 5 || right.length < 3) continue;
    out.push({
      root: unescapeMount(left[3]!),
      mountPoint: unescapeMount(left[4]!),
      fsType: right[0]!,
      superOptions: right[2]!.split(","),
    });
  }
  return out;
}

/** Parse /proc/self/cgroup: controller list ("" for v2) → path. */
export function parseProcCgroup(text: string): { controllers: string[]; path: string }[] {
  const out: { controllers: string[]; path: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.push({ controllers: m[1] === "" ? [] : m[1]!.split(","), path: m[2]! });
  }
  return out;
}

/** Host directory of cgroup `cgPath` in the hierarchy mounted by `mount`, or null when that mount cannot reach it. */
function cgroupDir(mount: MountEntry, cgPath: string): string | null {
  const root = mount.root === "/" ? "" : mount.root;
  if (cgPath !== mount.root && !cgPath.startsWith(`${root}/`)) return null;
  return path.join(mount.mountPoint, cgPath.slice(root.length));
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

/** Create and remove one probe child with a limit written: the only reliable test of "usable". */
function probe(parent: string, file: string, value = String(64 << 20)): string | null {
  const dir = path.join(parent, `${CGROUP_PREFIX}probe-${randomBytes(4).toString("hex")}`);
  try {
    mkdirSync(dir);
  } catch (err) {
    return `cannot create a cgroup in ${parent} (${errText(err)})`;
  }
  try {
    if (!existsSync(path.join(dir, file))) return `${parent} gives its children no ${file}`;
    writeFileSync(path.join(dir, file), value);
    return null;
  } catch (err) {
    return `cannot set ${file} in ${parent} (${errText(err)})`;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      // the sweep removes it next time
    }
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "latin1");
  } catch {
    return null;
  }
}

function v2Plan(dir: string): { plan: CgroupPlan | null; reason: string } {
  const subtree = readText(path.join(dir, "cgroup.subtree_control"));
  if (subtree === null) return { plan: null, reason: `${dir} is not a cgroup v2 directory` };
  let enabled = subtree.trim().split(/\s+/);
  if (!enabled.includes("memory")) {
    const available = (readText(path.join(dir, "cgroup.controllers")) ?? "").trim().split(/\s+/);
    if (!available.includes("memory")) {
      return { plan: null, reason: `cgroup v2 ${dir} has no memory controller (not delegated to it)` };
    }
    // Enabling works only in a cgroup with no processes of its own (a delegated subtree's parent).
    try {
      writeFileSync(path.join(dir, "cgroup.subtree_control"), "+memory");
      if (available.includes("pids")) writeFileSync(path.join(dir, "cgroup.subtree_control"), "+pids");
    } catch (err) {
      return {
        plan: null,
        reason: `cgroup v2 ${dir}: the memory controller is not enabled for its children (${errText(err)})`,
      };
    }
    enabled = (readText(path.join(dir, "cgroup.subtree_control")) ?? "").trim().split(/\s+/);
  }
  const failed = probe(dir, "memory.max");
  if (failed !== null) return { plan: null, reason: failed };
  const pids = enabled.includes("pids") ? dir : null;
  return { plan: { version: 2, memoryParent: dir, pidsParent: pids }, reason: "" };
}

function v1PidsParent(mounts: MountEntry[], cgroups: ReturnType<typeof parseProcCgroup>): string | null {
  const mount = mounts.find((m) => m.fsType === "cgroup" && m.superOptions.includes("pids"));
  const own = cgroups.find((c) => c.controllers.includes("pids"));
  if (!mount || !own) return null;
  const dir = cgroupDir(mount, own.path);
  return dir !== null && probe(dir, "pids.max", "64") === null ? dir : null;
}

/**
 * Find the cgroup the sandbox's executions can run in. `fsRoot` prefixes every path read (tests build a fake
 * /proc and /sys under it); the returned directories include it.
 */
export function detectCgroup(
  setting: CgroupSetting = "auto",
  fsRoot = "",
): { plan: CgroupPlan | null; reason: string } {
  if (setting === "off") return { plan: null, reason: "cgroups are turned off (cgroup: off)" };
  const procCgroup = readText(`${fsRoot}/proc/self/cgroup`);
  const mountinfo = readText(`${fsRoot}/proc/self/mountinfo`);
  const cgroups = parseProcCgroup(procCgroup ?? "");
  const mounts = parseMountinfo(mountinfo ?? "").map((m) => ({
    ...m,
    mountPoint: fsRoot + m.mountPoint,
  }));
  if (setting !== "auto") {
    const dir = fsRoot + setting;
    if (!path.isAbsolute(setting)) {
      return { plan: null, reason: `the sandbox cgroup must be an absolute path, got ${setting}` };
    }
    if (existsSync(path.join(dir, "cgroup.controllers"))) return v2Plan(dir);
    if (existsSync(path.join(dir, "memory.limit_in_bytes"))) {
      const failed = probe(dir, "memory.limit_in_bytes");
      if (failed !== null) return { plan: null, reason: failed };
      return {
        plan: { version: 1, memoryParent: dir, pidsParent: v1PidsParent(mounts, cgroups) },
        reason: "",
      };
    }
    return { plan: null, reason: `${setting} is neither a cgroup v2 directory nor a v1 memory cgroup` };
  }
  if (procCgroup === null || mountinfo === null) return { plan: null, reason: "no /proc/self/cgroup" };
  const reasons: string[] = [];
  const v2 = cgroups.find((c) => c.controllers.length === 0);
  const v2Mount = mounts.find((m) => m.fsType === "cgroup2");
  if (v2 && v2Mount) {
    const dir = cgroupDir(v2Mount, v2.path);
    if (dir !== null) {
      const found = v2Plan(dir);
      if (found.plan) return found;
      reasons.push(found.reason);
    }
  }
  const v1 = cgroups.find((c) => c.controllers.includes("memory"));
  const v1Mount = mounts.find((m) => m.fsType === "cgroup" && m.superOptions.includes("memory"));
  if (v1 && v1Mount) {
    const dir = cgroupDir(v1Mount, v1.path);
    if (dir !== null) {
      const failed = probe(dir, "memory.limit_in_bytes");
      if (failed === null) {
        return {
          plan: { version: 1, memoryParent: dir, pidsParent: v1PidsParent(mounts, cgroups) },
          reason: "",
        };
      }
      reasons.push(failed);
    }
  }
  if (reasons.length === 0) reasons.push("no cgroup hierarchy with a memory controller is mounted");
  return { plan: null, reason: reasons.join("; ") };
}

/** The setting in effect: the pool's option, else STILL_SANDBOX_CGROUP, else auto. */
export function cgroupSetting(option: CgroupSetting | undefined): CgroupSetting {
  return option ?? (process.env.STILL_SANDBOX_CGROUP?.trim() || "auto");
}

/** Describe a detection result in one line. */
export function describeEnforcement(found: { plan: CgroupPlan | null; reason: string }): MemoryEnforcement {
  const { plan } = found;
  if (plan === null) return { cgroup: null, detail: `no cgroup (${found.reason}): ${FALLBACK}` };
  const pids = plan.pidsParent === null ? "no pids controller" : "pids limited too";
  return {
    cgroup: plan,
    detail: `cgroup v${plan.version}: one memory cgroup per execution under ${plan.memoryParent} (${pids}), plus ${FALLBACK}`,
  };
}

/**
 * Remove cgroups of ours that a process which died left behind: empty ones (rmdir fails on a cgroup holding
 * processes) created more than a minute ago (a fresh one may be about to receive its process).
 */
export function sweepStale(plan: CgroupPlan, now = Date.now()): number {
  let removed = 0;
  for (const parent of new Set([plan.memoryParent, plan.pidsParent])) {
    if (parent === null) continue;
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of entries) {
      if (!name.startsWith(CGROUP_PREFIX)) continue;
      const dir = path.join(parent, name);
      try {
        if (now - statSync(dir).mtimeMs < STALE_MS) continue;
        rmdirSync(dir);
        removed++;
      } catch {
        // in use, or not ours to remove
      }
    }
  }
  return removed;
}

/** Cgroups of this process not removed yet: removed at exit (what they still hold is killed first). */
const live = new Set<SandboxCgroup>();
process.once("exit", () => {
  if (live.size === 0) return;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let tries = 0; live.size > 0 && tries < 20; tries++) {
    for (const cg of live) {
      if (!cg.removeNow()) cg.killRemaining();
    }
    // Killed processes take a moment to leave their cgroup; "exit" handlers cannot wait asynchronously.
    if (live.size > 0) Atomics.wait(pause, 0, 0, 10);
  }
});

/** How long removal is retried while the cgroup still holds exiting processes. */
const REMOVE_TRIES = 40;
const REMOVE_RETRY_MS = 50;

/** One execution's cgroup(s): created with the limits set, joined by the sandbox's first process, removed after. */
export class SandboxCgroup {
  private removed = false;

  private constructor(
    readonly plan: CgroupPlan,
    /** The memory cgroup's directory (v2: also the pids one). */
    readonly memoryDir: string,
    /** v1: the pids cgroup's directory, when there is one. */
    readonly pidsDir: string | null,
  ) {}

  /**
   * Make the cgroup(s) with the limits written; throws (having removed what it made) when that fails. Synchronous
   * (well under a millisecond): a cgroup of this process is then always known to it, so closing a pool can remove
   * it before returning. Only joining it (join) waits on the kernel.
   */
  static create(plan: CgroupPlan, memoryBytes: number, maxProcesses: number): SandboxCgroup {
    const name = CGROUP_PREFIX + randomBytes(8).toString("hex");
    const memoryDir = path.join(plan.memoryParent, name);
    const pidsDir = plan.version === 1 && plan.pidsParent !== null ? path.join(plan.pidsParent, name) : null;
    mkdirSync(memoryDir);
    const cg = new SandboxCgroup(plan, memoryDir, pidsDir);
    live.add(cg);
    try {
      const bytes = String(Math.floor(memoryBytes));
      if (plan.version === 2) {
        writeFileSync(path.join(memoryDir, "memory.max"), bytes);
        cg.writeIfPresent(memoryDir, "memory.swap.max", "0");
        // An OOM kill takes every process of the execution, as the watchdog's kill does.
        cg.writeIfPresent(memoryDir, "memory.oom.group", "1");
        if (plan.pidsParent !== null) cg.writeIfPresent(memoryDir, "pids.max", String(maxProcesses));
      } else {
        writeFileSync(path.join(memoryDir, "memory.limit_in_bytes"), bytes);
        // memsw (memory + swap) exists only with swap accounting; it must not be below the memory limit.
        cg.writeIfPresent(memoryDir, "memory.memsw.limit_in_bytes", bytes);
        if (pidsDir !== null) {
          mkdirSync(pidsDir);
          writeFileSync(path.join(pidsDir, "pids.max"), String(maxProcesses));
        }
      }
    } catch (err) {
      cg.removeNow();
      throw err;
    }
    return cg;
  }

  private writeIfPresent(dir: string, file: string, value: string): void {
    if (existsSync(path.join(dir, file))) writeFileSync(path.join(dir, file), value);
  }

  /** Move process `pid` (and so everything it starts later) into the cgroup(s). */
  async join(pid: number): Promise<void> {
    await writeFile(path.join(this.memoryDir, "cgroup.procs"), String(pid));
    if (this.pidsDir !== null) await writeFile(path.join(this.pidsDir, "cgroup.procs"), String(pid));
  }

  /**
   * Bytes charged to the cgroup now, less the file cache the kernel would reclaim before an OOM kill (files read
   * are charged too); tmpfs files stay in (they sit on the anonymous lists). 0 when it cannot be read.
   */
  usage(): number {
    const file = this.plan.version === 2 ? "memory.current" : "memory.usage_in_bytes";
    const charged = Number(readText(path.join(this.memoryDir, file))) || 0;
    const stat = readText(path.join(this.memoryDir, "memory.stat")) ?? "";
    let cache = 0;
    for (const m of stat.matchAll(/^(?:in)?active_file (\d+)$/gm)) cache += Number(m[1]);
    return Math.max(0, charged - cache);
  }

  /** How many processes the kernel's OOM killer ended in this cgroup. */
  oomKills(): number {
    const file = this.plan.version === 2 ? "memory.events" : "memory.oom_control";
    const m = /^oom_kill (\d+)/m.exec(readText(path.join(this.memoryDir, file)) ?? "");
    return m ? Number(m[1]) : 0;
  }

  /** Try to remove the cgroup(s) now; false while processes are still in them. */
  removeNow(): boolean {
    let ok = true;
    for (const dir of [this.pidsDir, this.memoryDir]) {
      if (dir === null) continue;
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") ok = false;
      }
    }
    if (ok) live.delete(this);
    return ok;
  }

  /**
   * SIGKILL whatever is still in the cgroup. Under bwrap nothing is (the pid namespace died with its PID 1); under
   * `isolation: none` a daemonised grandchild (setsid, outside the killed process group) can be.
   */
  killRemaining(): void {
    if (this.plan.version === 2 && existsSync(path.join(this.memoryDir, "cgroup.kill"))) {
      try {
        writeFileSync(path.join(this.memoryDir, "cgroup.kill"), "1");
        return;
      } catch {
        // fall through to one signal each
      }
    }
    for (const pid of (readText(path.join(this.memoryDir, "cgroup.procs")) ?? "").split("\n")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
  }

  /**
   * Kill what is left in the cgroup(s) and remove them. The sandbox's PID 1 has been reaped when this is called,
   * and with it every process of its pid namespace, so this normally succeeds at once (synchronously); while
   * killed processes are still exiting it is retried briefly, and once more at exit.
   */
  remove(): Promise<void> {
    if (this.removed) return Promise.resolve();
    this.removed = true;
    return new Promise((resolve) => {
      let tries = 0;
      const attempt = () => {
        if (this.removeNow()) return resolve();
        this.killRemaining();
        if (++tries >= REMOVE_TRIES) resolve();
        else setTimeout(attempt, REMOVE_RETRY_MS).unref();
      };
      attempt();
    });
  }
}
