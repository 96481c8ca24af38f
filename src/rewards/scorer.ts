import { availableParallelism } from "node:os";
import { UserError } from "../util/errors.js";
import { timerDelay } from "../util/timers.js";
import { WorkerPool } from "../workers/pool.js";
import { type BuiltinSample, type BuiltinScore, responseText } from "./analyze.js";
import { applyGroupStrategies, type GroupOutcome } from "./group.js";
import { compileKeywords } from "./keywords.js";
import type { RewardPlan } from "./plan.js";
import { BUILTIN_BY_NAME } from "./registry.js";
import type { RewardResult, RewardSample, Verdict } from "./types.js";
import { UserRewardRunner } from "./user-rewards.js";

/**
 * Scores batches of samples with a reward plan: built-in rewards on one pool of worker threads, user rewards
 * on another (terminable), the weighted total, and the group strategies for samples that carry a group id.
 * Never throws on a sample: a failing or late reward gives the plan's fallback score and a flag.
 */

export interface ScoredSample extends RewardResult, Partial<GroupOutcome> {
  verdict: Verdict;
  lengthTokens: number;
  /** The user rewards that failed on this sample (scored with the fallback), with what they threw. */
  failures?: RewardFailure[];
}

export interface RewardFailure {
  name: string;
  kind: "error" | "timeout";
  message: string;
  stack?: string;
}

export interface ScorerOptions {
  /** Threads for built-in rewards and verification (default: available parallelism). */
  threads?: number;
  /** Threads for user rewards (default: up to 2). */
  userThreads?: number;
  /** How long loading the user reward files may take (default 30 s). */
  userLoadTimeoutMs?: number;
}

/** Component flag of a sample whose reward or a component was NaN or infinite (the sample gets the fallback). */
export const NONFINITE_FLAG = "nonfinite";

/** Components every sample carries whatever the plan, and the flags the scorer sets. */
const FIXED_COMPONENTS = [
  "acc",
  "answered",
  "length_tokens",
  "length_estimated",
  "timeout",
  "error",
  NONFINITE_FLAG,
];

export interface ScoreOptions {
  /** Deadline of the whole batch: samples not done by then get the fallback score and `timeout`. */
  deadlineMs?: number;
}

export class RewardScorer {
  private constructor(
    readonly plan: RewardPlan,
    private readonly builtins: WorkerPool<BuiltinSample>,
    private readonly user: UserRewardRunner | undefined,
  ) {}

  static async start(plan: RewardPlan, opts: ScorerOptions = {}): Promise<RewardScorer> {
    for (const key of ["threads", "userThreads"] as const) {
      const n = opts[key];
      // Zero workers would answer every sample with an error while the service looks healthy.
      if (n !== undefined && !(Number.isInteger(n) && n >= 1)) {
        throw new UserError(`reward scorer: ${key} must be a whole number >= 1, got ${n}`);
      }
    }
    compileKeywords(plan.keywordSets); // bad keywords fail here, not in every worker
    const cores = availableParallelism();
    const builtins = await WorkerPool.start<BuiltinSample>({
      callerUrl: import.meta.url,
      worker: "builtin-worker",
      threads: opts.threads ?? cores,
      init: plan,
      label: "reward",
      itemDeadlineMs: plan.deadlineMs,
      chunkSize: 64,
      // Built-ins are bounded by construction; batching results keeps messages few on the hot path.
      flushMs: 5,
    });
    let user: UserRewardRunner | undefined;
    if (plan.user.length > 0) {
      try {
        user = await UserRewardRunner.start(plan.user, {
          threads: opts.userThreads ?? Math.min(2, cores),
          deadlineMs: plan.deadlineMs,
          reservedNames: new Set([
            // Every built-in, reserved even when a plan does not use it, so that adding one never changes a name.
            ...BUILTIN_BY_NAME.keys(),
            ...plan.builtins.map((b) => b.name),
            ...FIXED_COMPONENTS,
            ...plan.categories,
          ]),
          ...(opts.userLoadTimeoutMs !== undefined && { loadTimeoutMs: opts.userLoadTimeoutMs }),
        });
      } catch (err) {
        await builtins.close();
        throw err;
      }
    }
    return new RewardScorer(plan, builtins, user);
  }

  /** Names of the user rewards, as their files declare them. */
  get userRewardNames(): string[] {
    return this.user?.names ?? [];
  }

  /** Workers replaced after a hang or crash since start. */
  get restarts(): number {
    return this.builtins.restarts + (this.user?.restarts ?? 0);
  }

  /**
   * Score a batch. A response may be given as UTF-8 bytes (ideally a view on a SharedArrayBuffer, which the
   * workers read without a copy); user rewards always see it decoded.
   */
  async score(samples: (RewardSample | BuiltinSample)[], opts: ScoreOptions = {}): Promise<ScoredSample[]> {
    const deadlineMs = opts.deadlineMs === undefined ? undefined : timerDelay(opts.deadlineMs);
    const [builtin, user] = await Promise.all([
      this.builtins.run(samples, deadlineMs),
      this.user?.score(
        samples.map((s) =>
          typeof s.response === "string" ? (s as RewardSample) : { ...s, response: responseText(s.response) },
        ),
        deadlineMs,
      ),
    ]);
    const plan = this.plan;
    const scored = samples.map((sample, i): ScoredSample => {
      const b = builtin[i]!;
      if (!b.ok) {
        return {
          reward: plan.fallbackScore,
          components: { [b.kind]: 1 },
          verdict: "unanswered",
          lengthTokens: sample.responseTokens ?? 0,
        };
      }
      const s = b.value as BuiltinScore;
      const components = { ...s.components };
      let total = s.weighted;
      const failures: RewardFailure[] = [];
      (user?.[i] ?? []).forEach((u, k) => {
        if (u.failure !== undefined) {
          components[`${u.name}.${u.failure}`] = 1;
          failures.push({
            name: u.name,
            kind: u.failure,
            message: u.message,
            ...(u.stack && { stack: u.stack }),
          });
          return;
        }
        components[u.name] = u.reward;
        for (const [key, v] of Object.entries(u.components)) components[`${u.name}.${key}`] = v;
        total += plan.user[k]!.weight * u.reward;
      });
      const failed = failures.length > 0;
      const reward = failed ? plan.fallbackScore : s.gateOpen ? total : 0;
      return finite(
        {
          reward,
          components,
          verdict: s.verdict,
          lengthTokens: s.lengthTokens,
          ...(failed && { failures }),
        },
        plan.fallbackScore,
      );
    });
    this.applyGroups(samples, scored);
    return scored;
  }

  private applyGroups(samples: BuiltinSample[], scored: ScoredSample[]): void {
    const idx = samples.flatMap((s, i) => (s.group === undefined ? [] : [i]));
    if (idx.length === 0) return;
    const outcomes = applyGroupStrategies(
      idx.map((i) => ({
        group: samples[i]!.group!,
        reward: scored[i]!.reward,
        verdict: scored[i]!.verdict,
        length: scored[i]!.lengthTokens,
        truncated: samples[i]!.truncated,
      })),
      this.plan.group,
    );
    idx.forEach((i, k) => {
      Object.assign(scored[i]!, outcomes[k]);
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.builtins.close(), this.user?.close()]);
  }
}

/**
 * NaN and infinities have no JSON form (they would reach OpenRLHF as null) and poison a trainer's mean: a
 * non-finite component is dropped and flagged `<name>.nonfinite`, and a sample with one, or with a non-finite
 * total, gets the fallback score and the `nonfinite` flag, like a reward that failed.
 */
function finite(scored: ScoredSample, fallback: number): ScoredSample {
  let bad = !Number.isFinite(scored.reward);
  for (const [k, v] of Object.entries(scored.components)) {
    if (Number.isFinite(v)) continue;
    delete scored.components[k];
    scored.components[`${k}.${NONFINITE_FLAG}`] = 1;
    bad = true;
  }
  if (!bad) return scored;
  scored.components[NONFINITE_FLAG] = 1;
  scored.reward = fallback;
  return scored;
}
