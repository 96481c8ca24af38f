import type { Worker } from "node:worker_threads";
import { startWorker } from "../util/worker.js";
import type { FromWorker, ItemOutcome, ToWorker } from "./pool-protocol.js";

/**
 * A pool of worker threads that map items to results with a wall-clock deadline per item. Workers report
 * results as they go; a worker silent for longer than an item's deadline is stuck (a synchronous infinite
 * loop cannot be interrupted any other way): it is terminated, its current item fails with `timeout`, a spare
 * worker takes its place and the rest of its chunk. Nothing a worker does can take the pool down.
 */

export interface PoolOptions {
  /** import.meta.url of the module next to the worker file, and the worker's file name without extension. */
  callerUrl: string;
  worker: string;
  threads: number;
  /** Sent to each worker before work; the worker answers ready or fails the pool's start. */
  init: unknown;
  /** Per-item deadline; a worker silent for this long plus `graceMs` is terminated. */
  itemDeadlineMs: number;
  graceMs?: number;
  /** Items per message to a worker. */
  chunkSize?: number;
  /**
   * Workers send results at least this often (0: after every item). Results not yet sent when a worker is
   * terminated are lost and their items fail with it, so pools running code that may hang use 0.
   */
  flushMs?: number;
}

export type { ItemOutcome };

interface Chunk<I> {
  job: Job<I>;
  /** Positions in the job's item list. */
  positions: number[];
}

interface Job<I> {
  items: I[];
  outcomes: (ItemOutcome | undefined)[];
  pending: number;
  resolve: (outcomes: ItemOutcome[]) => void;
  expired: boolean;
}

interface Slot<I> {
  worker: Worker;
  chunk?: Chunk<I>;
  /** Message id of the current chunk: results carrying another id are stale. */
  chunkId: number;
  /** How many results of the current chunk arrived. */
  done: number;
  lastHeard: number;
}

let nextMessageId = 0;

export class WorkerPool<I> {
  private readonly slots: Slot<I>[] = [];
  private readonly queue: Chunk<I>[] = [];
  private spare: Promise<Worker> | undefined;
  /** Replacement workers being started. */
  private restarting = 0;
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;
  /** Workers replaced after hanging or crashing, for logs and tests. */
  restarts = 0;
  private lastStartError: string | undefined;
  /** What the first worker reported when it became ready. */
  info: unknown;

  private constructor(private readonly opts: Required<PoolOptions>) {
    const tick = Math.max(5, Math.min(100, Math.floor(opts.itemDeadlineMs / 4)));
    let lastTick = Date.now();
    this.watchdog = setInterval(() => {
      const now = Date.now();
      // A late tick means this thread was blocked: worker results may be queued unread, so judge next tick.
      if (now - lastTick < 3 * tick) this.checkStuck();
      lastTick = now;
    }, tick);
    this.watchdog.unref();
  }

  static async start<I>(options: PoolOptions): Promise<WorkerPool<I>> {
    const opts: Required<PoolOptions> = { graceMs: 100, chunkSize: 32, flushMs: 0, ...options };
    const pool = new WorkerPool<I>(opts);
    try {
      const workers = await Promise.all(Array.from({ length: opts.threads }, () => pool.spawn()));
      for (const w of workers) pool.adopt(w);
      pool.spare = pool.spawn();
      pool.spare.catch(() => {});
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Map items to outcomes; never rejects (failures are outcomes). `deadlineMs` bounds the whole call. */
  run(items: I[], deadlineMs?: number): Promise<ItemOutcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const job: Job<I> = {
        items,
        outcomes: new Array(items.length),
        pending: items.length,
        resolve,
        expired: false,
      };
      if (this.closed) {
        this.fillRemaining(job, { ok: false, kind: "error", message: "reward pool is closed" });
        return;
      }
      for (let from = 0; from < items.length; from += this.opts.chunkSize) {
        const positions: number[] = [];
        for (let p = from; p < Math.min(items.length, from + this.opts.chunkSize); p++) positions.push(p);
        this.queue.push({ job, positions });
      }
      if (deadlineMs !== undefined) {
        const timer = setTimeout(() => {
          job.expired = true;
          this.fillRemaining(job, { ok: false, kind: "timeout", message: `batch deadline ${deadlineMs} ms` });
        }, deadlineMs);
        timer.unref();
        const done = job.resolve;
        job.resolve = (o) => {
          clearTimeout(timer);
          done(o);
        };
      }
      this.dispatch();
      if (this.slots.length === 0 && this.restarting === 0) {
        const why = this.lastStartError ?? "none running";
        job.expired = true;
        this.fillRemaining(job, { ok: false, kind: "error", message: `no reward workers: ${why}` });
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const c of this.queue.splice(0)) {
      this.fillRemaining(c.job, { ok: false, kind: "error", message: "reward pool closed" });
    }
    const spare = this.spare;
    this.spare = undefined;
    await Promise.all([
      ...this.slots.splice(0).map((s) => s.worker.terminate()),
      spare?.then((w) => w.terminate()).catch(() => {}),
    ]);
  }

  private spawn(): Promise<Worker> {
    const worker = startWorker(this.opts.callerUrl, this.opts.worker);
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === "ready") {
          this.info ??= m.info;
          cleanup();
          resolve(worker);
        } else if (m.type === "init-error") {
          cleanup();
          void worker.terminate();
          reject(new Error(m.message));
        }
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`reward worker exited with code ${code} during start`));
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage({
        type: "init",
        init: this.opts.init,
        flushMs: this.opts.flushMs,
      } satisfies ToWorker);
    });
  }

  private adopt(worker: Worker): void {
    const slot: Slot<I> = { worker, chunkId: -1, done: 0, lastHeard: Date.now() };
    this.slots.push(slot);
    worker.on("message", (m: FromWorker) => this.onMessage(slot, m));
    // A worker that dies outside our control (out of memory, process.exit in user code) is replaced too.
    worker.on("error", () => {});
    worker.on("exit", () => {
      if (this.slots.includes(slot)) this.replace(slot, "worker exited");
    });
  }

  private onMessage(slot: Slot<I>, m: FromWorker): void {
    if (m.type !== "results" || slot.chunk === undefined || m.id !== slot.chunkId) return;
    slot.lastHeard = Date.now();
    const chunk = slot.chunk;
    for (const outcome of m.outcomes) {
      const pos = chunk.positions[slot.done++];
      if (pos !== undefined) this.settle(chunk.job, pos, outcome);
    }
    if (slot.done >= chunk.positions.length) {
      slot.chunk = undefined;
      this.dispatch();
    }
  }

  private settle(job: Job<I>, pos: number, outcome: ItemOutcome): void {
    if (job.outcomes[pos] !== undefined) return;
    job.outcomes[pos] = outcome;
    if (--job.pending === 0) job.resolve(job.outcomes as ItemOutcome[]);
  }

  private fillRemaining(job: Job<I>, outcome: ItemOutcome): void {
    for (let p = 0; p < job.items.length; p++)
      if (job.outcomes[p] === undefined) this.settle(job, p, outcome);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.chunk !== undefined) continue;
      let chunk = this.queue.shift();
      while (chunk?.job.expired) chunk = this.queue.shift();
      if (chunk === undefined) return;
      slot.chunk = chunk;
      slot.chunkId = nextMessageId++;
      slot.done = 0;
      slot.lastHeard = Date.now();
      const items = chunk.positions.map((p) => chunk!.job.items[p]);
      slot.worker.postMessage({ type: "run", id: slot.chunkId, items } satisfies ToWorker);
    }
  }

  private checkStuck(): void {
    const now = Date.now();
    for (const slot of [...this.slots]) {
      if (slot.chunk === undefined) continue;
      if (now - slot.lastHeard > this.opts.itemDeadlineMs + this.opts.graceMs) {
        this.replace(slot, `no result within the ${this.opts.itemDeadlineMs} ms deadline`, "timeout");
      }
    }
  }

  /** Terminate a stuck or dead worker: its current item fails, the rest of its chunk goes back to the queue. */
  private replace(slot: Slot<I>, message: string, kind: "timeout" | "error" = "error"): void {
    const i = this.slots.indexOf(slot);
    if (i === -1) return;
    this.slots.splice(i, 1);
    this.restarts++;
    void slot.worker.terminate();
    const chunk = slot.chunk;
    slot.chunk = undefined;
    if (chunk !== undefined) {
      const current = chunk.positions[slot.done];
      if (current !== undefined) this.settle(chunk.job, current, { ok: false, kind, message });
      const rest = chunk.positions.slice(slot.done + 1);
      if (rest.length > 0 && !chunk.job.expired) this.queue.unshift({ job: chunk.job, positions: rest });
    }
    if (this.closed) return;
    const next = this.spare ?? this.spawn();
    this.spare = this.spawn();
    this.spare.catch(() => {});
    this.restarting++;
    next.then(
      (w) => {
        this.restarting--;
        if (this.closed) {
          void w.terminate();
          return;
        }
        this.adopt(w);
        this.dispatch();
      },
      (err: Error) => {
        this.restarting--;
        this.lastStartError = err.message;
        // The worker could start before; if it cannot now, fail what is queued rather than wait forever.
        if (this.slots.length > 0) return;
        for (const c of this.queue.splice(0)) {
          this.fillRemaining(c.job, {
            ok: false,
            kind: "error",
            message: `worker restart failed: ${err.message}`,
          });
        }
      },
    );
  }
}
