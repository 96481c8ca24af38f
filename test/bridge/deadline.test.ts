import { decode, encode } from "@msgpack/msgpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { PACKAGE_VERSION, PROTOCOL_VERSION } from "../../src/bridge/protocol.js";
import { Bridge } from "../../src/bridge/server.js";
import { spawnPeer } from "../../src/bridge/spawn.js";

/** Issue 13, item 9: a deadline past 2^31-1 ms (Node's longest timer) must not abort the request at once. */

const FAR = 2 ** 31 + 10_000;

let bridge: Bridge;
beforeAll(async () => {
  bridge = await Bridge.bind({});
  bridge.handle("wait", async (payload) => {
    await new Promise((r) => setTimeout(r, 50));
    return payload;
  });
});
afterAll(async () => {
  await bridge?.close();
});

const envelope = (kind: string, id: string, type: string, deadline: number) =>
  Buffer.from(encode({ v: PROTOCOL_VERSION, kind, id, type, deadline }));

describe("far deadlines", () => {
  it("a request to the TS side with a deadline past 2^31-1 ms gets its reply", async () => {
    const dealer = new zmq.Dealer({ linger: 0 });
    dealer.connect(bridge.endpoint);
    try {
      await dealer.send([
        envelope("hello", "h", "", 0),
        Buffer.from(
          encode({
            role: "far",
            name: "far-1",
            pid: process.pid,
            protocol: PROTOCOL_VERSION,
            package: PACKAGE_VERSION,
            handlers: [],
          }),
        ),
      ]);
      const kinds: string[] = [];
      for await (const [head, body] of dealer) {
        const env = decode(head!) as { kind: string; id: string };
        kinds.push(env.kind);
        if (env.kind === "welcome") {
          await dealer.send([envelope("request", "r1", "wait", FAR), Buffer.from(encode("still here"))]);
        } else if (env.id === "r1") {
          expect(env.kind).toBe("reply");
          expect(decode(body!)).toBe("still here");
          break;
        }
      }
      expect(kinds).toContain("reply");
    } finally {
      dealer.close();
    }
  });

  it("a call to a Python peer with a timeout past 2^31-1 ms is answered", async () => {
    const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "echo" });
    expect(await peer.call("echo", "far", { timeoutMs: FAR })).toBe("far");
  }, 60_000);
});
