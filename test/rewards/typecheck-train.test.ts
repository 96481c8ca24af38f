import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { Backend } from "../../src/backends/index.js";
import { packageRoot } from "../../src/util/paths.js";
import { runCli as run } from "../helpers/cli.js";

/** `still train` type-checks the config's TypeScript reward files at start and warns: the run still starts. */
const started: string[] = [];
vi.mock("../../src/backends/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/backends/index.js")>();
  const fake: Backend = {
    type: "hf",
    refusals: () => [],
    doctor: async () => [],
    run: async ({ runDir }) => {
      started.push(runDir);
      return { runDir, step: 0, totalSteps: 0, interrupted: false, checkpoint: null, wallS: 0 };
    },
  };
  return { ...real, getBackend: () => fake };
});

const dir = mkdtempSync(path.join(tmpdir(), "still-typecheck-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runConfig(name: string, body: string): string {
  const reward = path.join(dir, `${name}.ts`);
  writeFileSync(
    reward,
    `import { defineReward } from ${JSON.stringify(path.join(packageRoot, "src", "rewards", "define.js"))};\n${body}\n`,
  );
  const config = path.join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    `model: { path: m }\nrewards:\n  components:\n    - { name: correctness }\n    - { name: custom, path: ${name}.ts }\n`,
  );
  return config;
}

describe("still train checks reward types at start", () => {
  it("warns with the diagnostic and trains anyway", async () => {
    const body = 'export default defineReward({ name: "t", score: (s) => s.respons.length });';
    const config = runConfig("typo", body);
    const r = await run(["train", config, "--out", path.join(dir, "run-typo")]);
    expect(r.code).toBe(0);
    const err = r.stderr.split("\n");
    expect(err[0]).toBe(
      `${path.join(dir, "typo.ts")}:2:${body.indexOf("respons") + 1} error TS2551: Property 'respons' does not exist on type 'RewardSample'. Did you mean 'response'?`,
    );
    expect(err[1]).toMatch(/^type check: 1 error in the reward file \(TypeScript .*\); training anyway/);
    expect(started).toEqual([path.join(dir, "run-typo")]);
  });

  it("says nothing about a correct reward", async () => {
    const config = runConfig(
      "fine",
      'export default defineReward({ name: "f", score: (s) => s.response.length });',
    );
    const r = await run(["train", config, "--out", path.join(dir, "run-fine")]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("type check");
    expect(r.stderr).not.toContain("error TS");
    expect(started).toContain(path.join(dir, "run-fine"));
  });
});
