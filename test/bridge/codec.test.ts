import { ExtData, encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import {
  decodePayload,
  encodePayload,
  MAX_PAYLOAD_DEPTH,
  NdArray,
  type TypedArray,
} from "../../src/bridge/codec.js";
import { NDARRAY_EXT, OUT_OF_BAND_BYTES } from "../../src/bridge/protocol.js";

function roundTrip(value: unknown): unknown {
  const { payload, buffers } = encodePayload(value);
  // Copy the buffers as the wire would, so nothing aliases the input.
  return decodePayload(
    payload,
    buffers.map((b) => Buffer.from(b)),
  );
}

describe("bridge codec", () => {
  const small = 5;
  const large = OUT_OF_BAND_BYTES; // elements, so every type goes out of band
  it.each([
    ["Int8Array", (n: number) => Int8Array.from({ length: n }, (_, i) => (i % 200) - 100)],
    ["Uint8Array", (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 256)],
    ["Int16Array", (n: number) => Int16Array.from({ length: n }, (_, i) => i - 3)],
    ["Uint16Array", (n: number) => Uint16Array.from({ length: n }, (_, i) => i)],
    ["Int32Array", (n: number) => Int32Array.from({ length: n }, (_, i) => i * 7 - 11)],
    ["Uint32Array", (n: number) => Uint32Array.from({ length: n }, (_, i) => i * 65_537)],
    ["Float32Array", (n: number) => Float32Array.from({ length: n }, (_, i) => i / 3)],
    ["Float64Array", (n: number) => Float64Array.from({ length: n }, (_, i) => i / 7)],
    [
      "BigInt64Array",
      (n: number) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 10n ** 12n - 5n),
    ],
    ["BigUint64Array", (n: number) => BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 2n ** 40n)],
  ] as [string, (n: number) => TypedArray][])("%s round-trips inline and out of band", (_, make) => {
    for (const n of [small, large]) {
      const a = make(n);
      const { buffers } = encodePayload({ a });
      expect(buffers.length).toBe(a.byteLength >= OUT_OF_BAND_BYTES ? 1 : 0);
      const back = roundTrip({ a, s: "x" }) as { a: TypedArray; s: string };
      expect(back.s).toBe("x");
      expect(back.a.constructor).toBe(a.constructor);
      expect(back.a).toEqual(a);
    }
  });

  it("keeps shapes, Buffers as bytes, and views of larger buffers", () => {
    const m = new NdArray(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const view = new Int32Array(new Int32Array([9, 8, 7, 6]).buffer, 4, 2);
    const back = roundTrip({
      m,
      bytes: Buffer.from("hi"),
      view,
      scalar: new NdArray(new Float64Array([2.5]), []),
    }) as {
      m: NdArray;
      bytes: Uint8Array;
      view: Int32Array;
      scalar: NdArray;
    };
    expect(back.m.shape).toEqual([2, 3]);
    expect([...back.m.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Buffer.from(back.bytes).toString()).toBe("hi");
    expect([...back.view]).toEqual([8, 7]);
    expect(back.scalar.shape).toEqual([]);
  });

  it("sends large arrays without copying them", () => {
    const a = new Int32Array(1 << 20);
    const { buffers } = encodePayload({ a });
    expect(buffers[0]!.buffer).toBe(a.buffer);
  });

  it("copies an array whose bytes arrive misaligned", () => {
    const { payload, buffers } = encodePayload({ a: new Float64Array(4096).fill(1.5) });
    const shifted = Buffer.alloc(buffers[0]!.byteLength + 1).subarray(1);
    shifted.set(buffers[0]!);
    const back = decodePayload(payload, [shifted]) as { a: Float64Array };
    expect(back.a.every((x) => x === 1.5)).toBe(true);
  });

  const ext = (parts: unknown) => encode({ a: new ExtData(NDARRAY_EXT, encode(parts)) });
  it.each([
    ["an unknown dtype", ext(["float16", [1], new Uint8Array(2)]), /unknown dtype/],
    ["a negative dimension", ext(["int32", [-1], new Uint8Array(0)]), /shape/],
    ["a missing frame", ext(["int32", [4096], 3]), /buffer 3 is not among the 0 frames/],
    ["a size mismatch", ext(["int32", [3], new Uint8Array(8)]), /8 bytes do not hold \[3\] of int32/],
    ["a wrong arity", ext(["int32", [3]]), /expected \[dtype, shape, data\]/],
    [
      "an unknown extension",
      encode({ a: new ExtData(5, new Uint8Array(1)) }),
      /unknown msgpack extension type 5/,
    ],
  ])("rejects %s", (_, bytes, message) => {
    expect(() => decodePayload(bytes, [])).toThrow(message);
  });

  it("refuses types that cannot cross", () => {
    expect(() => encodePayload({ f: () => 1 })).toThrow();
  });

  it("refuses a payload nested deeper than the limit, without recursing over it", () => {
    // 50k nested one-element lists: msgpack decodes them, but cloning or validating them would overflow.
    const deep = new Uint8Array(50_001).fill(0x91);
    deep[50_000] = 0x01;
    expect(() => decodePayload(deep, [])).toThrow(`nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    const atLimit = new Uint8Array(MAX_PAYLOAD_DEPTH + 1).fill(0x91);
    atLimit[MAX_PAYLOAD_DEPTH] = 0x01;
    expect(() => decodePayload(atLimit, [])).not.toThrow();
    expect(() => decodePayload(encode({ a: [{ b: 1 }] }), [])).not.toThrow();
  });
});
