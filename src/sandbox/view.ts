import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { viewArgs } from "./bwrap-args.js";

/**
 * The root-only mount "view" (see viewArgs): a bwrap process that holds a private mount namespace until its
 * stdin closes, so it also goes away when this process dies. Sandboxes enter it with nsenter.
 */
export class MountView {
  private constructor(
    private readonly child: ChildProcess,
    /** Host pid of a process inside the view: /proc/<pid>/ns/mnt is the namespace. */
    readonly pid: number,
    /** Absolute path of nsenter, which starts the sandboxes inside the view. */
    readonly nsenter: string,
  ) {}

  static async start(bwrap: string, nsenter: string, hide: string[], binds: string[]): Promise<MountView> {
    const child = spawn(bwrap, viewArgs(hide, binds), { env: {}, stdio: ["pipe", "pipe", "pipe"] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n");
        if (line.length > 1) resolve(Number(line[0]));
      });
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
      });
      child.on("error", (e) => reject(new Error(`cannot start bwrap: ${e.message}`)));
      child.on("exit", (code) =>
        reject(new Error(`the sandbox mount view exited (code ${code}): ${err.trim() || "no message"}`)),
      );
    });
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr] as (Readable | Writable | null)[]) {
      (s as unknown as { unref?: () => void } | null)?.unref?.();
    }
    return new MountView(child, pid, nsenter);
  }

  /**
   * Mount, inside the view only, a read-only overlay of `source` (a venv's site-packages) on `target` (an empty
   * host directory), for the sandbox to bind from instead of `source` itself. A bind mount shows its source's path
   * within its filesystem in the sandbox's /proc/self/mountinfo (e.g. /work/project/.venv/lib/…); an overlay's
   * root is its own, and its layers are given as /proc/self/fd/N (opened by the shell that runs mount), which is
   * all mountinfo then shows of them. `empty` is an empty directory: an overlay with no upper layer needs two
   * lower ones. Rejects when the mount fails (the caller binds `source` directly then).
   */
  overlay(source: string, empty: string, target: string): Promise<void> {
    const script =
      'exec 3<"$1" 4<"$2" || exit 1; exec mount -t overlay overlay -o ro,lowerdir=/proc/self/fd/3:/proc/self/fd/4 "$3"';
    const child = spawn(
      this.nsenter,
      [`--mount=/proc/${this.pid}/ns/mnt`, "--", "/bin/sh", "-c", script, "sh", source, empty, target],
      { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    return new Promise((resolve, reject) => {
      let err = "";
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
      });
      child.on("error", (e) => reject(e));
      child.on("close", (code) =>
        code === 0 ? resolve() : reject(new Error(err.trim() || `mount exited with code ${code}`)),
      );
    });
  }

  /** nsenter argv prefix that runs a command inside the view as (uid, gid), supplementary groups cleared. */
  enter(uid: number, gid: number): string[] {
    return [`--mount=/proc/${this.pid}/ns/mnt`, "-S", String(uid), "-G", String(gid), "--"];
  }

  /**
   * Ends the process inside the view first, so that bwrap reaps it and exits: killing bwrap first would leave
   * that process to the host's init, a zombie when `still` is that init.
   */
  close(): void {
    this.child.stdin?.end();
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }
}
