import { type ItemOutcome, WorkerPool } from "../workers/pool.js";
import type { Components, RewardSample } from "./types.js";

/** A user reward named in the run config. */
export interface UserRewardSpec {
  path: string;
  exportName: string;
  params: Record<string, unknown>;
  /** Name for a bare function export (a defineReward object names itself). */
  name?: string;
}

export interface UserRewardInit {
  rewards: UserRewardSpec[];
  deadlineMs: number;
}

/** One user reward on one sample. */
export type UserRewardOutcome =
  | { name: string; reward: number; components: Components; failure?: undefined }
  | { name: string; failure: "error" | "timeout"; message: string };

export interface UserRewardRunnerOptions {
  threads: number;
  /** Deadline of each reward call on one sample. */
  deadlineMs: number;
}

/**
 * Runs user rewards on worker threads that can be terminated, so a reward stuck in a synchronous loop costs
 * its deadline and a worker restart, never the service.
 */
export class UserRewardRunner {
  private constructor(
    private readonly pool: WorkerPool<RewardSample>,
    /** Reward names in spec order, as the files declare them. */
    readonly names: string[],
  ) {}

  static async start(specs: UserRewardSpec[], opts: UserRewardRunnerOptions): Promise<UserRewardRunner> {
    const init: UserRewardInit = { rewards: specs, deadlineMs: opts.deadlineMs };
    const pool = await WorkerPool.start<RewardSample>({
      callerUrl: import.meta.url,
      worker: "user-worker",
      threads: opts.threads,
      init,
      label: "user reward",
      // One item calls every user reward once.
      itemDeadlineMs: opts.deadlineMs * specs.length,
      chunkSize: 8,
    });
    return new UserRewardRunner(pool, pool.info as string[]);
  }

  get restarts(): number {
    return this.pool.restarts;
  }

  /** Outcomes per sample, one per user reward in spec order; failures of a whole sample name every reward. */
  async score(samples: RewardSample[], batchDeadlineMs?: number): Promise<UserRewardOutcome[][]> {
    const outcomes = await this.pool.run(samples, batchDeadlineMs);
    return outcomes.map((o) => this.toRewardOutcomes(o));
  }

  private toRewardOutcomes(o: ItemOutcome): UserRewardOutcome[] {
    if (o.ok) return o.value as UserRewardOutcome[];
    return this.names.map((name) => ({
      name,
      failure: o.kind,
      message: o.message,
    }));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
