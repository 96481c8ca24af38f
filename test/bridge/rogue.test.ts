import { decode, encode } from "@msgpack/msgpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { PACKAGE_VERSION, PROTOCOL_VERSION } from "../../src/bridge/protocol.js";
import { Bridge, type RemotePeer } from "../../src/bridge/server.js";
import { spawnPeer } from "../../src/bridge/spawn.js";

let bridge: Bridge;
let peer: RemotePeer;
beforeAll(async () => {
  bridge = await Bridge.bind({ heartbeatMs: 200, heartbeatTimeoutMs: 5000 });
  peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "echo" });
});
afterAll(async () => {
  await bridge?.close();
});

const env = (fields: Record<string, unknown>) =>
  Buffer.from(
    encode({ v: PROTOCOL_VERSION, kind: "request", id: "r1", type: "echo", deadline: 1000, ...fields }),
  );
const junk = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256));
const hello = (name: string) => [
  env({ kind: "hello", id: "h", type: "", deadline: 0 }),
  Buffer.from(
    encode({
      role: "rogue",
      name,
      pid: 1,
      protocol: PROTOCOL_VERSION,
      package: PACKAGE_VERSION,
      handlers: [],
    }),
  ),
];

/** Malformed messages of every sort; the second list needs a session (sent after a valid hello). */
const withoutSession: Buffer[][] = [
  [Buffer.alloc(0)],
  [junk(7)],
  [junk(3), junk(9)],
  [Buffer.from(encode("not a map")), Buffer.from(encode({}))],
  [Buffer.from(encode({ v: 1 })), Buffer.from(encode({}))],
  [env({ kind: "shout" }), Buffer.from(encode({}))],
  [env({ id: "x".repeat(1000) }), Buffer.from(encode({}))],
  [env({ deadline: -5 }), Buffer.from(encode({}))],
  [env({ extra: true }), Buffer.from(encode({}))],
  [Buffer.from([0x85, 0xa1]), Buffer.from(encode({}))],
  [env({ kind: "hello" }), Buffer.from(encode({ role: 5 }))],
  [env({ kind: "hello" }), junk(5)],
];
const withSession: Buffer[][] = [
  [env({}), junk(11)],
  [env({ deadline: 0 }), Buffer.from(encode({}))],
  [env({}), Buffer.from([0xc7, 0x03, 17, 0x93, 0x01, 0x02])],
  [env({}), Buffer.from(encode({ a: new Uint8Array(0) }).map((b, i, a) => (i === a.length - 1 ? 0xc1 : b)))],
  [env({ kind: "cancel" }), Buffer.from(encode({ why: 1 }))],
  [env({ kind: "bye" }), junk(4)],
  [env({ kind: "welcome" }), Buffer.from(encode({}))],
  [env({ kind: "hello" }), hello("again")[1]!],
];

describe("a rogue peer", () => {
  it("1,000 malformed frames: each gets an error reply and is counted, the bridge and a real peer carry on", async () => {
    const before = { ...bridge.stats };
    const rogue = new zmq.Dealer({ linger: 0 });
    rogue.connect(bridge.endpoint);
    const replies: string[] = [];
    const reading = (async () => {
      for await (const [, body] of rogue) {
        const { code } = decode(body!) as { code?: string };
        if (code) replies.push(code);
      }
    })().catch(() => {});

    // The real peer works while the rogue floods.
    const legit = (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await peer.call("echo", { i, ids: Int32Array.from([i, i + 1]) }, { timeoutMs: 5000 });
        expect(r).toEqual({ i, ids: Int32Array.from([i, i + 1]) });
      }
    })();

    let sent = 0;
    let noSession = 0;
    for (let round = 0; sent < 600; round++) {
      for (const frames of withoutSession) {
        await rogue.send(frames);
        sent++;
      }
      // A request without a session is refused, not malformed.
      await rogue.send([env({ id: `n${round}` }), Buffer.from(encode({}))]);
      noSession++;
    }
    await rogue.send(hello("rogue-1"));
    while (sent < 1000) {
      for (const frames of withSession) {
        await rogue.send(frames);
        sent++;
      }
    }
    await legit;
    const expected = sent + noSession;
    await expect.poll(() => replies.length, { timeout: 5000 }).toBe(expected);
    expect(bridge.stats.malformed - before.malformed).toBe(sent);
    expect(bridge.stats.refused - before.refused).toBe(noSession);
    expect(replies.filter((c) => c === "bad_message").length).toBe(sent);
    expect(replies.filter((c) => c === "no_session").length).toBe(noSession);
    rogue.close();
    await reading;
    expect(await peer.call("echo", "still fine", { timeoutMs: 5000 })).toBe("still fine");
    expect(peer.alive).toBe(true);
  });
});
