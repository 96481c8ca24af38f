import { existsSync } from "node:fs";
import path from "node:path";
import type { RunConfig } from "../../config/index.js";
import { pythonEnv } from "../../pyenv/python.js";
import { UserError } from "../../util/errors.js";
import { packageRoot } from "../../util/paths.js";

/** The veRL environment `npm run setup:verl` makes (its own pins: veRL's transformers and Ray differ). */
export const VERL_VENV = path.join(packageRoot, ".venv-verl");

/**
 * The interpreter of veRL jobs: the run config's `python` (e.g. a veRL image's), else `$STILL_VERL_PYTHON`,
 * else `.venv-verl`.
 */
export function verlPython(config?: Pick<RunConfig, "python">): string {
  const chosen = config?.python ?? process.env.STILL_VERL_PYTHON;
  if (chosen) return chosen;
  const venv = path.join(VERL_VENV, "bin", "python");
  if (!existsSync(venv)) {
    throw new UserError(
      `no veRL environment: ${venv} does not exist. Run \`npm run setup:verl\` (about 3 minutes), or set ` +
        "`python:` in the run config (or STILL_VERL_PYTHON) to an interpreter with verl 0.9.1 and still-rl's Python side.",
    );
  }
  return venv;
}

/** Environment of a veRL-side Python process: this checkout's python/ first, veRL's log noise down. */
export function verlEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return pythonEnv({ HYDRA_FULL_ERROR: "1", ...extra });
}
