import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/paths.js";

/**
 * README's way to write rewards in a project of your own, outside the clone: `npm install <path to the clone>`
 * there, then `import { defineReward } from "still-rl/reward"` resolves, and `npx still reward test` runs it.
 * (Uses the build in dist/, which `npm run setup` makes.)
 */
describe("a user's own project outside the clone", () => {
  it("installs still-rl from the clone and runs a reward importing still-rl/reward", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "still-user-"));
    writeFileSync(
      path.join(dir, "package.json"),
      '{ "name": "my-rewards", "private": true, "type": "module" }\n',
    );
    writeFileSync(
      path.join(dir, "short.ts"),
      'import { defineReward } from "still-rl/reward";\n' +
        'export default defineReward({ name: "short", score: (s) => (s.response.length < 20 ? 1 : 0) });\n',
    );
    writeFileSync(
      path.join(dir, "run.yaml"),
      "model: { path: m }\nrewards:\n  components:\n    - { name: correctness }\n    - { name: custom, path: short.ts }\n",
    );
    writeFileSync(
      path.join(dir, "in.jsonl"),
      `${JSON.stringify({ prompt: "1+1?", response: "\\boxed{2}", ground_truth: "2" })}\n`,
    );
    await execa("npm", ["install", packageRoot, "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir });
    const r = await execa("npx", ["still", "reward", "test", "--config", "run.yaml", "--input", "in.jsonl"], {
      cwd: dir,
      reject: false,
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reward: 2, components: { correctness: 1, short: 1 } });
  }, 180_000);
});
