import { UserError } from "../util/errors.js";
import { startWorker } from "../util/worker.js";
import { type ItemOutcome, WorkerPool } from "../workers/pool.js";
import type { Components, RewardSample } from "./types.js";
import { firstLine, rewardWhere } from "./user-load.js";

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
  | { name: string; failure: "error" | "timeout"; message: string; stack?: string };

export interface UserRewardRunnerOptions {
  threads: number;
  /** Deadline of each reward call on one sample. */
  deadlineMs: number;
  /** How long loading the reward files may take (default 30 s): a file that hangs at load fails the start. */
  loadTimeoutMs?: number;
  /** Component names the rewards may not take (the built-ins'): a clash would overwrite a built-in value. */
  reservedNames?: ReadonlySet<string>;
}

const LOAD_TIMEOUT_MS = 30_000;

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

  /**
   * Load the files once on a thread of their own first: a file that throws, hangs or spins at load time fails
   * here with one line naming it (a UserError), before any pool worker is started to hang with it.
   */
  static async start(specs: UserRewardSpec[], opts: UserRewardRunnerOptions): Promise<UserRewardRunner> {
    const names = await loadNames(specs, opts.loadTimeoutMs ?? LOAD_TIMEOUT_MS);
    checkNames(specs, names, opts.reservedNames ?? new Set());
    const init: UserRewardInit = { rewards: specs, deadlineMs: opts.deadlineMs };
    let pool: WorkerPool<RewardSample>;
    try {
      pool = await WorkerPool.start<RewardSample>({
        callerUrl: import.meta.url,
        worker: "user-worker",
        threads: opts.threads,
        init,
        label: "user reward",
        // One item calls every user reward once.
        itemDeadlineMs: opts.deadlineMs * specs.length,
        chunkSize: 8,
      });
    } catch (err) {
      throw new UserError(firstLine(err));
    }
    return new UserRewardRunner(pool, names);
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

/** The rewards' names, from loading the files on a thread that is terminated if loading does not end in time. */
async function loadNames(specs: UserRewardSpec[], timeoutMs: number): Promise<string[]> {
  const worker = startWorker(import.meta.url, "user-load-worker", { workerData: specs });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const files = specs.map(rewardWhere).join(", ");
        reject(
          new UserError(
            `reward ${files} did not finish loading within ${timeoutMs / 1000} s (a loop or a wait at the top level of the file?)`,
          ),
        );
      }, timeoutMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        fn();
      };
      worker.once("message", (m: { ok: true; names: string[] } | { ok: false; message: string }) =>
        settle(() => (m.ok ? resolve(m.names) : reject(new UserError(m.message)))),
      );
      worker.once("error", (err) =>
        settle(() => reject(new UserError(`cannot load reward: ${firstLine(err)}`))),
      );
      worker.once("exit", (code) =>
        settle(() => reject(new UserError(`a reward file ended its thread with code ${code} while loading`))),
      );
    });
  } finally {
    await worker.terminate();
  }
}

/** Each user reward needs a name of its own, not a built-in's: the scorer keys components by name. */
function checkNames(specs: UserRewardSpec[], names: string[], reserved: ReadonlySet<string>): void {
  const seen = new Map<string, string>();
  names.forEach((name, i) => {
    const where = rewardWhere(specs[i]!);
    if (reserved.has(name)) {
      throw new UserError(
        `reward ${where} is named "${name}", like a built-in component; give it another name (built-ins: ${[...reserved].join(", ")})`,
      );
    }
    const other = seen.get(name);
    if (other !== undefined) {
      throw new UserError(`rewards ${other} and ${where} are both named "${name}"; give each its own name`);
    }
    seen.set(name, where);
  });
}
