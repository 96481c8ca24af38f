import { describe, expect, it } from "vitest";
import { parseJobStatus } from "../../src/cluster/ray.js";

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
    ["Status for job 'still-a': RUNNING\n", "UNKNOWN", ""],
    ["garbage", "UNKNOWN", ""],
  ])("reads %j", (text, status, message) => {
    expect(parseJobStatus(text)).toEqual({ status, message });
  });
});
