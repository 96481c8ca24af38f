import { decode, encode } from "@msgpack/msgpack";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { PACKAGE_VERSION, PROTOCOL_VERSION } from "../../src/bridge/protocol.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { alive } from "./helpers.js";

const env = (fields: Record<string, unknown>) =>
  Buffer.from(
    encode({ v: PROTOCOL_VERSION, kind: "request", id: "r", type: "echo", deadline: 5000, ...fields }),
  );
const body = (value: unknown) => Buffer.from(encode(value));

/** Malformed messages a Python peer may receive; each must get a bad_message error back. */
const malformed: Buffer[][] = [
  [Buffer.from("x")],
  [Buffer.from([0xc1]), body({})],
  [body(["not", "a", "map"]), body({})],
  [env({ kind: "yell" }), body({})],
  [env({ deadline: "soon" }), body({})],
  [env({ extra: 1 }), body({})],
  [env({}), Buffer.from([0x92, 0x01])],
  [env({}), Buffer.from([0xc7, 0x02, 17, 0x90, 0x90])],
  [env({ deadline: 0 }), body({})],
  [env({ kind: "cancel" }), body({ why: "no" })],
  [env({ kind: "welcome" }), body({})],
];

describe("the Python peer facing a misbehaving TS side", () => {
  it("answers malformed messages with errors, counts them, and keeps serving", async () => {
    const router = new zmq.Router({ linger: 0 });
    await router.bind("tcp://127.0.0.1:*");
    const child = execa(resolvePython().executable, ["-m", "still_rl.bridge.echo"], {
      env: pythonEnv({
        STILL_BRIDGE_ENDPOINT: router.lastEndpoint!,
        STILL_BRIDGE_ROLE: "echo",
        STILL_BRIDGE_NAME: "py",
      }),
      reject: false,
    });
    try {
      const [id, helloEnv, helloBody] = await router.receive();
      expect(decode(helloEnv!)).toMatchObject({ kind: "hello" });
      expect(decode(helloBody!)).toMatchObject({
        name: "py",
        protocol: PROTOCOL_VERSION,
        package: PACKAGE_VERSION,
      });
      const welcome = {
        peer: "py",
        pid: process.pid,
        protocol: PROTOCOL_VERSION,
        package: PACKAGE_VERSION,
        heartbeat: 200,
        timeout: 5000,
        handlers: [],
      };
      await router.send([id!, env({ kind: "welcome", id: "h", type: "", deadline: 0 }), body(welcome)]);
      const rounds = 20;
      for (let r = 0; r < rounds; r++) for (const frames of malformed) await router.send([id!, ...frames]);
      await router.send([id!, env({ id: "ok" }), body({ still: "alive" })]);
      const codes: string[] = [];
      let reply: unknown = null;
      while (reply === null) {
        const [, e, b] = await router.receive();
        const envelope = decode(e!) as { kind: string; id: string };
        if (envelope.kind === "error") codes.push((decode(b!) as { code: string }).code);
        if (envelope.kind === "reply" && envelope.id === "ok") reply = decode(b!);
      }
      expect(reply).toEqual({ still: "alive" });
      expect(codes).toEqual(Array(rounds * malformed.length).fill("bad_message"));
      expect(alive(child.pid!)).toBe(true);
      await router.send([
        id!,
        env({ kind: "bye", id: "b", type: "", deadline: 0 }),
        body({ reason: "done" }),
      ]);
      expect((await child).exitCode).toBe(0);
    } finally {
      child.kill("SIGKILL");
      router.close();
    }
  });

  it("exits with a clear error when the TS side goes silent", async () => {
    const router = new zmq.Router({ linger: 0 });
    await router.bind("tcp://127.0.0.1:*");
    const child = execa(resolvePython().executable, ["-m", "still_rl.bridge.echo"], {
      env: pythonEnv({
        STILL_BRIDGE_ENDPOINT: router.lastEndpoint!,
        STILL_BRIDGE_ROLE: "echo",
        STILL_BRIDGE_NAME: "py",
      }),
      reject: false,
    });
    try {
      const [id] = await router.receive();
      const welcome = {
        peer: "py",
        pid: process.pid,
        protocol: PROTOCOL_VERSION,
        package: PACKAGE_VERSION,
        heartbeat: 100,
        timeout: 600,
        handlers: [],
      };
      await router.send([id!, env({ kind: "welcome", id: "h", type: "", deadline: 0 }), body(welcome)]);
      const start = Date.now();
      const result = await child;
      expect(Date.now() - start).toBeGreaterThanOrEqual(500);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/py: the TS side sent nothing for \d+\.\d s/);
    } finally {
      child.kill("SIGKILL");
      router.close();
    }
  });
});
