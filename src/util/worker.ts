import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Start a worker thread from a module next to the caller, named without extension. Compiled code (dist/)
 * loads the `.js` file; source code (tests, `tsx`) loads the `.ts` file through tsx's loader, so the same
 * library code runs under vitest and from the built CLI.
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const js = new URL(`./${name}.js`, callerUrl);
  if (existsSync(fileURLToPath(js))) return new Worker(js, options);
  const ts = new URL(`./${name}.ts`, callerUrl);
  return new Worker(ts, { ...options, execArgv: [...(options.execArgv ?? []), "--import", "tsx"] });
}
