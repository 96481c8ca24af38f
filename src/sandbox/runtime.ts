import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { promisify } from "node:util";

/**
 * What the sandbox must bind read-only for one interpreter to start and import its libraries: the interpreter's
 * installation prefix (stdlib, libpython: pyenv builds carry an absolute RUNPATH, so it is bound at its own
 * path) and the site-packages directories of its environment. A venv's site-packages live outside the prefix,
 * often inside the project directory, so they are mounted under SITE_MOUNT_DIR instead of at their own path:
 * the sandbox sees neither the project's files nor its path.
 */
export interface PythonRuntime {
  /** The interpreter binary, symlinks resolved. */
  executable: string;
  /** Directories bound read-only at their own paths. */
  binds: string[];
  /** Site-packages outside the prefix, bound read-only at a neutral path inside. */
  siteMounts: SiteMount[];
  /** The environment's site-packages on the host (the interpreter starts with -I -S: no site, no .pth files). */
  sitePackages: string[];
}

export interface SiteMount {
  host: string;
  sandbox: string;
}

export const SITE_MOUNT_DIR = "/opt/site";

const PROBE = `
import json, os, site, sys
print(json.dumps({
  "executable": os.path.realpath(sys.executable),
  "base_prefix": os.path.realpath(sys.base_prefix),
  "site": [os.path.realpath(p) for p in site.getsitepackages() if os.path.isdir(p)],
}))
`;

const execFileAsync = promisify(execFile);

/** Ask the interpreter where it lives. Runs outside the sandbox, so it must be the trusted configured one. */
export async function probeRuntime(python: string): Promise<PythonRuntime> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(python, ["-I", "-c", PROBE], { env: {}, timeout: 30_000 }));
  } catch (err) {
    throw new Error(`cannot start the sandbox's Python ${python}: ${(err as Error).message}`);
  }
  const facts = JSON.parse(stdout) as { executable: string; base_prefix: string; site: string[] };
  const binds = [facts.base_prefix];
  const executable = realpathSync(facts.executable);
  if (!isUnder(executable, facts.base_prefix)) binds.push(executable);
  const siteMounts = facts.site
    .filter((dir) => !isUnder(dir, facts.base_prefix))
    .map((host, i) => ({ host, sandbox: `${SITE_MOUNT_DIR}/${i}` }));
  return { executable, binds: collapse(binds), siteMounts, sitePackages: facts.site };
}

/** Where the site-packages directories are seen from inside the sandbox. */
export function sandboxSitePackages(runtime: PythonRuntime): string[] {
  return runtime.sitePackages.map((dir) => runtime.siteMounts.find((m) => m.host === dir)?.sandbox ?? dir);
}

export function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** Sorted, without entries already covered by another entry. */
export function collapse(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => isUnder(p, q)));
}
