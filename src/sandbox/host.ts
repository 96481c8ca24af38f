/** Facts about the host filesystem that shape the sandbox's mounts. */
import { accessSync, constants, existsSync, lstatSync, readlinkSync, type Stats, statSync } from "node:fs";
import path from "node:path";
import { type HostLayout, TOP_LEVEL_DIRS, type TopLevelEntry } from "./bwrap-args.js";

export function hostLayout(): HostLayout {
  const topLevel: Record<string, TopLevelEntry> = {};
  for (const dir of TOP_LEVEL_DIRS) {
    let st: Stats;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) topLevel[dir] = { kind: "symlink", target: readlinkSync(dir) };
    else if (st.isDirectory()) topLevel[dir] = { kind: "dir" };
  }
  return { topLevel, ldCache: existsSync("/etc/ld.so.cache") };
}

/** Whether (uid, gid, no supplementary groups) may search directory `st` (ignoring ACLs). */
function searchable(st: Stats, uid: number, gid: number): boolean {
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  if (st.gid === gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * For each path, the topmost ancestor directory that (uid, gid) cannot traverse, e.g. /root (mode 700) for a
 * pyenv interpreter installed by root. Empty when every path is reachable.
 */
export function unreachableAncestors(paths: string[], uid: number, gid: number): string[] {
  const found = new Set<string>();
  for (const p of paths) {
    const parts = path.resolve(p).split(path.sep).filter(Boolean);
    let cur = "/";
    for (const part of parts.slice(0, -1)) {
      cur = path.join(cur, part);
      if (!searchable(statSync(cur), uid, gid)) {
        found.add(cur);
        break;
      }
    }
  }
  return [...found].sort();
}

/** Absolute path of a program on $PATH (resolved once, so the sandbox's empty environment needs no PATH). */
export function findProgram(name: string): string | null {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
