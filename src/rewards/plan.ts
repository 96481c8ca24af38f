import path from "node:path";
import type { RunConfig } from "../config/schema/index.js";
import { getDialect } from "../tools/dialect.js";
import type { Grading, PlanContext } from "./builtin.js";
import type { GroupOptions } from "./group.js";
import { type KeywordSets, REASONING_CATEGORIES } from "./keywords.js";
import { BUILTIN_BY_NAME } from "./registry.js";
import type { UserRewardSpec } from "./user-rewards.js";

/**
 * A run config's rewards, resolved into what the scorer executes: every built-in component with its
 * parameters filled in (L_max from the rollout budget, tool fences from the tool dialect), the user reward
 * files, the group strategy and the failure policy. Plain data, so it travels to worker threads.
 */

/** A built-in component as planned: the registry entry `kind` scores with `params`. */
export interface BuiltinComponent {
  kind: string;
  name: string;
  weight: number;
  params: unknown;
}

export interface RewardPlan {
  builtins: BuiltinComponent[];
  /** User rewards, each with its weight; their names come from the files. */
  user: (UserRewardSpec & { weight: number })[];
  /** Where the final answer is read (the first correctness component's `extract`; boxed otherwise). */
  /** How answers are graded (the first reward that reads the answer sets it). */
  grading: Grading;
  /** Keyword sets counted in one pass: one per RRA component plus the keyword-ratio categories. */
  keywordSets: KeywordSets;
  /** Names of the keyword-ratio categories inside `keywordSets`. */
  categories: string[];
  group: GroupOptions;
  fallbackScore: number;
  deadlineMs: number;
}

/** Resolve a run config's rewards; relative reward file paths resolve against `baseDir` (the config's folder). */
export function planFromConfig(config: RunConfig, baseDir: string = process.cwd()): RewardPlan {
  const r = config.rewards;
  const builtins: BuiltinComponent[] = [];
  const user: RewardPlan["user"] = [];
  const keywordSets: KeywordSets = {};
  const used = new Map<string, number>();
  const uniqueName = (base: string) => {
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  };
  let grading: Grading | undefined;
  for (const c of r.components) {
    if (c.name === "custom") {
      user.push({
        path: path.resolve(baseDir, c.path),
        exportName: c.export,
        params: c.params,
        weight: c.weight,
      });
      continue;
    }
    const name = uniqueName(c.name);
    const ctx: PlanContext = {
      name,
      maxResponseLength: config.rollout.max_response_length,
      toolFences: getDialect(config.tools.dialect).fences,
      keywordSet: (words) => {
        keywordSets[name] = words;
        return name;
      },
      readAnswer: (g) => {
        grading ??= g;
      },
    };
    const params = BUILTIN_BY_NAME.get(c.name)!.plan(c, ctx);
    builtins.push({ kind: c.name, name, weight: c.weight, params });
  }
  const categories = Object.keys(REASONING_CATEGORIES).map((k) => `kw_${k}`);
  for (const [k, words] of Object.entries(REASONING_CATEGORIES)) keywordSets[`kw_${k}`] = words;

  const strategies = new Set(r.group_strategies);
  return {
    builtins,
    user,
    grading: grading ?? { format: "boxed", boxes: "last", relTol: 0, absTol: 0 },
    keywordSets,
    categories,
    group: {
      estimator: config.algorithm.advantage_estimator,
      normByStd: config.algorithm.norm_adv_by_std,
      orm: strategies.has("orm"),
      qs: strategies.has("qs"),
      rs: strategies.has("rs"),
      epsilon: 1e-6,
    },
    fallbackScore: r.fallback_score,
    deadlineMs: r.deadline_ms,
  };
}
