import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { runConfigSchema } from "../../src/config/index.js";
import { pythonEnv } from "../../src/pyenv/python.js";
import { packageRoot } from "../../src/util/paths.js";

/**
 * What the veRL and OpenRLHF test suites share, bound to one framework's pinned venv and fixture folder: its
 * interpreter, a run config of that backend, the tiny model built by that venv, and fixture scripts run there.
 */
export function frameworkTests(opts: {
  backend: "verl" | "openrlhf";
  venv: string;
  setup: string;
  fixtures: string;
}) {
  const python = (): string => {
    const exe = path.join(packageRoot, opts.venv, "bin", "python");
    if (!existsSync(exe))
      throw new Error(`${exe} does not exist: run \`npm run ${opts.setup}\` first (npm test does)`);
    return exe;
  };

  const runConfig = (input: Record<string, unknown>) =>
    runConfigSchema.parse({ model: { path: "m" }, backend: { type: opts.backend }, ...input });

  /** A tiny byte-level model directory (tokenizer + chat template), built by this framework's venv. */
  async function tinyModel(): Promise<string> {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), `still-${opts.backend}-tiny-`)), "model");
    const args = ["-m", "still_rl.engines.hf.tiny", "--out", dir, "--layers", "1", "--hidden", "32"];
    await execa(python(), args, { env: pythonEnv() });
    return dir;
  }

  /** Runs a fixture script with this framework's interpreter; stdout's JSON lines, parsed. */
  async function runFixture(
    script: string,
    args: string[],
    env: Record<string, string>,
    timeoutMs: number,
  ): Promise<Record<string, unknown>[]> {
    const r = await execa(python(), [path.join(opts.fixtures, script), ...args], {
      env: pythonEnv({ ...env, PYTHONPATH: `${opts.fixtures}${path.delimiter}${pythonEnv().PYTHONPATH}` }),
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

  return { python, runConfig, tinyModel, runFixture, fixtures: opts.fixtures };
}
