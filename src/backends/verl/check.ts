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
export async function runVerlChecks(
  python: string,
  launches: readonly CompiledLaunch[],
): Promise<VerlCheckError[][]> {
  const request = {
    launches: launches.map((l) => ({ overrides: l.args.map((a) => `${a.key}=${a.value}`) })),
  };
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
    const failed = [
      { stage: "python", message: `${python} -m still_rl.verl.check exited ${r.exitCode}:\n${tail}` },
    ];
    return launches.map(() => failed);
  }
  return parsed.results.map((x) => x.errors);
}

export async function runVerlCheck(config: RunConfig, launch: CompiledLaunch): Promise<VerlCheckError[]> {
  const [errors] = await runVerlChecks(verlPython(config), [launch]);
  return errors ?? [];
}

/** The override a check stage is about, when veRL's message does not name it. */
const STAGE_KEYS: Record<string, string[]> = {
  adv_estimator: ["algorithm.adv_estimator"],
  trainer: ["trainer.v1.trainer_mode"],
  reward_manager: ["reward.reward_manager.name"],
  agent_loop: ["actor_rollout_ref.rollout.agent.default_agent_loop"],
};

/** veRL messages that name a derived quantity, and the overrides it derives from. */
const MESSAGE_KEYS: [RegExp, string[]][] = [
  [/real_train_batch_size/, ["data.train_batch_size", "actor_rollout_ref.rollout.n"]],
  [/minimal possible batch size|n_gpus/, ["trainer.n_gpus_per_node", "trainer.nnodes"]],
];

/**
 * The YAML paths behind a veRL error: the overrides whose key (or its last one or two segments, as veRL's
 * messages name them) appears in the message, or that the failing stage or a derived quantity is about.
 * Of several overrides of one key the last counts (it is the one veRL keeps).
 */
export function pathsForError(message: string, launch: CompiledLaunch, stage = ""): string[] {
  const mentions = (needle: string) =>
    new RegExp(`(^|[^A-Za-z0-9_])${needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^A-Za-z0-9_]|$)`).test(
      message,
    );
  const keys = new Set<string>(STAGE_KEYS[stage] ?? []);
  for (const [re, ks] of MESSAGE_KEYS) if (re.test(message)) for (const k of ks) keys.add(k);
  const last = new Map<string, (typeof launch.args)[number]>();
  for (const a of launch.args) last.set(a.key.replace(/^\+/, ""), a);
  const hits = new Set<string>();
  for (const [key, a] of last) {
    const parts = key.split(".");
    const names = [key, parts.slice(-2).join("."), parts.at(-1) ?? ""];
    if (keys.has(key) || names.some((n) => n.length > 2 && mentions(n))) for (const f of a.from) hits.add(f);
  }
  return [...hits];
}

/** veRL's verdict as issues of the run config (path "" when veRL names no override). */
export function checkIssues(errors: VerlCheckError[], launch: CompiledLaunch): PathIssue[] {
  return errors.flatMap((e) => {
    const message = `veRL ${e.stage}: ${e.message}`;
    const paths =
      e.stage === "plugin" || e.stage === "python" ? [] : pathsForError(e.message, launch, e.stage);
    return paths.length === 0 ? [{ path: "", message }] : paths.map((p) => ({ path: p, message }));
  });
}
