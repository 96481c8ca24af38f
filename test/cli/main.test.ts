import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await main(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("still CLI", () => {
  it.each([
    [["nonsense"], 1, /Unknown argument: nonsense/],
    [[], 1, /name a command/],
    [["doctor", "--bogus"], 1, /Unknown argument/],
  ])("%j exits %i with a one-line error", async (argv, code, message) => {
    const r = await run(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
