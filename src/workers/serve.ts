import { parentPort } from "node:worker_threads";
import type { FromWorker, ItemOutcome, ToWorker } from "./protocol.js";

/** Maps one item to its result inside a worker; throwing fails only that item. */
export type ItemHandler = (item: unknown) => unknown;

/** What a worker's setup returns: its item handler and anything the pool should know (e.g. reward names). */
export interface WorkerSetup {
  handle: ItemHandler;
  info?: unknown;
}

/**
 * Worker side of a WorkerPool: `setup` turns the pool's init payload into an item handler, then chunks are
 * processed in order and results streamed back. A handler returning a promise is awaited.
 */
export function serveItems(setup: (init: unknown) => Promise<WorkerSetup> | WorkerSetup): void {
  const port = parentPort;
  if (!port) throw new Error("serveItems must run in a worker thread");
  const post = (m: FromWorker) => port.postMessage(m);
  // A result that cannot be cloned back (a function, a cycle too deep) fails its items, not the worker.
  const postResults = (id: number, outcomes: ItemOutcome[]) => {
    try {
      post({ type: "results", id, outcomes });
    } catch (err) {
      const message = `result cannot be sent back: ${err instanceof Error ? err.message : String(err)}`;
      post({ type: "results", id, outcomes: outcomes.map(() => ({ ok: false, kind: "error", message })) });
    }
  };
  let handler: ItemHandler | undefined;
  let flushMs = 0;
  let busy = Promise.resolve();
  port.on("message", (m: ToWorker) => {
    if (m.type === "init") {
      flushMs = m.flushMs;
      Promise.resolve()
        .then(() => setup(m.init))
        .then(
          (s) => {
            handler = s.handle;
            post({ type: "ready", info: s.info });
          },
          (err: unknown) =>
            post({ type: "init-error", message: err instanceof Error ? err.message : String(err) }),
        );
      return;
    }
    busy = busy.then(() => runChunk(m.id, m.items)).catch(() => {});
  });

  async function runChunk(id: number, items: unknown[]): Promise<void> {
    let batch: ItemOutcome[] = [];
    let lastFlush = Date.now();
    for (const item of items) {
      let outcome: ItemOutcome;
      try {
        let value = handler!(item);
        if (value instanceof Promise) value = await value;
        outcome = { ok: true, value };
      } catch (err) {
        outcome = { ok: false, kind: "error", message: err instanceof Error ? err.message : String(err) };
      }
      batch.push(outcome);
      if (Date.now() - lastFlush >= flushMs) {
        postResults(id, batch);
        batch = [];
        lastFlush = Date.now();
      }
    }
    if (batch.length > 0) postResults(id, batch);
  }
}
