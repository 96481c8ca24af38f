import { availableParallelism } from "node:os";
import { type ItemOutcome, WorkerPool } from "../workers/pool.js";
import type { VerifyItem, VerifyResult } from "./types.js";
import { verify } from "./verify.js";

export interface VerifierPoolOptions {
  /** Worker threads (default: the machine's available parallelism). 0 verifies on the calling thread. */
  threads?: number;
  /** Items sent to a worker at once (default 64): small enough to balance, large enough to amortise messages. */
  chunkSize?: number;
  /**
   * Backstop only (every item is bounded by construction): a batch taking longer than `baseTimeoutMs` plus
   * `msPerItem` per item and thread (defaults 1000 and 100) gives its unfinished items `reason: "timeout"`,
   * and a worker silent for longer than one item's share is terminated and replaced.
   */
  msPerItem?: number;
  baseTimeoutMs?: number;
}

/**
 * Verifies batches on the shared worker pool (src/workers/pool.ts), for reward services and `still verify`:
 * `verifyMany` keeps input order, never rejects for a bad item, and a stuck worker is replaced rather than
 * waited on (no signals involved).
 */
export class VerifierPool {
  readonly threads: number;
  private readonly msPerItem: number;
  private readonly baseTimeoutMs: number;
  private readonly pool: Promise<WorkerPool<VerifyItem>> | null;
  private closed = false;

  constructor(options: VerifierPoolOptions = {}) {
    this.threads = Math.max(0, Math.floor(options.threads ?? availableParallelism()));
    this.msPerItem = options.msPerItem ?? 100;
    this.baseTimeoutMs = options.baseTimeoutMs ?? 1000;
    this.pool =
      this.threads === 0
        ? null
        : WorkerPool.start<VerifyItem>({
            callerUrl: import.meta.url,
            worker: "pool-worker",
            threads: this.threads,
            init: null,
            itemDeadlineMs: this.baseTimeoutMs + this.msPerItem,
            chunkSize: Math.max(1, options.chunkSize ?? 64),
            // Verification is bounded by construction; batching results keeps messages few.
            flushMs: 5,
            label: "verifier",
          });
    this.pool?.catch(() => {});
  }

  async verifyMany(items: VerifyItem[]): Promise<VerifyResult[]> {
    if (this.closed) throw new Error("VerifierPool is closed");
    if (this.pool === null) return items.map((it) => verify(it.gold, it.response, it.options));
    const pool = await this.pool;
    const deadline = this.baseTimeoutMs + this.msPerItem * Math.ceil(items.length / this.threads);
    return (await pool.run(items, deadline)).map(toResult);
  }

  async close(): Promise<void> {
    this.closed = true;
    await (await this.pool?.catch(() => null))?.close();
  }
}

function toResult(o: ItemOutcome): VerifyResult {
  if (o.ok) return o.value as VerifyResult;
  const reason = o.kind === "timeout" ? "timeout" : `worker-error: ${o.message}`;
  return { correct: false, extracted: null, reason };
}
