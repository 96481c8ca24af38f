import { z } from "zod";
import type { ToolFences } from "../tools/dialect.js";
import type { Components, Verdict } from "./types.js";

/**
 * What a built-in reward is: its config name, the zod shape of its parameters, how a config component becomes
 * the plain data a worker thread scores with, and the scoring itself. The registry (registry.ts) lists them;
 * the config union, the plan and the scorer are derived from it, so a new built-in reward is one file.
 */

/** Where the final answer is read: the last \boxed{} or the last <answer> tag. */
export type AnswerFormat = "boxed" | "answer-tag";

/** How a reward that reads the answer grades it: the verifier's options (src/verify/policy.ts has the defaults). */
export interface Grading {
  format: AnswerFormat;
  boxes: "last" | "list";
  relTol: number;
  absTol: number;
}

/** What planning a component may ask of the run config. */
export interface PlanContext {
  /** The component's name in logs (its config name, suffixed `_2`, `_3` when repeated). */
  name: string;
  /** rollout.max_response_length. */
  maxResponseLength: number;
  /** The tool dialect's fences. */
  toolFences: ToolFences;
  /** Count these keywords in the one keyword pass; the returned set name is what `keywordCount` takes. */
  keywordSet(words: readonly string[]): string;
  /** Where correctness reads the answer (the first component that says wins; boxed otherwise). */
  readAnswer(grading: Grading): void;
}

/** One sample, analysed once for every built-in component. */
export interface ScoreContext {
  verdict: Verdict;
  /** Response length in tokens (estimated from characters when the sample has no count). */
  lengthTokens: number;
  /** The response hit the generation length limit. */
  truncated: boolean;
  prompt: string;
  /** The decoded response (decoded on first use). */
  text(): string;
  /** Keyword occurrences of a set registered by `PlanContext.keywordSet`. */
  keywordCount(set: string): number;
  extra: Record<string, unknown>;
}

/**
 * A component's value, with metrics logged as `<name>.<key>`; `gate: true` makes it a gate instead of a term:
 * the sample's reward is 0 unless the value is 1.
 */
export type BuiltinValue = number | { value: number; metrics?: Components; gate?: boolean };

export interface BuiltinReward<
  N extends string = string,
  S extends z.ZodRawShape = z.ZodRawShape,
  P = unknown,
> {
  name: N;
  /** The config component: `{ name, weight, ...params }`. */
  config: z.ZodObject<{ name: z.ZodLiteral<N>; weight: z.ZodDefault<z.ZodNumber> } & S, z.core.$strict>;
  /** Plain data (it travels to worker threads). */
  plan(component: z.output<z.ZodObject<S>>, ctx: PlanContext): P;
  score(params: P, sample: ScoreContext): BuiltinValue;
}

export function defineBuiltinReward<N extends string, S extends z.ZodRawShape, P>(def: {
  name: N;
  params: S;
  plan(component: z.output<z.ZodObject<S>>, ctx: PlanContext): P;
  score(params: P, sample: ScoreContext): BuiltinValue;
}): BuiltinReward<N, S, P> {
  return {
    name: def.name,
    config: z.strictObject({ name: z.literal(def.name), weight: z.number().default(1), ...def.params }),
    plan: def.plan,
    score: def.score,
  };
}
