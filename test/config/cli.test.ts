import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { packageRoot } from "../../src/util/paths.js";
import { runCli as run } from "../helpers/cli.js";
import { writeFiles } from "./helpers.js";

describe("still config", () => {
  const dir = writeFiles({
    "good.yaml": "model:\n  path: tiny:qwen2\n",
    "bad.yaml": "model:\n  path: tiny:qwen2\nrollout:\n  nn: 3\n",
  });
  const good = path.join(dir, "good.yaml");
  const bad = path.join(dir, "bad.yaml");

  it("validate prints ok and exits 0 when all files are valid", async () => {
    const r = await run(["config", "validate", good, path.join(packageRoot, "configs/still3/zero-32b.yaml")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok ${good}\n`);
  });

  it("validate exits 1 and prints every error of every bad file", async () => {
    const r = await run(["config", "validate", good, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ok ${good}`);
    expect(r.stderr).toContain(`${bad}:4 rollout.nn: unknown key "nn" (did you mean "n"?)`);
    expect(r.stderr).toContain("1 of 2 configs invalid");
  });

  it("validate searches a directory for YAML files", async () => {
    const r = await run(["config", "validate", path.join(packageRoot, "configs")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("configs/still3/still3-1.5b.yaml\n");
    expect(r.stdout.split("\n").filter((l) => l.startsWith("ok ")).length).toBeGreaterThanOrEqual(40);
  });

  it("validate applies --set", async () => {
    const r = await run(["config", "validate", good, "--set", "rollout.n=zero"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--set rollout.n=zero: expected number, got "zero"');
  });

  it("print writes the resolved YAML with overrides", async () => {
    const r = await run(["config", "print", good, "--set", "rollout.n=5", "--set", "rollout.stop=[a,b]"]);
    expect(r.code).toBe(0);
    const printed = parse(r.stdout);
    expect(printed.rollout).toMatchObject({ n: 5, stop: ["a", "b"] });
    expect(printed.backend.type).toBe("hf");
  });

  it("print of a bad file is a user error (exit 1, no stack)", async () => {
    const r = await run(["config", "print", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rollout.nn");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing file is named", async () => {
    const r = await run(["config", "validate", path.join(dir, "nope.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`file not found: ${path.join(dir, "nope.yaml")}`);
  });

  it.each([
    ["config", "--help"],
    ["config", "validate", "--help"],
    ["config", "print", "--help"],
  ])("%s %s has help with an example", async (...argv) => {
    // yargs ends the process after --help; vitest forbids that, so record the call instead.
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    try {
      const r = await run(argv);
      expect(exit).toHaveBeenCalledWith(0);
      expect(r.stdout).toContain("Examples:");
      expect(r.stdout).toContain("still config");
    } finally {
      exit.mockRestore();
    }
  });
});
