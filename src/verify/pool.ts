import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { startWorker } from "../util/worker.js";
import type { VerifyItem, VerifyResult } from "./types.js";
import { verify } from "./verify.js";

export interface VerifierPoolOptions {
  /** Worker threads (default: the machine's available parallelism). 0 verifies on the calling thread. */
  threads?: number;
  /** Items sent to a worker at once (default 64): small enough to balance, large enough to amortise messages. */
  chunkSize?: number;
  /**
   * Backstop only (every item is bounded by construction): a chunk taking longer than this many ms per item
   * (plus one second) has its worker terminated and replaced, and its items get `reason: "timeout"`.
   */
  msPerItem?: number;
}

export interface ChunkRequest {
  id: number;
  items: VerifyItem[];
}

export interface ChunkResponse {
  id: number;
  results: VerifyResult[];
}

interface Job {
  chunk: ChunkRequest;
  resolve: (r: VerifyResult[]) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/**
 * Verifies batches on worker threads, for reward services: `verifyMany` keeps input order, never rejects for a
 * bad item, and a stuck worker is replaced rather than waited on (no signals involved).
 */
export class VerifierPool {
  readonly threads: number;
  private readonly chunkSize: number;
  private readonly msPerItem: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: VerifierPoolOptions = {}) {
    this.threads = Math.max(0, Math.floor(options.threads ?? availableParallelism()));
    this.chunkSize = Math.max(1, options.chunkSize ?? 64);
    this.msPerItem = options.msPerItem ?? 100;
    for (let i = 0; i < this.threads; i++) this.slots.push(this.spawn());
  }

  async verifyMany(items: VerifyItem[]): Promise<VerifyResult[]> {
    if (this.closed) throw new Error("VerifierPool is closed");
    if (this.threads === 0) return items.map((it) => verify(it.gold, it.response, it.options));
    const size = Math.min(this.chunkSize, Math.max(1, Math.ceil(items.length / this.threads)));
    const parts: Promise<VerifyResult[]>[] = [];
    for (let i = 0; i < items.length; i += size) {
      const chunk = { id: this.nextId++, items: items.slice(i, i + size) };
      parts.push(new Promise((resolve) => this.queue.push({ chunk, resolve })));
    }
    this.pump();
    return (await Promise.all(parts)).flat();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(job.chunk.items.map(() => failed("pool-closed")));
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.timer) clearTimeout(s.timer);
        if (s.job) s.job.resolve(s.job.chunk.items.map(() => failed("pool-closed")));
        s.job = null;
        await s.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = startWorker(import.meta.url, "pool-worker");
    worker.unref();
    const slot: Slot = { worker, job: null, timer: null };
    worker.on("message", (msg: ChunkResponse) => {
      const job = slot.job;
      if (!job || job.chunk.id !== msg.id) return;
      this.finish(slot);
      job.resolve(msg.results);
      this.pump();
    });
    worker.on("error", (err) => this.replace(slot, `worker-error: ${err.message}`));
    worker.on("exit", () => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, "worker-exit");
    });
    return slot;
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    if (this.queue.length === 0) slot.worker.unref();
  }

  /** Fails the slot's current chunk with `reason` and puts a fresh worker in its place. */
  private replace(slot: Slot, reason: string): void {
    const job = slot.job;
    this.finish(slot);
    const i = this.slots.indexOf(slot);
    if (i === -1) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    job?.resolve(job.chunk.items.map(() => failed(reason)));
    if (!this.closed) this.slots.push(this.spawn());
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(
        () => this.replace(slot, "timeout"),
        1000 + this.msPerItem * job.chunk.items.length,
      );
      slot.worker.postMessage(job.chunk);
    }
  }
}

function failed(reason: string): VerifyResult {
  return { correct: false, extracted: null, reason };
}
