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
  // Node 20 loads a worker's entry module before `--import tsx` hooks apply, so a `.ts` entry fails with
  // "Unknown file extension"; register tsx inside the worker first, then import the entry.
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
