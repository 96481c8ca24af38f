import { afterEach, describe, expect, it } from "vitest";
import { WorkerPool } from "../../src/workers/pool.js";

const callerUrl = new URL("./fixtures/", import.meta.url).href;
const pools: WorkerPool<unknown>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function start(options: { spin?: Int32Array; itemDeadlineMs?: number; startTimeoutMs?: number } = {}) {
  const pool = await WorkerPool.start<unknown>({
    callerUrl: `${callerUrl}x.ts`,
    worker: "item-worker",
    threads: 1,
    init: { spin: options.spin ?? new Int32Array(new SharedArrayBuffer(4)) },
    itemDeadlineMs: options.itemDeadlineMs ?? 5000,
    chunkSize: 4,
    ...(options.startTimeoutMs !== undefined && { startTimeoutMs: options.startTimeoutMs }),
  });
  pools.push(pool);
  return pool;
}

/** CPU time (ms) this process spends over `ms` of wall time: a spinning worker thread shows as ~`ms`. */
async function cpuOver(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("WorkerPool", () => {
  it("fails items that cannot be handed to a worker alone, and keeps serving", async () => {
    const pool = await start();
    // Structured cloning recurses: 50k levels overflow it. Before, the slot was marked busy first, and the
    // replacement worker's dispatch threw outside any handler, which ended the process.
    const hostile = [{ x: nested(50_000) }, { x: nested(50_000) }, { ok: 1 }, { ok: 2 }, { ok: 3 }];
    const out = await pool.run(hostile);
    expect(out.slice(0, 4).map((o) => o.ok)).toEqual([false, false, false, false]);
    expect(out[0]).toMatchObject({ kind: "error", message: expect.stringContaining("cannot hand the item") });
    expect(out[4]).toEqual({ ok: true, value: { ok: 3 } });
    expect(await pool.run([{ a: 1 }, { b: 2 }])).toEqual([
      { ok: true, value: { a: 1 } },
      { ok: true, value: { b: 2 } },
    ]);
    expect(pool.restarts).toBe(0);
  });

  it("replaces a spinning worker and ends its thread for real", async () => {
    const pool = await start({ itemDeadlineMs: 100 });
    const out = await pool.run([{ spin: true }, { after: 1 }]);
    expect(out[0]).toMatchObject({ ok: false, kind: "timeout" });
    expect(out[1]).toEqual({ ok: true, value: { after: 1 } });
    expect(pool.restarts).toBe(1);
    expect(await cpuOver(400)).toBeLessThan(200);
  });

  it("ends a replacement that spins while starting at its start deadline", async () => {
    const spin = new Int32Array(new SharedArrayBuffer(4));
    // Long enough for the first workers to boot (tsx compiles the worker) on a busy machine.
    const pool = await start({ spin, startTimeoutMs: 6000 });
    // The spare (still loading) and every later worker now spin in their setup.
    Atomics.store(spin, 0, 1);
    const out = await pool.run([{ exit: 3 }, { n: 1 }]);
    expect(out[1]).toMatchObject({
      ok: false,
      kind: "error",
      message: expect.stringContaining("not ready within"),
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await cpuOver(400)).toBeLessThan(200);
  }, 20_000);

  it("close() ends workers that are still starting", async () => {
    const spin = new Int32Array(new SharedArrayBuffer(4));
    const pool = await start({ spin });
    Atomics.store(spin, 0, 1);
    void pool.run([{ exit: 3 }, { n: 1 }]);
    await new Promise((r) => setTimeout(r, 300));
    const closed = pool.close().then(() => "closed");
    const hung = new Promise((r) => setTimeout(() => r("still waiting"), 3000));
    expect(await Promise.race([closed, hung])).toBe("closed");
    expect(await cpuOver(400)).toBeLessThan(200);
  });
});
