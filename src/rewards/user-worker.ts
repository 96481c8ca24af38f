import path from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { serveItems } from "../workers/serve.js";
import { asUserReward, type UserReward, userRewardResult } from "./define.js";
import type { RewardSample } from "./types.js";
import type { UserRewardInit, UserRewardOutcome } from "./user-rewards.js";

/** Worker thread running user rewards: loaded with tsx (no build step), each call bounded by the deadline. */
serveItems(async (raw) => {
  const init = raw as UserRewardInit;
  const rewards: { reward: UserReward; params: Record<string, unknown> }[] = [];
  for (const spec of init.rewards) {
    const where = `${spec.path}${spec.exportName === "default" ? "" : ` (export ${spec.exportName})`}`;
    let mod: Record<string, unknown>;
    try {
      mod = (await tsImport(pathToFileURL(path.resolve(spec.path)).href, import.meta.url)) as Record<
        string,
        unknown
      >;
    } catch (err) {
      throw new Error(`cannot load reward ${where}: ${err instanceof Error ? err.message : String(err)}`);
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

  const handle = async (item: unknown) => {
    const sample = item as RewardSample;
    const out: UserRewardOutcome[] = [];
    for (const { reward, params } of rewards) {
      const started = Date.now();
      try {
        let value = reward.score(sample, params);
        if (value instanceof Promise)
          value = await withDeadline(value, init.deadlineMs - (Date.now() - started));
        else if (Date.now() - started > init.deadlineMs) throw TIMEOUT;
        out.push({ name: reward.name, ...userRewardResult(value, reward.name) });
      } catch (err) {
        if (err === TIMEOUT)
          out.push({ name: reward.name, failure: "timeout", message: "deadline exceeded" });
        else
          out.push({
            name: reward.name,
            failure: "error",
            message: err instanceof Error ? err.message : String(err),
          });
      }
    }
    return out;
  };
  return { handle, info: rewards.map((r) => r.reward.name) };
});

function isModule(v: unknown): boolean {
  return v !== null && typeof v === "object" && "default" in v && !("score" in v);
}

const TIMEOUT = Symbol("timeout");

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMEOUT), Math.max(0, ms));
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
