import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NdArray } from "../../src/bridge/codec.js";
import { CancelledError, DeadlineError, RemoteError } from "../../src/bridge/errors.js";
import { Bridge, type RemotePeer } from "../../src/bridge/server.js";
import { spawnPeer } from "../../src/bridge/spawn.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { fixtures, rejection } from "./helpers.js";

let bridge: Bridge;
let peer: RemotePeer;
const slowSignals: boolean[] = [];

beforeAll(async () => {
  bridge = await Bridge.bind({ heartbeatMs: 200, heartbeatTimeoutMs: 3000 });
  bridge.handle("score", (p: { i: number; tokens: Int32Array; logprobs: Float32Array }) => ({
    score: p.i + p.logprobs.reduce((a, b) => a + b, 0),
    tokens: p.tokens.map((t) => t * 2),
  }));
  bridge.handle("boom", () => {
    throw new RangeError("reward exploded");
  });
  bridge.handle("slow", async (_p, ctx) => {
    await new Promise((r) => setTimeout(r, 1000));
    slowSignals.push(ctx.signal.aborted);
    return "late";
  });
  peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "echo" });
});

afterAll(async () => {
  await bridge?.close();
});

describe("bridge with a real Python peer", () => {
  it("shakes hands with role, pid and handlers", () => {
    expect(peer.role).toBe("echo");
    expect(peer.pid).toBe(peer.process?.pid);
    expect(peer.handlers).toContain("echo");
  });

  it("round-trips typed arrays of every dtype, inline and out of band", async () => {
    const payload = {
      ids: Int32Array.from({ length: 100_000 }, (_, i) => i - 50_000),
      small: Int32Array.from([1, -2, 3]),
      logprobs: Float32Array.from({ length: 5000 }, (_, i) => -i / 1000),
      mask: Uint8Array.from([1, 0, 1, 1]),
      f64: Float64Array.from([Math.PI, -0]),
      big: BigInt64Array.from([2n ** 62n, -(2n ** 62n)]),
      i8: Int8Array.from([-128, 127]),
      u16: Uint16Array.from([65535]),
      u32: Uint32Array.from([2 ** 32 - 1]),
      i16: Int16Array.from([-32768]),
      u64: BigUint64Array.from([2n ** 64n - 1n]),
      batch: new NdArray(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
      nested: { list: [Float32Array.from([0.5]), "text", 7, null, true], map: { a: 1.25 } },
    };
    const back = (await peer.call("echo", payload, { timeoutMs: 10_000 })) as typeof payload;
    expect(back).toEqual(payload);
    expect(back.ids).toBeInstanceOf(Int32Array);
    expect(back.batch).toBeInstanceOf(NdArray);
  });

  it("Python sees numpy arrays with the right dtype, shape and values", async () => {
    const d = await peer.call(
      "describe",
      {
        ids: Int32Array.from({ length: 10_000 }, (_, i) => i),
        mask: Uint8Array.from([1, 0, 1]),
        big: BigInt64Array.from([5n, 6n]),
        grid: new NdArray(Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2]),
      },
      { timeoutMs: 10_000 },
    );
    expect(d).toEqual({
      ids: { dtype: "int32", shape: [10_000], sum: (9_999 * 10_000) / 2 },
      mask: { dtype: "uint8", shape: [3], sum: 2 },
      big: { dtype: "int64", shape: [2], sum: 11 },
      grid: { dtype: "float64", shape: [3, 2], sum: 21 },
    });
  });

  it("arrays made in Python arrive as typed arrays", async () => {
    const { ids } = (await peer.call("make", { n: 1_000_000 }, { timeoutMs: 10_000 })) as { ids: Int32Array };
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(1_000_000);
    expect(ids[999_999]).toBe(999_999);
  });

  it("a handler's exception becomes a RemoteError with the traceback", async () => {
    const err = await rejection(peer.call("fail", { message: "bad batch" }, { timeoutMs: 5000 }));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe("handler_error");
    expect(err.message).toMatch(/echo-\d+-[0-9a-f]{12}\.fail failed: ValueError: bad batch/);
    expect(err.detail).toMatch(/Traceback[\s\S]*raise ValueError/);
  });

  it("an unknown request type is an error naming the handlers", async () => {
    const err = await rejection(peer.call("nope", {}, { timeoutMs: 5000 }));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe("unknown_type");
    expect(err.message).toMatch(/no handler for 'nope' \(it has: call, call_timed, cancellations/);
  });

  it("a deadline fails the call on time and cancels the handler", async () => {
    const start = Date.now();
    const err = await rejection(peer.call("sleep", { seconds: 10 }, { timeoutMs: 300 }));
    expect(err).toBeInstanceOf(DeadlineError);
    expect(err.message).toMatch(/sleep: no reply within 300 ms/);
    expect(Date.now() - start).toBeLessThan(4000);
    const seen = async () =>
      (await peer.call("cancellations", {}, { timeoutMs: 5000 })) as { reason: string }[];
    await expect
      .poll(seen, { timeout: 3000 })
      .toContainEqual(expect.objectContaining({ reason: "deadline of 300 ms passed" }));
    expect(await peer.call("echo", 1, { timeoutMs: 5000 })).toBe(1);
  });

  it("aborting a call cancels it on both sides", async () => {
    const ac = new AbortController();
    const call = peer.call("sleep", { seconds: 10 }, { timeoutMs: 20_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    const seen = async () =>
      (await peer.call("cancellations", {}, { timeoutMs: 5000 })) as { reason: string }[];
    await expect
      .poll(seen, { timeout: 3000 })
      .toContainEqual(expect.objectContaining({ reason: "cancelled by the requester" }));
  });

  it("a peer calls TS while TS waits on it (requests in both directions)", async () => {
    const tokens = Int32Array.from([3, 4]);
    const r = await peer.call(
      "call",
      { type: "score", payload: { i: 1, tokens, logprobs: Float32Array.from([-1, -1]) } },
      { timeoutMs: 5000 },
    );
    expect(r).toEqual({ score: -1, tokens: Int32Array.from([6, 8]) });
  });

  it("a Python request past its deadline fails in Python, and the TS handler sees the abort", async () => {
    const err = await rejection(
      peer.call("call", { type: "slow", payload: {}, timeout: 0.3 }, { timeoutMs: 5000 }),
    );
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/DeadlineExceeded: .*slow got no reply before its deadline/);
    await expect.poll(() => slowSignals, { timeout: 3000 }).toEqual([true]);
  });

  it("several reward-worker peers connect on their own and score through TS", async () => {
    const python = resolvePython().executable;
    const runs = [0, 1, 2].map((k) =>
      execa(python, [path.join(fixtures, "client.py"), "20"], {
        env: pythonEnv(bridge.peerEnv({ role: "reward", name: `reward-${k}` })),
      }),
    );
    const outputs = (await Promise.all(runs)).map((r) => JSON.parse(r.stdout));
    for (const [k, out] of outputs.entries()) {
      expect(out.name).toBe(`reward-${k}`);
      expect(out.scores).toEqual(Array.from({ length: 20 }, (_, i) => i - 1.5));
      expect(out.unknown[0]).toBe("unknown_type");
      expect(out.boom).toEqual(["handler_error", "boom failed on the TS side: RangeError: reward exploded"]);
    }
    expect(bridge.stats.malformed).toBe(0);
  });
});
