import { describe, expect, it } from "vitest";
import { bar, describeStep, formatDuration, lineProgress, ttyProgress } from "../../src/train/progress.js";

describe("progress", () => {
  it.each([
    [0, "0s"],
    [59.4, "59s"],
    [61, "1m01s"],
    [3599, "59m59s"],
    [3600 * 2 + 60 * 5, "2h05m"],
    [Number.NaN, "?"],
  ])("formatDuration(%d) = %s", (s, want) => {
    expect(formatDuration(s)).toBe(want);
  });

  it.each([
    [0, "[....]"],
    [0.5, "[##..]"],
    [1, "[####]"],
    [2, "[####]"],
  ])("bar(%d)", (f, want) => {
    expect(bar(f, 4)).toBe(want);
  });

  it("describes a step with reward, accuracy, length and an ETA from this process's steps", () => {
    const line = describeStep({
      stage: "rl",
      step: 30,
      total: 50,
      startStep: 20,
      elapsedS: 10,
      values: { reward: 0.5, accuracy: 0.25, length: 12.5 },
    });
    expect(line).toBe("step 30/50  reward 0.500  acc 0.250  len 12.5  eta 20s");
  });

  it("writes plain lines every N steps and on the last", () => {
    const out: string[] = [];
    const p = lineProgress((l) => out.push(l), 2);
    for (let step = 1; step <= 5; step++) {
      p.step({ stage: "sft", step, total: 5, startStep: 0, elapsedS: step, values: { loss: 1 } });
    }
    p.log("done");
    expect(out).toEqual([
      "sft 2/5  loss 1.000  eta 3s",
      "sft 4/5  loss 1.000  eta 1s",
      "sft 5/5  loss 1.000  eta 0s",
      "done",
    ]);
  });
});

describe("ttyProgress", () => {
  it("redraws one line in place and prints messages above it", () => {
    let out = "";
    const stream = {
      columns: 80,
      isTTY: true,
      write: (s: string) => {
        out += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const p = ttyProgress(stream);
    p.step({ stage: "rl", step: 1, total: 4, startStep: 0, elapsedS: 1, values: { reward: 1 } });
    p.step({ stage: "rl", step: 2, total: 4, startStep: 0, elapsedS: 2, values: { reward: 0.5 } });
    p.log("eval at step 2");
    p.close();
    expect(out).toBe(
      "[######..................] step 1/4  reward 1.000  eta 3s" +
        "\r\x1b[2K[############............] step 2/4  reward 0.500  eta 2s" +
        "\r\x1b[2Keval at step 2\n[############............] step 2/4  reward 0.500  eta 2s" +
        "\n",
    );
  });
});
