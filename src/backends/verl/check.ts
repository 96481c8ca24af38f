import { execa } from "execa";
import type { RunConfig } from "../../config/index.js";
import type { CompiledLaunch, PathIssue } from "../types.js";
import { verlEnv, verlPython } from "./python.js";

/**
 * `still config compile --check`: the compiled overrides composed with veRL's own Hydra config in the veRL
 * environment, `validate_config`, and the checks veRL only makes at run time (python/still_rl/verl/check.py).
 * Each error comes back against the YAML path whose override veRL names.
 */

export interface VerlCheckError {
  stage: string;
  message: string;
}

/** veRL's verdict on each launch (one Python process for all of them). */
export async function runVerlChecks(python: string, launches: readonly CompiledLaunch[]): Promise<VerlCheckError[][]> {
  const request = { launches: launches.map((l) => ({ overrides: l.args.map((a) => `${a.key}=${a.value}`) })) };
  const r = await execa(python, ["-m", "still_rl.verl.check"], {
    input: JSON.stringify(request),
    env: verlEnv(),
    reject: false,
    timeout: 120_000 + 10_000 * launches.length,
  });
  const lastLine = r.stdout.trim().split("\n").at(-1) ?? "";
  let parsed: { results: { errors: VerlCheckError[] }[] } | undefined;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    parsed = undefined;
  }
  if (r.exitCode !== 0 || parsed === undefined) {
    const tail = r.stderr.trim().split("\n").slice(-15).join("\n");
    const failed = [{ stage: "python", message: `${python} -m still_rl.verl.check exited ${r.exitCode}:\n${tail}` }];
    return launches.map(() => failed);
  }
  return parsed.results.map((x) => x.errors);
}

export async function runVerlCheck(config: RunConfig, launch: CompiledLaunch): Promise<VerlCheckError[]> {
  const [errors] = await runVerlChecks(verlPython(config), [launch]);
  return errors ?? [];
}

/**
 * The YAML paths behind a veRL error: the overrides whose key (or its last one or two segments, as veRL's
 * messages name them) appears in the message. Plugin and environment errors have none.
 */
export function pathsForError(message: string, launch: CompiledLaunch): string[] {
  const hits = new Set<string>();
  const mentions = (needle: string) =>
    new RegExp(`(^|[^A-Za-z0-9_])${needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^A-Za-z0-9_]|$)`).test(
      message,
    );
  for (const a of launch.args) {
    const parts = a.key.replace(/^\+/, "").split(".");
    const names = [parts.join("."), parts.slice(-2).join("."), parts.at(-1) ?? ""];
    if (names.some((n) => n.length > 2 && mentions(n))) for (const f of a.from) hits.add(f);
  }
  return [...hits];
}

/** veRL's verdict as issues of the run config (path "" when veRL names no override). */
export function checkIssues(errors: VerlCheckError[], launch: CompiledLaunch): PathIssue[] {
  return errors.flatMap((e) => {
    const message = `veRL ${e.stage}: ${e.message}`;
    const paths = e.stage === "plugin" || e.stage === "python" ? [] : pathsForError(e.message, launch);
    return paths.length === 0 ? [{ path: "", message }] : paths.map((p) => ({ path: p, message }));
  });
}
