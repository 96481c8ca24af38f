import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { packageRoot } from "../util/paths.js";

/** Where the Python interpreter came from, for messages. */
export type PythonSource = "env:STILL_PYTHON" | "config" | "project venv";

export interface PythonInterpreter {
  executable: string;
  source: PythonSource;
}

/** Directory holding the `still_rl` Python package shipped with this npm package. */
export const pythonPackageDir = path.join(packageRoot, "python");

/**
 * The interpreter the TS side talks to: `$STILL_PYTHON` wins (a user inside a veRL image brings their own),
 * then the run config's `python`, then the project-local virtualenv made by `npm run setup`.
 */
export function resolvePython(configured?: string): PythonInterpreter {
  const fromEnv = process.env.STILL_PYTHON;
  if (fromEnv) return { executable: fromEnv, source: "env:STILL_PYTHON" };
  if (configured) return { executable: configured, source: "config" };
  const venv = path.join(packageRoot, ".venv", "bin", "python");
  if (!existsSync(venv)) {
    throw new UserError(
      `no Python environment: ${venv} does not exist. Run \`npm run setup\`, or point STILL_PYTHON at an interpreter.`,
    );
  }
  return { executable: venv, source: "project venv" };
}

/**
 * Environment for a Python child: the package's own `python/` directory goes first on PYTHONPATH, so the peer
 * always matches this TS side even in an interpreter where still_rl was never pip-installed.
 */
export function pythonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const current = process.env.PYTHONPATH;
  return {
    ...process.env,
    PYTHONPATH: current ? `${pythonPackageDir}${path.delimiter}${current}` : pythonPackageDir,
    PYTHONUNBUFFERED: "1",
    ...extra,
  };
}
