import type { Components, RewardSample } from "./types.js";

/**
 * A user reward, written in TypeScript:
 *
 * ```ts
 * import { defineReward } from "still-rl";
 * export default defineReward({
 *   name: "concise",
 *   score(sample) {
 *     return sample.truncated ? -1 : 1 - (sample.responseTokens ?? 0) / 8192;
 *   },
 * });
 * ```
 *
 * `score` may be async and may return a number or `{ reward, components }`; `params` are the component's
 * `params` from the run config. It runs on a worker thread with a deadline: a throw or an overrun gives the
 * sample the configured fallback score and an `<name>.error` / `<name>.timeout` flag.
 */
export interface UserReward<P extends Record<string, unknown> = Record<string, unknown>> {
  /** Names the component in logs (letters, digits, _ - .). */
  name: string;
  score(sample: RewardSample, params: P): UserRewardValue | Promise<UserRewardValue>;
}

export type UserRewardValue = number | { reward: number; components?: Components };

/** Identity at run time; gives a reward file its types in the user's editor. */
export function defineReward<P extends Record<string, unknown> = Record<string, unknown>>(
  reward: UserReward<P>,
): UserReward<P> {
  return reward;
}

/** Check what a reward file exported, naming the file and export in the error. */
export function asUserReward(value: unknown, where: string): UserReward {
  const r = value as Partial<UserReward> | undefined;
  if (r === null || typeof r !== "object" || typeof r.score !== "function") {
    throw new Error(
      `${where}: expected defineReward({ name, score(sample) { ... } }), got ${describe(value)}`,
    );
  }
  if (typeof r.name !== "string" || !/^[A-Za-z0-9_.-]+$/.test(r.name)) {
    throw new Error(
      `${where}: name must be a non-empty string of letters, digits, _ - . (got ${describe(r.name)})`,
    );
  }
  return r as UserReward;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "function") return "a function";
  return JSON.stringify(v)?.slice(0, 80) ?? String(v);
}

/** Normalise what a user reward returned; throws when it is not a finite number. */
export function userRewardResult(value: unknown, name: string): { reward: number; components: Components } {
  const v = value as UserRewardValue;
  const reward = typeof v === "number" ? v : v !== null && typeof v === "object" ? v.reward : undefined;
  if (typeof reward !== "number" || !Number.isFinite(reward)) {
    throw new Error(
      `reward "${name}" returned ${describe(value)}, expected a finite number or { reward, components }`,
    );
  }
  const components: Components = {};
  if (typeof v === "object" && v.components) {
    for (const [k, x] of Object.entries(v.components)) if (typeof x === "number") components[k] = x;
  }
  return { reward, components };
}
