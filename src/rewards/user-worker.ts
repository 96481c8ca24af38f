import { timerDelay } from "../util/timers.js";
import { serveItems } from "../workers/serve.js";
import { userRewardResult } from "./define.js";
import type { RewardSample } from "./types.js";
import { loadUserRewards } from "./user-load.js";
import type { UserRewardInit, UserRewardOutcome } from "./user-rewards.js";

/** Worker thread running user rewards: loaded with tsx (no build step), each call bounded by the deadline. */
serveItems(async (raw) => {
  const init = raw as UserRewardInit;
  const rewards = await loadUserRewards(init.rewards);

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
            ...(err instanceof Error && err.stack !== undefined && { stack: err.stack }),
          });
      }
    }
    return out;
  };
  return { handle, info: rewards.map((r) => r.reward.name) };
});

const TIMEOUT = Symbol("timeout");

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMEOUT), timerDelay(ms));
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
