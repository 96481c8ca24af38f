import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Envelope, KINDS } from "../../src/bridge/protocol.js";
import { parseEnvelope } from "../../src/bridge/validate.js";

const good = { v: 1, kind: "request", id: "a1", type: "score", deadline: 100 };

describe("parseEnvelope (the bridge's fast path for envelopes)", () => {
  it.each([
    ["a well-formed envelope", good],
    ["an extra key", { ...good, x: 1 }],
    ["a missing key", { v: 1, kind: "reply", id: "a", type: "" }],
    ["five keys, one unknown", { v: 1, kind: "reply", id: "a", type: "", x: 0 }],
    ["an unknown kind", { ...good, kind: "hi" }],
    ["an empty id", { ...good, id: "" }],
    ["an id of 129 chars", { ...good, id: "x".repeat(129) }],
    ["a type of 129 chars", { ...good, type: "x".repeat(129) }],
    ["a negative deadline", { ...good, deadline: -1 }],
    ["a fractional deadline", { ...good, deadline: 1.5 }],
    ["an unsafe integer", { ...good, v: 2 ** 60 }],
    ["a string version", { ...good, v: "1" }],
    ["an array", [1, "request", "a", "", 0]],
    ["null", null],
  ])("agrees with the zod schema on %s", (_, raw) => {
    const fast = parseEnvelope(raw);
    const zod = Envelope.safeParse(raw);
    expect(fast.success).toBe(zod.success);
    if (fast.success && zod.success) expect(fast.data).toEqual(zod.data);
  });

  it("agrees with the zod schema on arbitrary envelope-like maps", () => {
    const field = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 130 }),
      fc.constantFrom(...KINDS),
    );
    const envelope = fc.record(
      { v: field, kind: field, id: field, type: field, deadline: field, extra: field },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(envelope, (raw) => {
        expect(parseEnvelope(raw).success).toBe(Envelope.safeParse(raw).success);
      }),
      { numRuns: 2000 },
    );
  });
});
