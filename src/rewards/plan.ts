import path from "node:path";
import type { RunConfig } from "../config/schema/index.js";
import type { CorrectnessVariant } from "./correctness.js";
import type { GroupOptions } from "./group.js";
import { type KeywordSets, REASONING_CATEGORIES } from "./keywords.js";
import type { ToolFences } from "./tool.js";
import type { UserRewardSpec } from "./user-rewards.js";

/**
 * A run config's rewards, resolved into what the scorer executes: every built-in component with its
 * parameters filled in (L_max from the rollout budget, tool fences from the tool dialect), the user reward
 * files, the group strategy and the failure policy. Plain data, so it travels to worker threads.
 */

export type BuiltinComponent =
  | { kind: "correctness"; name: string; weight: number; variant: CorrectnessVariant }
  | { kind: "format"; name: string; weight: number; mode: "gate" | "bonus" }
  | { kind: "length"; name: string; weight: number; lMax: number }
  | { kind: "reasoning_action"; name: string; weight: number; keywordSet: string; aMax: number }
  | { kind: "tool_use"; name: string; weight: number; bonus: number; errorPenalty: number };

export interface RewardPlan {
  builtins: BuiltinComponent[];
  /** User rewards, each with its weight; their names come from the files. */
  user: (UserRewardSpec & { weight: number })[];
  /** Where the final answer is read (the first correctness component's `extract`; boxed otherwise). */
  answerFormat: "boxed" | "answer-tag";
  /** Keyword sets counted in one pass: one per RRA component plus the keyword-ratio categories. */
  keywordSets: KeywordSets;
  /** Names of the keyword-ratio categories inside `keywordSets`. */
  categories: string[];
  toolFences: ToolFences;
  group: GroupOptions;
  fallbackScore: number;
  deadlineMs: number;
}

const DIALECT_FENCES: Record<string, ToolFences> = {
  still: { code: "```python", output: "```output", outputEnd: "```" },
  still_harness: { code: "```python", output: "```output", outputEnd: "```" },
  qwen: { code: "```python", output: "```output", outputEnd: "```" },
  retool: { code: "<code>", output: "<interpreter>", outputEnd: "</interpreter>" },
};

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
  let answerFormat: RewardPlan["answerFormat"] | undefined;
  for (const c of r.components) {
    switch (c.name) {
      case "correctness":
        answerFormat ??= c.extract === "answer_tag" ? "answer-tag" : "boxed";
        builtins.push({
          kind: "correctness",
          name: uniqueName(c.name),
          weight: c.weight,
          variant: c.variant,
        });
        break;
      case "format":
        builtins.push({ kind: "format", name: uniqueName(c.name), weight: c.weight, mode: c.mode });
        break;
      case "length":
        builtins.push({
          kind: "length",
          name: uniqueName(c.name),
          weight: c.weight,
          lMax: c.l_max ?? config.rollout.max_response_length,
        });
        break;
      case "reasoning_action": {
        const name = uniqueName(c.name);
        keywordSets[name] = c.keywords;
        builtins.push({ kind: "reasoning_action", name, weight: c.weight, keywordSet: name, aMax: c.a_max });
        break;
      }
      case "tool_use":
        builtins.push({
          kind: "tool_use",
          name: uniqueName(c.name),
          weight: c.weight,
          bonus: c.bonus,
          errorPenalty: c.error_penalty,
        });
        break;
      case "custom":
        user.push({
          path: path.resolve(baseDir, c.path),
          exportName: c.export,
          params: c.params,
          weight: c.weight,
        });
        break;
    }
  }
  const categories = Object.keys(REASONING_CATEGORIES).map((k) => `kw_${k}`);
  for (const [k, words] of Object.entries(REASONING_CATEGORIES)) keywordSets[`kw_${k}`] = words;

  const strategies = new Set(r.group_strategies);
  return {
    builtins,
    user,
    answerFormat: answerFormat ?? "boxed",
    keywordSets,
    categories,
    toolFences: DIALECT_FENCES[config.tools.dialect] ?? DIALECT_FENCES.still!,
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
