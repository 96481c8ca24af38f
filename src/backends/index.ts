import { ConfigError, type ConfigSource, type RunConfig } from "../config/index.js";
import { UserError } from "../util/errors.js";
import { hfBackend } from "./hf/index.js";
import { openrlhfBackend } from "./openrlhf/index.js";
import type { Backend, PathIssue } from "./types.js";
import { verlBackend } from "./verl/index.js";

export type { Backend, BackendRunOptions, CompiledArg, CompiledLaunch, PathIssue } from "./types.js";

const BACKENDS: Record<RunConfig["backend"]["type"], Backend> = {
  hf: hfBackend,
  verl: verlBackend,
  openrlhf: openrlhfBackend,
};

/** The backend a run config selects (`backend.type`). */
export function getBackend(type: RunConfig["backend"]["type"]): Backend {
  const backend = BACKENDS[type];
  if (backend === undefined) {
    throw new UserError(
      `backend.type ${type}: still train cannot run it yet (backends available: ${Object.keys(BACKENDS).join(", ")})`,
    );
  }
  return backend;
}

/** Backend issues as a config error: each names its YAML path and the file line (or --set) that wrote it. */
export function configErrorFor(issues: PathIssue[], sources: Map<string, ConfigSource>): ConfigError {
  return new ConfigError(issues.map((i) => ({ ...i, source: sourceAt(i.path, sources) })));
}

function sourceAt(dotted: string, sources: Map<string, ConfigSource>): ConfigSource {
  let p = dotted;
  for (;;) {
    const s = sources.get(p);
    if (s) return s;
    if (p === "") break;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    p = cut < 0 ? "" : p.slice(0, cut);
  }
  return sources.get("") ?? { kind: "file", file: "", line: 1 };
}
