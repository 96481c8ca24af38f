import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { statefulProgram } from "../../src/tools/stateful.js";

const python = process.env.STILL_PYTHON ?? "python3";

/** Runs the program the way a sandbox would (its own python process) and returns stdout + stderr's last line. */
function run(program: string): { stdout: string; error: string } {
  try {
    return {
      stdout: execFileSync(python, ["-I", "-c", program], { encoding: "utf8", stdio: "pipe" }),
      error: "",
    };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { stdout: e.stdout, error: e.stderr.trim().split("\n").pop() ?? "" };
  }
}

describe("statefulProgram", () => {
  it("is the code itself for the first call", () => {
    expect(statefulProgram([], "print(1)")).toBe("print(1)");
  });

  it.each<[string[], string, string, string]>([
    // earlier definitions are visible, earlier output is not repeated
    [["x = 6\nprint('first')", "def f(y):\n    return x * y"], "print(f(7))", "42\n", ""],
    // quotes, backslashes and non-ASCII survive the embedding
    [['s = "a\\"b\'c\\\\ é 😀"'], "print(s)", "a\"b'c\\ é 😀\n", ""],
    // stderr of replayed cells is discarded too
    [["import sys\nsys.stderr.write('noise\\n')\nz = 1"], "print(z)", "1\n", ""],
    // errors in the new cell report the usual last traceback line
    [["a = 1"], "print(a)\nprint(b)", "1\n", "NameError: name 'b' is not defined"],
  ])("%j then %j", (previous, code, stdout, error) => {
    expect(run(statefulProgram(previous, code))).toEqual({ stdout, error });
  });
});
