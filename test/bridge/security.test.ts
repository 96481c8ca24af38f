import path from "node:path";
import { encode } from "@msgpack/msgpack";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { PACKAGE_VERSION, PROTOCOL_VERSION } from "../../src/bridge/protocol.js";
import { Bridge } from "../../src/bridge/server.js";
import { spawnPeer } from "../../src/bridge/spawn.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { fixtures } from "./helpers.js";

const bridges: Bridge[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

async function authenticated(endpoint?: string) {
  const bridge = await Bridge.bind(endpoint ? { endpoint } : { requireAuth: true });
  bridges.push(bridge);
  let scored = 0;
  bridge.handle("score", () => ++scored);
  return { bridge, scored: () => scored };
}

async function tryConnect(bridge: Bridge, mode: "ok" | "no-keys" | "wrong-keys") {
  const r = await execa(resolvePython().executable, [path.join(fixtures, "connect.py"), mode, "3"], {
    env: pythonEnv(bridge.peerEnv({ role: "reward", name: `reward-${mode}` })),
  });
  return JSON.parse(r.stdout) as { connected: boolean; error?: string; message?: string; reply?: number };
}

/** A raw DEALER that sends a valid hello and a request, and reports whether anything came back. */
async function rawAttempt(endpoint: string, keys: { serverKey: string } | null) {
  const dealer = new zmq.Dealer({ linger: 0, sendTimeout: 800, receiveTimeout: 800 });
  if (keys) {
    const own = zmq.curveKeyPair();
    dealer.curveServerKey = keys.serverKey;
    dealer.curvePublicKey = own.publicKey;
    dealer.curveSecretKey = own.secretKey;
  }
  dealer.connect(endpoint);
  const envelope = (kind: string, id: string, type: string, deadline: number) =>
    Buffer.from(encode({ v: PROTOCOL_VERSION, kind, id, type, deadline }));
  const hello = {
    role: "x",
    name: `raw-${Math.random()}`,
    pid: 1,
    protocol: PROTOCOL_VERSION,
    package: PACKAGE_VERSION,
    handlers: [],
  };
  let answered = false;
  try {
    await dealer.send([envelope("hello", "h", "", 0), Buffer.from(encode(hello))]);
    await dealer.send([envelope("request", "r", "score", 1000), Buffer.from(encode({}))]);
    await dealer.receive();
    answered = true;
  } catch {
    // EAGAIN after sendTimeout/receiveTimeout: no connection, nothing came back.
  }
  dealer.close();
  return answered;
}

describe("bridge authentication", () => {
  it("an authenticated bind serves peers holding this run's keys", async () => {
    const { bridge, scored } = await authenticated();
    expect(bridge.authRequired).toBe(true);
    expect(bridge.credentials()?.serverKey).toHaveLength(40);
    const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "echo" });
    expect(await peer.call("echo", Int32Array.from([1, 2]), { timeoutMs: 5000 })).toEqual(
      Int32Array.from([1, 2]),
    );
    expect(await tryConnect(bridge, "ok")).toEqual({ connected: true, reply: 1 });
    expect(scored()).toBe(1);
  });

  it.each([
    ["no keys", "no-keys", /the TS side requires authentication/],
    ["unknown keys", "wrong-keys", /refused this peer's CURVE keys/],
  ] as const)("a peer with %s gets nothing through", async (_, mode, message) => {
    const { bridge, scored } = await authenticated();
    const result = await tryConnect(bridge, mode);
    expect(result.connected).toBe(false);
    expect(result.message).toMatch(message);
    expect(scored()).toBe(0);
    expect(bridge.stats.received).toBe(0);
    expect(bridge.peers()).toEqual([]);
    if (mode === "wrong-keys") expect(bridge.stats.authRefused).toBeGreaterThanOrEqual(1);
  });

  it("a raw socket without keys, or with unknown ones, cannot send a single request", async () => {
    const { bridge, scored } = await authenticated();
    expect(await rawAttempt(bridge.endpoint, null)).toBe(false);
    expect(await rawAttempt(bridge.endpoint, { serverKey: bridge.credentials()!.serverKey })).toBe(false);
    expect(scored()).toBe(0);
    expect(bridge.stats.received).toBe(0);
    expect(bridge.stats.authRefused).toBeGreaterThanOrEqual(1);
  });

  it("the same raw socket is served on an unauthenticated loopback bind (the refusals above are auth)", async () => {
    const bridge = await Bridge.bind();
    bridges.push(bridge);
    bridge.handle("score", () => 1);
    expect(bridge.authRequired).toBe(false);
    expect(await rawAttempt(bridge.endpoint, null)).toBe(true);
    expect(bridge.stats.received).toBe(2);
  });

  it("a routable bind always authenticates (connected to through loopback only)", async () => {
    await expect(Bridge.bind({ endpoint: "tcp://0.0.0.0:*", requireAuth: false })).rejects.toThrow(
      /reachable from other hosts/,
    );
    const { bridge, scored } = await authenticated("tcp://0.0.0.0:*");
    expect(bridge.authRequired).toBe(true);
    expect(bridge.connectEndpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(await rawAttempt(bridge.connectEndpoint, null)).toBe(false);
    expect((await tryConnect(bridge, "no-keys")).connected).toBe(false);
    expect(scored()).toBe(0);
    expect(await tryConnect(bridge, "ok")).toEqual({ connected: true, reply: 1 });
  });
});
