import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jobLogTail, jobRuntimeEnv, parseJobStatus, RayJobError, runRayJob } from "../../src/cluster/ray.js";

describe("ray job status output", () => {
  it.each([
    ["Status for job 'still-a': SUCCEEDED\n", "SUCCEEDED", ""],
    [
      "\x1b[37mStatus for job 'still-a'\x1b[39m: \x1b[1mFAILED\x1b[22m\nStatus message: Job entrypoint command failed with exit code 1\n",
      "FAILED",
      "Job entrypoint command failed with exit code 1",
    ],
    ["2026-12-03 INFO cli.py:75 -- \x1b[31mJob 'still-a' failed\x1b[39m\n", "FAILED", ""],
    ["Job 'still-a' was stopped\n", "STOPPED", ""],
    [
      "Job 'still-a' failed\nStatus message: Job entrypoint command failed with exit code 1, last available logs (truncated to 20,000 chars):\nthe log\n",
      "FAILED",
      "Job entrypoint command failed with exit code 1",
    ],
    ["Status for job 'still-a': RUNNING\n", "UNKNOWN", ""],
    ["garbage", "UNKNOWN", ""],
  ])("reads %j", (text, status, message) => {
    expect(parseJobStatus(text)).toEqual({ status, message });
  });
});

describe("jobRuntimeEnv", () => {
  it("keeps the user's runtime env and env vars, ours added on top", () => {
    expect(
      jobRuntimeEnv(
        { pip: ["x"], env_vars: { HF_HOME: "/h", STILL_BRIDGE: "user" } },
        { STILL_BRIDGE: "ours" },
      ),
    ).toEqual({ pip: ["x"], env_vars: { HF_HOME: "/h", STILL_BRIDGE: "ours" } });
    expect(jobRuntimeEnv(undefined, { A: "1" })).toEqual({ env_vars: { A: "1" } });
  });
});

describe("jobLogTail", () => {
  it("keeps the last lines of the log, without blank lines and the Ray CLI's trailer", () => {
    const lines = ["a", "", "b", "2026-12-04 00:00:00,000\tERR cli.py:123 -- Job 'x' failed", "c"];
    expect(jobLogTail(lines, 2)).toBe("  | b\n  | c");
    expect(jobLogTail(lines)).toBe("  | a\n  | b\n  | c");
  });
});

describe("runRayJob refusals", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "still-ray-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (ray: string) =>
    runRayJob({
      ray,
      address: "http://127.0.0.1:9",
      entrypoint: ["true"],
      runtimeEnv: {},
      onLine: () => {},
    });

  it("an unreachable job server is one line naming the address", async () => {
    // What `ray job submit` prints then: a long traceback ending in this line.
    const ray = path.join(dir, "ray");
    writeFileSync(
      ray,
      "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n" +
        "echo 'ConnectionError: Failed to connect to Ray at address: http://127.0.0.1:9.' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    const err = await run(ray).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RayJobError);
    expect((err as Error).message).toMatch(/^no Ray job server answers at http:\/\/127\.0\.0\.1:9: [^\n]+$/);
  });

  it("a missing Ray CLI is one line", async () => {
    const err = await run(path.join(dir, "no-such-ray")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RayJobError);
    expect((err as Error).message).toMatch(/^no Ray CLI \([^)]*no-such-ray\): install Ray[^\n]+$/);
  });
});
