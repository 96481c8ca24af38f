import { execa } from "execa";
import type { RunConfig } from "../../config/index.js";
import type { CompiledLaunch, PathIssue } from "../types.js";
import { PLUGIN_NAMES } from "./compile.js";
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

export async function runVerlCheck(config: RunConfig, launch: CompiledLaunch): Promise<VerlCheckError[]> {
  const python = verlPython(config);
  const request = {
    overrides: launch.args.map((a) => `${a.key}=${a.value}`),
    trainer: PLUGIN_NAMES.trainer,
    reward_manager: PLUGIN_NAMES.rewardManager,
  };
  const r = await execa(python, ["-m", "still_rl.verl.check"], {
    input: JSON.stringify(request),
    env: verlEnv(),
    reject: false,
    timeout: 180_000,
  });
  const lastLine = r.stdout.trim().split("\n").at(-1) ?? "";
  let parsed: { errors: VerlCheckError[] } | undefined;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    parsed = undefined;
  }
  if (r.exitCode !== 0 || parsed === undefined) {
    const tail = r.stderr.trim().split("\n").slice(-15).join("\n");
    return [{ stage: "python", message: `${python} -m still_rl.verl.check exited ${r.exitCode}:\n${tail}` }];
  }
  return parsed.errors;
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
