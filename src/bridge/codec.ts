/**
 * Payload codec: msgpack with typed arrays as an extension type. A 1-D TypedArray becomes a numpy array on the
 * Python side and back; `NdArray` carries a shape. Arrays of OUT_OF_BAND_BYTES or more are not copied into the
 * msgpack buffer: the extension holds an index and the array's memory is sent as its own ZeroMQ frame (zeromq
 * sends it without copying, and large received frames are wrapped, not copied).
 */
import { Decoder, Encoder, ExtData, type ExtensionCodecType } from "@msgpack/msgpack";
import { DTYPES, type Dtype, NDARRAY_EXT, OUT_OF_BAND_BYTES } from "./protocol.js";

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A typed array with a shape (row-major), for arrays of more or fewer than one dimension. */
export class NdArray<T extends TypedArray = TypedArray> {
  constructor(
    readonly data: T,
    readonly shape: readonly number[],
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new RangeError(`NdArray: shape [${shape}] needs ${size} elements, got ${data.length}`);
  }
}

/** An encoded payload: the msgpack bytes and the out-of-band buffers they reference. */
export interface EncodedPayload {
  payload: Uint8Array;
  buffers: Uint8Array[];
}

type ArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  BYTES_PER_ELEMENT: number;
};

const CTORS: Record<Dtype, ArrayCtor> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
  bool: Uint8Array,
};

function dtypeOf(a: TypedArray): Dtype | null {
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Uint8Array) return "uint8";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof BigUint64Array) return "uint64";
  return null;
}

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

interface CodecContext {
  /** Out-of-band buffers: collected while encoding, looked up while decoding. */
  buffers: Uint8Array[];
}

const context: CodecContext = { buffers: [] };
const inner = new Encoder();
const innerDecoder = new Decoder();

function encodeArray(input: unknown, ctx: CodecContext): Uint8Array | null {
  // Node Buffers stay msgpack bin (Python bytes); every other typed array is an ndarray.
  if (Buffer.isBuffer(input)) return null;
  let data: TypedArray;
  let shape: readonly number[];
  if (input instanceof NdArray) {
    data = input.data;
    shape = input.shape;
  } else if (ArrayBuffer.isView(input) && !(input instanceof DataView)) {
    data = input as TypedArray;
    shape = [data.length];
  } else {
    return null;
  }
  const dtype = dtypeOf(data);
  if (!dtype) throw new TypeError(`bridge codec: unsupported typed array ${data.constructor.name}`);
  const bytes = bytesOf(data);
  if (bytes.byteLength >= OUT_OF_BAND_BYTES) {
    ctx.buffers.push(bytes);
    return inner.encode([dtype, shape, ctx.buffers.length - 1]);
  }
  return inner.encode([dtype, shape, bytes]);
}

function decodeArray(raw: Uint8Array, ctx: CodecContext): TypedArray | NdArray {
  const parts = innerDecoder.decode(raw);
  if (!Array.isArray(parts) || parts.length !== 3)
    throw new TypeError("ndarray: expected [dtype, shape, data]");
  const [dtype, shape, ref] = parts as [unknown, unknown, unknown];
  if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new TypeError(`ndarray: unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError("ndarray: shape must be a list of non-negative integers");
  }
  let bytes: Uint8Array;
  if (typeof ref === "number") {
    const b = ctx.buffers[ref];
    if (!b) throw new TypeError(`ndarray: buffer ${ref} is not among the ${ctx.buffers.length} frames`);
    bytes = b;
  } else if (ref instanceof Uint8Array) {
    bytes = ref;
  } else {
    throw new TypeError("ndarray: data must be a buffer index or bytes");
  }
  const ctor = CTORS[dtype as Dtype];
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== size * ctor.BYTES_PER_ELEMENT) {
    throw new TypeError(`ndarray: ${bytes.byteLength} bytes do not hold [${shape}] of ${dtype}`);
  }
  // A view needs an aligned offset; otherwise copy (small inline arrays, or an unlucky frame). Note that
  // Buffer#slice would not copy.
  const aligned = bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0 ? bytes : new Uint8Array(bytes);
  const array = new ctor(aligned.buffer, aligned.byteOffset, size);
  return shape.length === 1 ? array : new NdArray(array, shape as number[]);
}

/** Only our extension: any other (msgpack timestamps included) is malformed input, not an opaque value. */
const codec: ExtensionCodecType<CodecContext> = {
  tryToEncode(input, ctx) {
    if (input instanceof Date) throw new TypeError("bridge codec: send dates as epoch ms or ISO strings");
    const data = encodeArray(input, ctx);
    return data ? new ExtData(NDARRAY_EXT, data) : null;
  },
  decode(data, type, ctx) {
    if (type !== NDARRAY_EXT) throw new TypeError(`unknown msgpack extension type ${type}`);
    return decodeArray(data, ctx);
  },
};

const encoder = new Encoder({ extensionCodec: codec, context, useBigInt64: true });
const decoder = new Decoder({ extensionCodec: codec, context });

/** Encode a payload; large typed arrays come back as separate buffers (views, not copies). */
export function encodePayload(value: unknown): EncodedPayload {
  context.buffers = [];
  try {
    const payload = encoder.encode(value);
    return { payload, buffers: context.buffers };
  } finally {
    context.buffers = [];
  }
}

/**
 * Deepest nesting of lists and maps a received payload may have. msgpack decodes without recursion, but what
 * handles a payload next usually recurses (structured cloning to a worker, JSON, zod): a hostile payload
 * nested 50k deep would throw there, far from the request it came with.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/** Decode a payload whose out-of-band arrays are `buffers`. Throws on anything malformed or too deep. */
export function decodePayload(payload: Uint8Array, buffers: Uint8Array[]): unknown {
  context.buffers = buffers;
  let value: unknown;
  try {
    value = decoder.decode(payload);
  } finally {
    context.buffers = [];
  }
  checkDepth(value, MAX_PAYLOAD_DEPTH);
  return value;
}

/** Throws if `value` nests lists and maps deeper than `max`; iterative, so any depth is safe to check. */
export function checkDepth(value: unknown, max: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v) || v instanceof NdArray) continue;
    if (depth >= max) throw new RangeError(`payload nested deeper than ${max} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

const plainEncoder = new Encoder();
const plainDecoder = new Decoder();

/** msgpack without extensions, for envelopes and control payloads. */
export function encodePlain(value: unknown): Uint8Array {
  return plainEncoder.encode(value);
}

export function decodePlain(bytes: Uint8Array): unknown {
  return plainDecoder.decode(bytes);
}
