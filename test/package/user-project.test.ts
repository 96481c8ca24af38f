import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/paths.js";

/**
 * README's way to write rewards in a project of your own, outside the clone: `npm install <path to the clone>`
 * there, then `import { defineReward } from "still-rl/reward"` resolves, and `npx still reward test` runs it
 * (type-checking it against the package's reward types first).
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
    expect(r.stderr).toBe(""); // nothing from the type check either: the reward is correct
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reward: 2, components: { correctness: 1, short: 1 } });

    // A misspelt field is a TypeScript diagnostic against still-rl/reward's types, here too; it still runs.
    writeFileSync(
      path.join(dir, "typo.ts"),
      'import { defineReward } from "still-rl/reward";\n' +
        'export default defineReward({ name: "typo", score: (s) => s.respons.length });\n',
    );
    writeFileSync(
      path.join(dir, "typo.yaml"),
      "model: { path: m }\nrewards:\n  components:\n    - { name: custom, path: typo.ts }\n",
    );
    const t = await execa(
      "npx",
      ["still", "reward", "test", "--config", "typo.yaml", "--input", "in.jsonl"],
      {
        cwd: dir,
        reject: false,
      },
    );
    expect(t.exitCode).toBe(0);
    expect(t.stderr.split("\n")[0]).toBe(
      "typo.ts:2:61 error TS2551: Property 'respons' does not exist on type 'RewardSample'. Did you mean 'response'?",
    );
    expect(t.stderr).toMatch(
      /\ntype check: 1 error in the reward file \(TypeScript .*\); scored the samples anyway\n/,
    );
    expect(JSON.parse(t.stdout)).toMatchObject({ components: { "typo.error": 1 } });
  }, 180_000);
});
