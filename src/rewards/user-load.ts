import path from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { asUserReward, type UserReward } from "./define.js";
import type { UserRewardSpec } from "./user-rewards.js";

/** A user reward file loaded, with the params its component passes. */
export interface LoadedUserReward {
  reward: UserReward;
  params: Record<string, unknown>;
}

/** Where a reward comes from, as errors name it. */
export function rewardWhere(spec: UserRewardSpec): string {
  return `${spec.path}${spec.exportName === "default" ? "" : ` (export ${spec.exportName})`}`;
}

/** Load every user reward file with tsx (no build step); an error names the file and export. */
export async function loadUserRewards(specs: UserRewardSpec[]): Promise<LoadedUserReward[]> {
  const rewards: LoadedUserReward[] = [];
  for (const spec of specs) {
    const where = rewardWhere(spec);
    let mod: Record<string, unknown>;
    try {
      mod = (await tsImport(pathToFileURL(path.resolve(spec.path)).href, import.meta.url)) as Record<
        string,
        unknown
      >;
    } catch (err) {
      throw new Error(`cannot load reward ${where}: ${firstLine(err)}`);
    }
    let value = mod[spec.exportName];
    // A file tsx compiled as CommonJS nests the module under `default`.
    if (value === undefined && spec.exportName !== "default") {
      value = (mod.default as Record<string, unknown> | undefined)?.[spec.exportName];
    } else if (spec.exportName === "default" && isModule(value)) {
      value = (value as Record<string, unknown>).default;
    }
    if (typeof value === "function") {
      value = { name: spec.name ?? path.basename(spec.path).replace(/\.[^.]+$/, ""), score: value };
    }
    rewards.push({ reward: asUserReward(value, where), params: spec.params });
  }
  return rewards;
}

/** One line of an error: a user's multi-line message or stack must not flood a CLI error. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n").find((l) => l.trim() !== "") ?? text;
}

function isModule(v: unknown): boolean {
  return v !== null && typeof v === "object" && "default" in v && !("score" in v);
}
