import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/paths.js";

/**
 * What a user gets: the package built to declarations (as `npm run build` does), installed as
 * node_modules/still-rl, and a user's TypeScript project that imports `still-rl` and `still-rl/reward`.
 */
const tsc = path.join(packageRoot, "node_modules", "typescript", "bin", "tsc");
let root: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "still-exports-"));
  const pkg = path.join(root, "node_modules", "still-rl");
  mkdirSync(pkg, { recursive: true });
  cpSync(path.join(packageRoot, "package.json"), path.join(pkg, "package.json"));
  symlinkSync(path.join(packageRoot, "node_modules"), path.join(pkg, "node_modules"));
  // A Node project has Node's types; nothing else of ours is visible to it.
  symlinkSync(path.join(packageRoot, "node_modules", "@types"), path.join(root, "node_modules", "@types"));
  await execa(tsc, ["-p", path.join(packageRoot, "tsconfig.json"), "--outDir", path.join(pkg, "dist")]);
  writeFileSync(
    path.join(root, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        types: ["node"],
      },
      include: ["*.ts"],
    }),
  );
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function typecheck(source: string) {
  writeFileSync(path.join(root, "user.ts"), source);
  return execa(tsc, ["-p", path.join(root, "tsconfig.json")], { reject: false });
}

describe("package exports", () => {
  it("a user reward and a training script type-check against the built declarations", async () => {
    const r = await typecheck(`
import { defineReward } from "still-rl/reward";
import { loadConfig, train, type TrainResult } from "still-rl";
export default defineReward<{ target: number }>({
  name: "near",
  score: (s, p) => ({ reward: s.response.length < p.target ? 1 : 0, components: { len: s.response.length } }),
});
export async function run(): Promise<TrainResult> {
  const { config } = loadConfig("run.yaml");
  return train({ config, runDir: "out" });
}
`);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  });

  it("a type error in user code is reported against the declarations", async () => {
    const r = await typecheck(`
import { defineReward } from "still-rl/reward";
export default defineReward({ name: "bad", score: (s) => s.response });
`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toMatch(/user\.ts/);
  });

  it("internals are not part of the API", async () => {
    const r = await typecheck(`import { selectInGroup } from "still-rl";\nexport const x = selectInGroup;\n`);
    expect(r.stdout).toMatch(/has no exported member 'selectInGroup'/);
  });
});
