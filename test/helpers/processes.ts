import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Pids of live processes whose environment carries `KEY=value` (a run's or a test Ray head's marker). */
export function processesWith(key: string, value: string): number[] {
  const needle = `${key}=${value}\0`;
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return [];
    try {
      return readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle) ? [Number(entry)] : [];
    } catch {
      return []; // gone, or not ours
    }
  });
}

/** Waits up to `withinMs` for the marked processes to end; returns those still alive. */
export async function gone(key: string, value: string, withinMs: number): Promise<number[]> {
  const until = Date.now() + withinMs;
  let left = processesWith(key, value);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    left = processesWith(key, value);
  }
  return left;
}

/**
 * Pids of live processes holding a file under `dir` open (a test Ray head's processes, by its --temp-dir: Ray's
 * agents overwrite their environment with their process title, so a marker there cannot be read back).
 */
export function processesUsing(dir: string): number[] {
  const prefix = `${dir}/`;
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return [];
    try {
      return readdirSync(`/proc/${entry}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${entry}/fd/${fd}`).startsWith(prefix);
        } catch {
          return false;
        }
      })
        ? [Number(entry)]
        : [];
    } catch {
      return []; // gone, or not ours
    }
  });
}
