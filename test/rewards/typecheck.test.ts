import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkRewardTypes,
  describeTypeCheck,
  ENABLE_HINT,
  parseDiagnostics,
} from "../../src/rewards/typecheck.js";
import { packageRoot } from "../../src/util/paths.js";
import { runCli as run } from "../helpers/cli.js";

/**
 * `still reward test` type-checks user reward files written in TypeScript against still-rl's reward types,
 * prints TypeScript's diagnostics as file:line:col lines, and scores the samples anyway.
 */
let dir: string;
let input: string;
/** Imports defineReward the way a user does; the check maps `still-rl/reward` to this package's types. */
const PUBLIC = 'import { defineReward } from "still-rl/reward";';
/** The same types by path, so the file also loads at run time from a temporary folder (no package install). */
const BY_PATH = `import { defineReward } from ${JSON.stringify(path.join(packageRoot, "src", "rewards", "define.js"))};`;

const typo = (header: string) =>
  [
    header,
    "",
    "export default defineReward({",
    '  name: "typo",',
    "  score: (sample) => sample.respons.length / 100,",
    "});",
    "",
  ].join("\n");

const good = (header: string) =>
  [
    header,
    'import { readFileSync } from "node:fs";',
    "",
    "export default defineReward<{ budget: number }>({",
    '  name: "good",',
    "  async score(sample, { budget }) {",
    "    const n = sample.responseTokens ?? sample.response.length / 4 + 0 * readFileSync.length;",
    "    return { reward: n < budget ? 1 : 0, components: { over: n >= budget ? 1 : 0 } };",
    "  },",
    "});",
    "",
  ].join("\n");

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function config(name: string, reward: string): string {
  return file(
    `${name}.yaml`,
    `model: { path: m }\nrewards:\n  components:\n    - { name: correctness }\n    - { name: custom, path: ${JSON.stringify(reward)}, params: { budget: 100 } }\n`,
  );
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "still-typecheck-test-"));
  const rows = [1, 2, 3].map((n) => ({ prompt: "1+1?", response: `\\boxed{${n}}`, ground_truth: "2" }));
  input = file("in.jsonl", `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkRewardTypes", () => {
  it("reports a misspelt field as TS2551 at file:line:col, against still-rl/reward's types", async () => {
    const f = file("typo-public.ts", typo(PUBLIC));
    const check = await checkRewardTypes([f]);
    expect(check.skipped).toBeUndefined();
    expect(check.files).toEqual([f]);
    expect(check.diagnostics).toEqual([
      `${f}:5:29 error TS2551: Property 'respons' does not exist on type 'RewardSample'. Did you mean 'response'?`,
    ]);
    expect(check.errors).toBe(1);
    expect(check.checker).toMatch(/^TypeScript \d+\.\d+\.\d+ from /);
  });

  it("finds nothing in a correct reward (params typed, async, Node's modules)", async () => {
    const check = await checkRewardTypes([file("good-public.mts", good(PUBLIC))]);
    expect(check.skipped).toBeUndefined();
    expect(check.diagnostics).toEqual([]);
    expect(check.errors).toBe(0);
    expect(describeTypeCheck(check, "then")).toEqual([]);
  });

  it("checks .ts, .mts and .cts files only: a .js reward runs as it is", async () => {
    const js = file("typo.js", "export default { name: 'j', score: (s) => s.respons.length };\n");
    const check = await checkRewardTypes([js, path.join(dir, "x.mjs"), path.join(dir, "x.cjs")]);
    expect(check).toMatchObject({ files: [], diagnostics: [], errors: 0 });
    expect(check.skipped).toBeUndefined();
    expect(check.checker).toBeUndefined();
  });

  it("without any TypeScript, says in one line that the check was skipped and how to enable it", async () => {
    const empty = mkdtempSync(path.join(dir, "no-ts-"));
    const check = await checkRewardTypes([file("typo-nots.ts", typo(PUBLIC))], { typescriptFrom: [empty] });
    expect(check.diagnostics).toEqual([]);
    expect(check.skipped).toBe(`type check skipped: no TypeScript found; ${ENABLE_HINT}`);
    expect(describeTypeCheck(check, "then")).toEqual([check.skipped]);
  });

  it("uses the reward project's own TypeScript when the package has none, and skips one older than 5.4", async () => {
    // The project's "TypeScript 5.9.8" runs the package's compiler, so the test needs nothing from a registry.
    const project = path.join(dir, "project");
    const ts = path.join(project, "node_modules", "typescript");
    mkdirSync(path.join(ts, "bin"), { recursive: true });
    writeFileSync(
      path.join(ts, "package.json"),
      JSON.stringify({ name: "typescript", version: "5.9.8", type: "module", bin: { tsc: "bin/tsc" } }),
    );
    const real = path.join(packageRoot, "node_modules", "typescript", "bin", "tsc");
    writeFileSync(
      path.join(ts, "bin", "tsc"),
      `await import(${JSON.stringify(pathToFileURL(real).href)});\n`,
    );
    const f = path.join(project, "typo.ts");
    writeFileSync(f, typo(PUBLIC));
    const empty = mkdtempSync(path.join(dir, "no-ts-"));
    const check = await checkRewardTypes([f], { typescriptFrom: [empty, project] });
    expect(check.checker).toBe(`TypeScript 5.9.8 from ${ts}`);
    expect(check.diagnostics[0]).toContain(`${f}:5:29 error TS2551`);

    const old = path.join(dir, "old");
    mkdirSync(path.join(old, "node_modules", "typescript"), { recursive: true });
    writeFileSync(
      path.join(old, "node_modules", "typescript", "package.json"),
      JSON.stringify({ name: "typescript", version: "4.9.5", bin: { tsc: "bin/tsc" } }),
    );
    const skipped = await checkRewardTypes([f], { typescriptFrom: [empty, old] });
    expect(skipped.skipped).toBe(`type check skipped: TypeScript 4.9.5 is older than 5.4; ${ENABLE_HINT}`);
  });

  it("turns a checker that crashes into a skipped line, never a throw", async () => {
    const broken = path.join(dir, "broken");
    mkdirSync(path.join(broken, "node_modules", "typescript", "bin"), { recursive: true });
    writeFileSync(
      path.join(broken, "node_modules", "typescript", "package.json"),
      JSON.stringify({ name: "typescript", version: "5.9.9", bin: { tsc: "bin/tsc" } }),
    );
    writeFileSync(
      path.join(broken, "node_modules", "typescript", "bin", "tsc"),
      'throw new Error("checker exploded");\n',
    );
    const check = await checkRewardTypes([file("typo-broken.ts", typo(PUBLIC))], {
      typescriptFrom: [broken],
    });
    expect(check.diagnostics).toEqual([]);
    expect(check.skipped).toMatch(
      /^type check skipped: TypeScript 5\.9\.9 from .* failed: Error: checker exploded$/,
    );
  });

  it("gives up on a checker that hangs, in one line", async () => {
    const hangs = path.join(dir, "hangs");
    mkdirSync(path.join(hangs, "node_modules", "typescript", "bin"), { recursive: true });
    writeFileSync(
      path.join(hangs, "node_modules", "typescript", "package.json"),
      JSON.stringify({ name: "typescript", version: "5.9.7", bin: { tsc: "bin/tsc" } }),
    );
    writeFileSync(
      path.join(hangs, "node_modules", "typescript", "bin", "tsc"),
      "setInterval(() => {}, 1000);\n",
    );
    const check = await checkRewardTypes([file("typo-hangs.ts", typo(PUBLIC))], {
      typescriptFrom: [hangs],
      timeoutMs: 500,
    });
    expect(check.skipped).toMatch(
      /^type check skipped: TypeScript 5\.9\.7 from .* did not finish within 0\.5 s$/,
    );
  });

  it("shows at most 20 diagnostics and counts the rest", async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `export const x${i}: number = "s";`);
    const check = await checkRewardTypes([file("many.ts", lines.join("\n"))]);
    expect(check.errors).toBe(25);
    const out = describeTypeCheck(check, "then");
    expect(out).toHaveLength(22);
    expect(out[20]).toBe("(5 more diagnostics not shown)");
    expect(out[21]).toMatch(/^type check: 25 errors in the reward file \(TypeScript .*\); then$/);
  });
});

describe("parseDiagnostics", () => {
  it("makes tsc's lines file:line:col, keeps a message chain under its diagnostic, counts errors", () => {
    const out = [
      "a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
      "  The expected type comes from property 'reward'.",
      "error TS6053: File '/x/missing.ts' not found.",
      "",
    ].join("\n");
    const r = parseDiagnostics(out, "/work/somewhere");
    expect(r.errors).toBe(2);
    expect(r.diagnostics).toEqual([
      "/work/somewhere/a.ts:3:7 error TS2322: Type 'string' is not assignable to type 'number'.\n  The expected type comes from property 'reward'.",
      "error TS6053: File '/x/missing.ts' not found.",
    ]);
  });
});

describe("still reward test type-checks TypeScript reward files", () => {
  it("prints TS2551 with file:line:col first, says it scored anyway, then scores and shows the run-time error", async () => {
    const f = file("typo.ts", typo(BY_PATH));
    const r = await run(["reward", "test", "--config", config("typo", f), "--input", input]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(3);
    const err = r.stderr.split("\n");
    expect(err[0]).toBe(
      `${f}:5:29 error TS2551: Property 'respons' does not exist on type 'RewardSample'. Did you mean 'response'?`,
    );
    expect(err[1]).toMatch(
      /^type check: 1 error in the reward file \(TypeScript .*\); scored the samples anyway$/,
    );
    expect(r.stderr).toContain("reward typo on sample 1");
    expect(r.stderr).toContain("threw TypeError");
  });

  it("prints nothing about types for a correct reward, and --no-typecheck skips the check", async () => {
    const ok = await run([
      "reward",
      "test",
      "--config",
      config("good", file("good.ts", good(BY_PATH))),
      "--input",
      input,
    ]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const off = await run([
      "reward",
      "test",
      "--config",
      config("typo-off", file("typo-off.ts", typo(BY_PATH))),
      "--input",
      input,
      "--no-typecheck",
    ]);
    expect(off.stderr).not.toContain("TS2551");
    expect(off.stderr).not.toContain("type check");
    expect(off.stderr).toContain("threw TypeError");
  });

  it("does not check a .js reward", async () => {
    const js = file(
      "typo-js.mjs",
      `${BY_PATH.replace("define.js", "define.ts")}\nexport default defineReward({ name: "js", score: (s) => s.respons.length });\n`,
    );
    const r = await run(["reward", "test", "--config", config("js", js), "--input", input]);
    expect(r.stderr).not.toContain("type check");
    expect(r.stderr).toContain("reward js on sample 1");
  });

  it("reports a syntax error as TypeScript's diagnostic, then the load failure in one line: no stack, no crash", async () => {
    const f = file(
      "syntax.ts",
      `${BY_PATH}\n\nexport default defineReward({\n  name: "syntax",\n  score: (sample) => { return sample.response.length / 100 ,\n});\n`,
    );
    const r = await run(["reward", "test", "--config", config("syntax", f), "--input", input]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const err = r.stderr.split("\n");
    expect(err[0]).toMatch(new RegExp(`^${escapeRegExp(f)}:6:1 error TS1\\d{3}: `));
    expect(r.stderr).toMatch(
      /\ntype check: \d errors? in the reward file \(TypeScript .*\); loading the rewards failed:\n/,
    );
    expect(r.stderr).toMatch(/\nstill: cannot load reward .*syntax\.ts: /);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
