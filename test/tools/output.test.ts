import { describe, expect, it } from "vitest";
import {
  type ExecutionOutcome,
  lastTracebackLine,
  toolOutputText,
  truncateMiddle,
} from "../../src/tools/output.js";

describe("truncateMiddle (executor.py: `s[:half] + '...' + s[-half:]` when len(s) > max_length)", () => {
  const a400 = "a".repeat(400);
  const digits = "0123456789".repeat(41); // 410 chars
  it.each([
    ["short", 400, false, "short"],
    [a400, 400, false, a400],
    [`${a400}b`, 400, false, `${"a".repeat(200)}...${"a".repeat(199)}b`],
    [digits, 400, false, `${digits.slice(0, 200)}...${digits.slice(-200)}`],
    // ToRL: `if len(observation)>=256: observation[:128]+"..."+observation[-128:]`
    ["x".repeat(256), 256, true, `${"x".repeat(128)}...${"x".repeat(128)}`],
    ["x".repeat(255), 256, true, "x".repeat(255)],
    // lengths in code points: an astral character counts once, as in Python
    ["😀".repeat(5), 4, false, "😀😀...😀😀"],
    ["😀".repeat(4), 4, false, "😀😀😀😀"],
  ])("%#", (s, maxChars, atLimit, expected) => {
    expect(truncateMiddle(s, { maxChars, atLimit })).toBe(expected);
  });
});

describe("lastTracebackLine", () => {
  it.each([
    [
      "Traceback (most recent call last):\n  File \"<cell>\", line 1, in <module>\nNameError: name 'x' is not defined\n",
      "NameError: name 'x' is not defined",
    ],
    ["ZeroDivisionError: division by zero", "ZeroDivisionError: division by zero"],
    ["", ""],
  ])("%#", (stderr, line) => {
    expect(lastTracebackLine(stderr)).toBe(line);
  });
});

describe("toolOutputText", () => {
  const max = { maxChars: 400 };
  it.each<[ExecutionOutcome, string]>([
    [{ status: "ok", stdout: "408\n", stderr: "" }, "408"],
    [{ status: "ok", stdout: "\n  a\nb  \n\n", stderr: "warning" }, "a\nb"],
    [{ status: "ok", stdout: "", stderr: "" }, ""],
    // on an error the printed output is dropped, as the upstream executor does
    [
      { status: "error", stdout: "partial\n", stderr: "Traceback...\nZeroDivisionError: division by zero\n" },
      "ZeroDivisionError: division by zero",
    ],
    [{ status: "timeout", stdout: "1\n2\n", stderr: "" }, "Timeout Error"],
    [{ status: "memory", stdout: "", stderr: "Traceback...\nMemoryError\n" }, "MemoryError"],
    [{ status: "memory", stdout: "", stderr: "" }, "MemoryError"],
    [{ status: "killed", stdout: "", stderr: "" }, "Killed"],
    [{ status: "error", stdout: "", stderr: "" }, "Error"],
    [
      { status: "ok", stdout: `${"1".repeat(300)}${"2".repeat(300)}`, stderr: "" },
      `${"1".repeat(200)}...${"2".repeat(200)}`,
    ],
  ])("%j -> %j", (outcome, text) => {
    expect(toolOutputText(outcome, max)).toBe(text);
  });
});
