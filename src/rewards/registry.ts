import { reasoningAction } from "./action.js";
import type { BuiltinReward } from "./builtin.js";
import { correctness } from "./correctness.js";
import { cosineLength } from "./cosine.js";
import { format } from "./format.js";
import { length } from "./length.js";
import { toolUse } from "./tool.js";

/** The built-in rewards, the single list of them: the config union, the plan and the scorer read it. */
export const BUILTIN_REWARDS = [correctness, format, length, reasoningAction, toolUse, cosineLength] as const;

export type BuiltinRewardName = (typeof BUILTIN_REWARDS)[number]["name"];

export const BUILTIN_BY_NAME: ReadonlyMap<string, BuiltinReward> = new Map(
  BUILTIN_REWARDS.map((r) => [r.name, r as unknown as BuiltinReward]),
);

/** The config schemas of the built-ins, as a tuple (what z.discriminatedUnion needs). */
export const BUILTIN_CONFIGS = BUILTIN_REWARDS.map((r) => r.config) as unknown as Configs<
  typeof BUILTIN_REWARDS
>;

type Configs<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends { config: infer C } ? C : never;
};
