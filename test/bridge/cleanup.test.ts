import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { alive, fixtures, waitFor } from "./helpers.js";

/** Start fixtures/parent.ts (a TS process with a Python peer) and return it with the peer's pid. */
async function parentWithPeer() {
  const parent = execa(process.execPath, ["--import", "tsx", path.join(fixtures, "parent.ts")], {
    reject: false,
    stdin: "pipe",
    buffer: { stdout: false },
  });
  const started = await new Promise<{ pid: number; local: string }>((resolve, reject) => {
    let out = "";
    parent.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(JSON.parse(line!));
    });
    void parent.then((r) => reject(new Error(`parent exited early: ${r.exitCode} ${r.stderr}`)));
  });
  return { parent, ...started };
}

describe("no orphaned Python peers", () => {
  it.each([
    ["SIGTERM", "signal"],
    ["SIGINT", "signal"],
    ["SIGKILL", "signal"],
    ["normal exit", "exit"],
    ["an uncaught error", "throw"],
  ])("the peer dies with its TS parent on %s", async (how, mode) => {
    const { parent, pid, local } = await parentWithPeer();
    const socketDir = path.dirname(local.replace(/^ipc:\/\//, ""));
    expect(existsSync(socketDir)).toBe(true);
    expect(alive(pid)).toBe(true);
    if (mode === "signal") parent.kill(how as NodeJS.Signals);
    else parent.stdin!.write(`${mode}\n`);
    const result = await parent;
    if (mode === "throw") expect(result.stderr).toMatch(/parent crashed/);
    await waitFor(() => !alive(pid), 5000, `Python peer ${pid} to exit after ${how}`);
    // The private socket directory goes too, except after SIGKILL, which leaves no chance to clean up.
    expect(existsSync(socketDir)).toBe(how === "SIGKILL");
    rmSync(socketDir, { recursive: true, force: true });
  });
});
