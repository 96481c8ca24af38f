/** Messages between a WorkerPool and its workers (see pool.ts and serve.ts). */

export type ItemOutcome =
  | { ok: true; value: unknown }
  | { ok: false; kind: "error" | "timeout"; message: string };

export type ToWorker =
  | { type: "init"; init: unknown; flushMs: number }
  | { type: "run"; id: number; items: unknown[] };

export type FromWorker =
  | { type: "ready"; info?: unknown }
  | { type: "init-error"; message: string }
  | { type: "results"; id: number; outcomes: ItemOutcome[] };
