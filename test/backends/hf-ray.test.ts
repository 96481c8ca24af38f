import { describe, expect, it } from "vitest";
import { parseDoneLine } from "../../src/backends/hf/ray.js";

describe("parseDoneLine", () => {
  it.each([
    [
      "done: step 2/2 in 14 s; held-out accuracy after cold start n/a, final 0.125",
      { step: 2, totalSteps: 2, interrupted: false, wallS: 14, evalFinal: 0.125 },
    ],
    [
      "interrupted: step 1/200 in 9 s; held-out accuracy after cold start 0.300, final n/a",
      { step: 1, totalSteps: 200, interrupted: true, wallS: 9, evalAfterColdStart: 0.3 },
    ],
  ])("%s", (line, expected) => {
    expect(parseDoneLine(["step 1/2 reward 0.1", line, "report: x"])).toMatchObject(expected);
  });
  it("is null when the job never printed its result", () => {
    expect(parseDoneLine(["step 1/2 reward 0.1", "Traceback"])).toBeNull();
  });
});
