import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { alive, fixtures, waitFor } from "./helpers.js";

/** Start fixtures/parent.ts (a TS process with a Python peer) and return it with the peer's pid. */
async function parentWithPeer(mode: string) {
  const parent = execa(process.execPath, ["--import", "tsx", path.join(fixtures, "parent.ts"), mode], {
    reject: false,
    buffer: { stdout: false },
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = "";
    parent.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(JSON.parse(line!).pid);
    });
    void parent.then((r) => reject(new Error(`parent exited early: ${r.exitCode} ${r.stderr}`)));
  });
  return { parent, pid };
}

describe("no orphaned Python peers", () => {
  it.each([
    ["SIGTERM", "wait"],
    ["SIGINT", "wait"],
    ["SIGKILL", "wait"],
    ["normal exit", "exit"],
    ["an uncaught error", "throw"],
  ])("the peer dies with its TS parent on %s", async (how, mode) => {
    const { parent, pid } = await parentWithPeer(mode);
    expect(alive(pid)).toBe(true);
    if (mode === "wait") parent.kill(how as NodeJS.Signals);
    const result = await parent;
    if (mode === "throw") expect(result.stderr).toMatch(/parent crashed/);
    await waitFor(() => !alive(pid), 5000, `Python peer ${pid} to exit after ${how}`);
  });
});
