import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("still CLI", () => {
  it.each([
    [["nonsense"], 1, /Unknown argument: nonsense/],
    [[], 1, /name a command/],
    [["doctor", "--bogus"], 1, /Unknown argument/],
  ])("%j exits %i with a one-line error", async (argv, code, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // A rejected command line runs nothing.
    expect(r.stdout).toBe("");
  });
});
