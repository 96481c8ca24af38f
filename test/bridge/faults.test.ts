import path from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { PeerLostError, VersionMismatchError } from "../../src/bridge/errors.js";
import { PACKAGE_VERSION } from "../../src/bridge/protocol.js";
import { Bridge, type ProtocolErrorEvent } from "../../src/bridge/server.js";
import { spawnPeer } from "../../src/bridge/spawn.js";
import { pythonEnv, pythonPackageDir, resolvePython } from "../../src/pyenv/python.js";
import { alive, fixtures, rejection, waitFor } from "./helpers.js";

const HEARTBEAT_TIMEOUT_MS = 1500;
const bridges: Bridge[] = [];
async function bind(options: Parameters<typeof Bridge.bind>[0] = {}) {
  const b = await Bridge.bind({ heartbeatMs: 200, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, ...options });
  bridges.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

describe("bridge failure behaviour", () => {
  it("kill -9 mid-request fails the call within the heartbeat timeout, naming the signal and stderr", async () => {
    const bridge = await bind();
    const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "engine" });
    await peer.call("log", { lines: ["loading shard 3/4", "generating batch 7"] }, { timeoutMs: 5000 });
    const pending = rejection(peer.call("sleep", { seconds: 60 }, { timeoutMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 100));
    const start = Date.now();
    process.kill(peer.pid, "SIGKILL");
    const err = (await pending) as PeerLostError;
    expect(Date.now() - start).toBeLessThan(HEARTBEAT_TIMEOUT_MS);
    expect(err).toBeInstanceOf(PeerLostError);
    expect(err.message).toMatch(
      new RegExp(`peer engine-\\d+-[0-9a-f]{12} \\(role engine, pid ${peer.pid}\\) was killed by SIGKILL`),
    );
    expect(err.message).toContain("generating batch 7");
    expect(err.exit).toEqual({ code: null, signal: "SIGKILL" });
    expect(err.stderrTail).toEqual(["loading shard 3/4", "generating batch 7"]);
    expect(alive(peer.pid)).toBe(false);
    expect(peer.alive).toBe(false);
    await expect(peer.call("echo", 1, { timeoutMs: 1000 })).rejects.toBe(err);
  });

  it("heartbeats go on while a handler runs longer than the heartbeat timeout", async () => {
    const bridge = await bind();
    const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "engine" });
    const seconds = (HEARTBEAT_TIMEOUT_MS * 1.5) / 1000;
    expect(await peer.call("sleep", { seconds }, { timeoutMs: 20_000 })).toEqual({ slept: seconds });
    expect(peer.alive).toBe(true);
  });

  it("a peer that crashes reports its exit code and last words", async () => {
    const bridge = await bind();
    const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "engine" });
    const err = (await rejection(
      peer.call("exit", { code: 7, message: "CUDA out of memory" }, { timeoutMs: 5000 }),
    )) as PeerLostError;
    expect(err.message).toMatch(/exited with code 7; last stderr lines:\n {2}CUDA out of memory/);
  });

  it("a peer that stops answering is lost after the heartbeat timeout and its process stopped", async () => {
    const bridge = await bind();
    const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "engine" });
    const pending = rejection(peer.call("sleep", { seconds: 60 }, { timeoutMs: 60_000 }));
    const start = Date.now();
    process.kill(peer.pid, "SIGSTOP");
    const err = await pending;
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - 250);
    expect(elapsed).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 4000);
    expect(err.message).toMatch(/sent nothing for \d+ ms \(heartbeat timeout 1500 ms\)/);
    await waitFor(() => !alive(peer.pid), 5000, "the stopped peer to be killed");
  });

  it("a peer that fails before its handshake is reported with its stderr", async () => {
    const bridge = await bind();
    const err = await rejection(spawnPeer(bridge, { module: "still_rl.no_such_module", role: "engine" }));
    expect(err).toBeInstanceOf(PeerLostError);
    expect(err.message).toMatch(
      /exited with code 1 before its handshake; last stderr lines:[\s\S]*No module named still_rl.no_such_module/,
    );
  });

  it.each([
    [
      "package",
      /peer echo-m\S* \(role echo, pid \d+\) runs protocol 1, still_rl 0\.0\.1; this TS side runs protocol 1, still-rl/,
      /refused the handshake: version mismatch/,
    ],
    [
      "protocol",
      /peer echo-m\S* \(role echo, pid \d+, still_rl \S+\) speaks protocol 99; this TS side speaks protocol 1/,
      /the TS side speaks protocol 1, this peer 99/,
    ],
  ])("a %s version mismatch is a clear error on both sides", async (kind, tsMessage, pyMessage) => {
    const errors: ProtocolErrorEvent[] = [];
    const bridge = await bind({ onProtocolError: (e) => errors.push(e) });
    const spawned = await rejection(
      spawnPeer(bridge, {
        module: "mismatch",
        args: [kind],
        role: "echo",
        name: `echo-m-spawned-${kind}`,
        env: { PYTHONPATH: `${fixtures}${path.delimiter}${pythonPackageDir}` },
      }),
    );
    expect(spawned).toBeInstanceOf(VersionMismatchError);
    expect(spawned.message).toMatch(tsMessage);
    const script = path.join(fixtures, "mismatch.py");
    const py = await execa(resolvePython().executable, [script, kind], {
      env: pythonEnv(bridge.peerEnv({ role: "echo", name: `echo-m-${kind}` })),
      reject: false,
    });
    expect(py.exitCode).toBe(3);
    expect(py.stderr).toMatch(pyMessage);
    expect(errors.at(-1)?.code).toBe("version_mismatch");
    expect(errors.at(-1)?.message).toMatch(tsMessage);
    expect(bridge.stats.refused).toBeGreaterThanOrEqual(1);
    expect(bridge.peers().map((p) => p.name)).not.toContain(`echo-m-${kind}`);
    expect(PACKAGE_VERSION).not.toBe("0.0.1");
  });
});
