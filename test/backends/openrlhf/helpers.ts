import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { runConfigSchema } from "../../../src/config/index.js";
import { pythonEnv } from "../../../src/pyenv/python.js";
import { packageRoot } from "../../../src/util/paths.js";

export const fixtures = path.join(import.meta.dirname, "fixtures");

/** OpenRLHF's pinned venv (`npm run setup:openrlhf`). */
export function openrlhfPython(): string {
  const python = path.join(packageRoot, ".venv-openrlhf", "bin", "python");
  if (!existsSync(python)) throw new Error(`${python} does not exist: run \`npm run setup:openrlhf\` first`);
  return python;
}

export const runConfig = (input: Record<string, unknown>) =>
  runConfigSchema.parse({ model: { path: "m" }, backend: { type: "openrlhf" }, ...input });

/** A tiny byte-level model directory (its tokenizer is what the executors use), built by OpenRLHF's venv. */
export async function tinyModel(): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "still-openrlhf-tiny-")), "model");
  await execa(
    openrlhfPython(),
    ["-m", "still_rl.engines.hf.tiny", "--out", dir, "--layers", "1", "--hidden", "32"],
    {
      env: pythonEnv(),
    },
  );
  return dir;
}

/** Runs a fixture with OpenRLHF's interpreter; stdout's JSON lines, parsed. */
export async function runFixture(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Record<string, unknown>[]> {
  const r = await execa(openrlhfPython(), [path.join(fixtures, script), ...args], {
    env: pythonEnv({ ...env, PYTHONPATH: `${fixtures}${path.delimiter}${pythonEnv().PYTHONPATH}` }),
    timeout: timeoutMs,
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}:\n${String(r.all).slice(-4000)}`);
  return String(r.stdout)
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
