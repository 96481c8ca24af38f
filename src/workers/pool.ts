import type { Worker } from "node:worker_threads";
import { startWorker } from "../util/worker.js";
import type { FromWorker, ItemOutcome, ToWorker } from "./protocol.js";

/**
 * The one pool of worker threads (reward scoring, user rewards, answer verification): it maps items to
 * outcomes with a wall-clock deadline per item. Workers report results as they go; a worker silent for longer
 * than an item's deadline is stuck (a synchronous infinite loop cannot be interrupted any other way): it is
 * terminated, its current item fails with `timeout`, a spare worker takes its place and the rest of its chunk.
 * Nothing a worker or an item does can take the pool down: an item that cannot even be handed to a worker
 * (too deep for the structured clone, say) fails its own chunk, and every callback is guarded.
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
  /** A worker not ready this long after it was started (its setup hangs or spins) is terminated. */
  startTimeoutMs?: number;
  /** What the pool's messages call it ("reward", "verifier"). */
  label?: string;
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
  /** Every worker started and not yet terminated, ready or not: close() ends them all. */
  private readonly live = new Set<Worker>();
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
    const opts: Required<PoolOptions> = {
      graceMs: 100,
      chunkSize: 32,
      flushMs: 0,
      startTimeoutMs: 60_000,
      label: "task",
      ...options,
    };
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
        this.fillRemaining(job, { ok: false, kind: "error", message: `${this.opts.label} pool is closed` });
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
        this.fillRemaining(job, {
          ok: false,
          kind: "error",
          message: `no ${this.opts.label} workers: ${why}`,
        });
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const c of this.queue.splice(0)) {
      this.fillRemaining(c.job, { ok: false, kind: "error", message: `${this.opts.label} pool closed` });
    }
    for (const slot of this.slots.splice(0)) {
      if (slot.chunk) {
        this.fillRemaining(slot.chunk.job, {
          ok: false,
          kind: "error",
          message: `${this.opts.label} pool closed`,
        });
      }
    }
    this.spare = undefined;
    // Workers still starting are ended too: one whose setup spins would otherwise burn a core forever.
    await Promise.all([...this.live].map((w) => this.terminate(w)));
  }

  private terminate(worker: Worker): Promise<void> {
    this.live.delete(worker);
    return worker.terminate().then(
      () => {},
      () => {},
    );
  }

  private spawn(): Promise<Worker> {
    const worker = startWorker(this.opts.callerUrl, this.opts.worker);
    this.live.add(worker);
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        cleanup();
        void this.terminate(worker);
        reject(err);
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === "ready") {
          this.info ??= m.info;
          cleanup();
          resolve(worker);
        } else if (m.type === "init-error") {
          fail(new Error(m.message));
        }
      };
      const onExit = (code: number) =>
        fail(new Error(`${this.opts.label} worker exited with code ${code} during start`));
      const timer = setTimeout(
        () => fail(new Error(`${this.opts.label} worker not ready within ${this.opts.startTimeoutMs} ms`)),
        this.opts.startTimeoutMs,
      );
      timer.unref();
      const cleanup = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", fail);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("error", fail);
      worker.on("exit", onExit);
      try {
        worker.postMessage({
          type: "init",
          init: this.opts.init,
          flushMs: this.opts.flushMs,
        } satisfies ToWorker);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private adopt(worker: Worker): void {
    const slot: Slot<I> = { worker, chunkId: -1, done: 0, lastHeard: Date.now() };
    this.slots.push(slot);
    worker.on("message", (m: FromWorker) => this.onMessage(slot, m));
    // A worker that dies outside our control (out of memory, process.exit in user code) is replaced too.
    worker.on("error", () => {});
    worker.on("exit", () => {
      this.live.delete(worker);
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

  /** Hand queued chunks to idle workers. Never throws: a chunk that cannot be posted fails by itself. */
  private dispatch(): void {
    for (const slot of this.slots) {
      while (slot.chunk === undefined) {
        let chunk = this.queue.shift();
        while (chunk?.job.expired) chunk = this.queue.shift();
        if (chunk === undefined) return;
        const items = chunk.positions.map((p) => chunk!.job.items[p]);
        const id = nextMessageId++;
        try {
          // Structured cloning recurses: an item nested too deep throws here, before the slot is taken.
          slot.worker.postMessage({ type: "run", id, items } satisfies ToWorker);
        } catch (err) {
          const message = `cannot hand the item to a ${this.opts.label} worker: ${err instanceof Error ? err.message : String(err)}`;
          for (const p of chunk.positions) this.settle(chunk.job, p, { ok: false, kind: "error", message });
          continue;
        }
        slot.chunk = chunk;
        slot.chunkId = id;
        slot.done = 0;
        slot.lastHeard = Date.now();
      }
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
    void this.terminate(slot.worker);
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
          void this.terminate(w);
          return;
        }
        this.adopt(w);
        this.dispatch();
      },
      (err: Error) => {
        this.restarting--;
        this.lastStartError = err.message;
        // The worker could start before; if it cannot now, fail what is queued rather than wait forever.
        if (this.slots.length > 0 || this.restarting > 0) return;
        for (const c of this.queue.splice(0)) {
          this.fillRemaining(c.job, {
            ok: false,
            kind: "error",
            message: `${this.opts.label} worker restart failed: ${err.message}`,
          });
        }
      },
    );
  }
}
