/**
 * What the process that starts `still` leaves behind must not reach model-written code, and what the sandbox
 * starts must not be left to the host: inherited file descriptors, zombies when `still` is a container's PID 1.
 * Both run the sandbox from a child process (fixtures/host-child.ts) started for the purpose.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const child = path.join(import.meta.dirname, "fixtures", "host-child.ts");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "still-host-fds-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inherited file descriptors", () => {
  it.each(["bwrap", "none"] as const)(
    "a parent's open secret file, writable host file and handle on / are closed before the snippet runs (%s)",
    async (isolation) => {
      const secret = path.join(dir, `secret-${isolation}`);
      const target = path.join(dir, `target-${isolation}`);
      writeFileSync(secret, "still-fd-canary");
      writeFileSync(target, "");
      const fds = [openSync(secret, "r"), openSync(target, "a"), openSync("/", "r")];
      try {
        // Node passes stdio[i] as fd i: the secret, the target and / land on fds 40, 41 and 42.
        const stdio = ["ignore", "pipe", "pipe", ...Array(37).fill("ignore"), ...fds];
        const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const p = spawn(process.execPath, ["--import", "tsx", child, "fds", isolation], { stdio });
          let stdout = "";
          let stderr = "";
          p.stdout!.on("data", (d: Buffer) => {
            stdout += d.toString();
          });
          p.stderr!.on("data", (d: Buffer) => {
            stderr += d.toString();
          });
          p.on("close", (code) => resolve({ code, stdout, stderr }));
        });
        expect(r.code, r.stderr).toBe(0);
        const { status, probe } = JSON.parse(r.stdout);
        expect(status).toBe("ok");
        // Only the descriptor the probe's own listdir opened may show up.
        expect(Object.values(probe.open).filter((p) => !String(p).startsWith("/proc/"))).toEqual([]);
        const EBADF = 9;
        expect([probe.read, probe.write, probe.list]).toEqual([EBADF, EBADF, EBADF]);
        if (isolation === "bwrap") {
          // The snippet is the sandbox's PID 1: no process above it in its namespace whose fds it could borrow
          // through /proc/<pid>/fd.
          expect([probe.pid, probe.ppid]).toEqual([1, 0]);
        }
        expect(readFileSync(target, "utf8")).toBe("");
        expect(r.stdout).not.toContain("still-fd-canary");
      } finally {
        for (const fd of fds) closeSync(fd);
      }
    },
  );
});

describe("zombies", () => {
  // A new pid namespace needs root here (CI runs as root); without it there is no PID 1 to test as.
  it.skipIf(process.geteuid?.() !== 0)(
    "running as a pid namespace's PID 1 (as under `docker run` without --init), the sandbox leaves no zombie",
    async () => {
      const r = await execa(
        "unshare",
        ["--pid", "--fork", "--mount-proc", process.execPath, "--import", "tsx", child, "zombies", "9"],
        { reject: false, timeout: 90_000 },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const { pid, statuses, zombies } = JSON.parse(r.stdout);
      expect(pid).toBe(1);
      expect(statuses).toEqual(Array(3).fill(["ok", "timeout", "killed"]).flat());
      expect(zombies).toEqual([]);
    },
  );
});
