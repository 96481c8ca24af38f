import { describe, expect, it } from "vitest";
import { authRequired, isLoopbackEndpoint } from "../../src/bridge/auth.js";

describe("bridge endpoint policy", () => {
  it.each([
    ["tcp://127.0.0.1:5555", true],
    ["tcp://127.3.2.1:*", true],
    ["tcp://localhost:5555", true],
    ["tcp://[::1]:5555", true],
    ["ipc:///tmp/still.sock", true],
    ["inproc://x", true],
    ["tcp://0.0.0.0:5555", false],
    ["tcp://*:5555", false],
    ["tcp://10.0.0.5:5555", false],
    ["tcp://[::]:5555", false],
    ["tcp://eth0:5555", false],
    ["tcp://128.0.0.1:5555", false],
  ])("%s is loopback: %s", (endpoint, loopback) => {
    expect(isLoopbackEndpoint(endpoint)).toBe(loopback);
  });

  it.each([
    ["tcp://127.0.0.1:*", undefined, false],
    ["tcp://127.0.0.1:*", true, true],
    ["tcp://127.0.0.1:*", false, false],
    ["tcp://0.0.0.0:*", undefined, true],
    ["tcp://0.0.0.0:*", true, true],
  ])("%s with requireAuth %s authenticates: %s", (endpoint, requested, expected) => {
    expect(authRequired(endpoint, requested)).toBe(expected);
  });

  it("refuses to turn authentication off on a routable address", () => {
    expect(() => authRequired("tcp://*:5555", false)).toThrow(/reachable from other hosts/);
  });
});
