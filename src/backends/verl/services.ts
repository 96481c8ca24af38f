import { Bridge } from "../../bridge/server.js";
import type { RunConfig } from "../../config/index.js";
import { planFromConfig, type RewardPlan } from "../../rewards/plan.js";
import { RewardScorer } from "../../rewards/scorer.js";
import { TokenTables } from "../../rewards/token-table.js";
import { scoreHandler } from "../../rewards/zmq.js";
import { SandboxPool, sandboxOptionsFromConfig } from "../../sandbox/index.js";
import { getDialect } from "../../tools/dialect.js";
import { advantagesReply } from "./advantages.js";
import { type DirectiveRequest, directiveFor } from "./directives.js";
import { toolTurnHandler } from "./tools.js";

/**
 * What a veRL job talks to while it runs (python/still_rl/verl/ is the other end): one authenticated bridge
 * answering `score` (the `still` reward manager), `still.directive`, `still.advantages`, `still.metrics` and
 * `still.relaunch` (the `still3` trainer) and `still.tool` (the `still_tool` agent loop). `env` is what every
 * veRL process needs to reach it: put it in the job's environment (Ray runtime_env for `ray job submit`).
 */

export interface VerlServices {
  env: Record<string, string>;
  onMetrics(cb: (step: number, metrics: Record<string, number>) => void): void;
  /** The trainer saved a checkpoint after `afterStep` and stopped, for `reasons` (see directives.ts). */
  onRelaunch(cb: (need: RelaunchNeed) => void): void;
  close(): Promise<void>;
}

export interface RelaunchNeed {
  afterStep: number;
  /** veRL's `global_step_<n>` checkpoint folder. */
  checkpoint: string;
  reasons: string[];
}

export interface VerlServicesOptions {
  config: RunConfig;
  runDir: string;
  /** Interface the bridge binds and veRL connects to (default 127.0.0.1; a cluster needs a reachable one). */
  host?: string;
  /** Relative reward file paths resolve against it (the config's folder; default the working directory). */
  configDir?: string;
}

export class VerlServiceRequestError extends Error {
  override name = "VerlServiceRequestError";
}

/**
 * The extra keys the reward manager returns on every sample (veRL takes the key set from the first sample,
 * so it must not depend on the batch): every component the plan can emit, its failure flags, and the
 * manager's own `truncated`, `response_tokens` and `still_fallback`. User rewards' own sub-components vary
 * by sample and are not among them.
 */
export function rewardExtraKeys(plan: RewardPlan, userRewardNames: readonly string[]): string[] {
  const keys = new Set<string>(["acc", "answered", "length_tokens", "length_estimated", "timeout", "error"]);
  for (const c of plan.builtins) {
    keys.add(c.name);
    if (c.kind === "reasoning_action") keys.add(`${c.name}.actions`);
    if (c.kind === "tool_use") {
      keys.add(`${c.name}.calls`);
      keys.add(`${c.name}.errors`);
    }
  }
  for (const name of plan.categories) keys.add(name);
  for (const name of userRewardNames) {
    keys.add(name);
    keys.add(`${name}.timeout`);
    keys.add(`${name}.error`);
  }
  return [...keys];
}

function record(payload: unknown, type: string): Record<string, unknown> {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new VerlServiceRequestError(`${type}: expected a map`);
  }
  return payload as Record<string, unknown>;
}

export async function startVerlServices(opts: VerlServicesOptions): Promise<VerlServices> {
  const { config } = opts;
  const plan = planFromConfig(config, opts.configDir);
  const scorer = await RewardScorer.start(plan);
  let bridge: Bridge | undefined;
  let sandbox: SandboxPool | undefined;
  try {
    bridge = await Bridge.bind({ endpoint: `tcp://${opts.host ?? "127.0.0.1"}:*`, requireAuth: true });
    if (config.tools.enabled)
      sandbox = await SandboxPool.create(sandboxOptionsFromConfig(config.tools, config.python));
  } catch (err) {
    await bridge?.close();
    await scorer.close();
    throw err;
  }
  const metricsCbs: ((step: number, metrics: Record<string, number>) => void)[] = [];
  const relaunchCbs: ((need: RelaunchNeed) => void)[] = [];

  const tables = new TokenTables();
  bridge.handle("score", scoreHandler(scorer, tables));
  bridge.handle("token_table", (payload) => tables.register(payload));
  bridge.handle("still.directive", (payload) =>
    directiveFor(config, record(payload, "still.directive") as unknown as DirectiveRequest),
  );
  bridge.handle("still.advantages", (payload) => advantagesReply(payload, plan.group));
  bridge.handle("still.metrics", (payload) => {
    const p = record(payload, "still.metrics");
    const step = Number(p.step);
    const raw = record(p.metrics, "still.metrics.metrics");
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === "number") metrics[k] = v;
    for (const cb of metricsCbs) cb(step, metrics);
    return { ok: true };
  });
  bridge.handle("still.relaunch", (payload) => {
    const p = record(payload, "still.relaunch");
    const need = {
      afterStep: Number(p.after_step),
      checkpoint: String(p.checkpoint),
      reasons: (p.reasons as string[]).map(String),
    };
    for (const cb of relaunchCbs) cb(need);
    return { ok: true };
  });
  if (sandbox) bridge.handle("still.tool", toolTurnHandler(config.tools, sandbox));

  const { STILL_BRIDGE_NAME: _perProcess, ...bridgeEnv } = bridge.peerEnv({ role: "verl", name: "" });
  const env: Record<string, string> = {
    ...bridgeEnv,
    STILL_RUN_DIR: opts.runDir,
    STILL_REWARD_KEYS: rewardExtraKeys(plan, scorer.userRewardNames).join(","),
    STILL_REWARD_FALLBACK: String(plan.fallbackScore),
    // TS gives each sample its deadline (rewards.deadline_ms); this one only catches a service that is gone.
    STILL_REWARD_TIMEOUT_S: String(plan.deadlineMs / 1000 + 30),
  };
  if (config.tools.enabled) env.STILL_TOOL_STOP = JSON.stringify(getDialect(config.tools.dialect).stop);

  let closing: Promise<void> | undefined;
  const live = bridge;
  return {
    env,
    onMetrics: (cb) => void metricsCbs.push(cb),
    onRelaunch: (cb) => void relaunchCbs.push(cb),
    close: () => {
      closing ??= (async () => {
        await live.close();
        sandbox?.close();
        await scorer.close();
      })();
      return closing;
    },
  };
}
