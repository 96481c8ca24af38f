/**
 * The bridge wire protocol, version 1. These zod schemas are the source of truth: `PROTOCOL.md` describes
 * them, `python/still_rl/bridge/protocol.py` mirrors them as dataclasses, and a test fails when they drift.
 *
 * A message is one ZeroMQ multipart message: `[envelope, payload, ...buffers]` (the ROUTER side also sees the
 * routing identity first). `envelope` and `payload` are msgpack; `buffers` hold large typed arrays that the
 * payload references by index (see codec.ts), so they cross the wire without being copied into msgpack.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { packageRoot } from "../util/paths.js";

export const PROTOCOL_VERSION = 1;

/** Version of this package; a peer must run the same one (its `python/` ships in the same npm package). */
export const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(path.join(packageRoot, "package.json"), "utf8"),
).version;

export const KINDS = ["hello", "welcome", "request", "reply", "error", "cancel", "heartbeat", "bye"] as const;
export type Kind = (typeof KINDS)[number];

export const ERROR_CODES = [
  /** The frames could not be decoded or failed validation. */
  "bad_message",
  /** Protocol or package versions differ; the session is refused. */
  "version_mismatch",
  /** A message other than `hello` from a peer without a session. */
  "no_session",
  /** The peer name is already connected. */
  "duplicate_peer",
  /** No handler for the request type. */
  "unknown_type",
  /** The handler threw; `detail` holds the traceback or stack. */
  "handler_error",
  /** The request deadline passed before a reply. */
  "deadline_exceeded",
  /** The requester cancelled. */
  "cancelled",
  /** The answering side is shutting down. */
  "shutdown",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const name = z.string().min(1).max(256);

/** Frame 0 of every message. */
export const Envelope = z.strictObject({
  /** Protocol version of the sender. */
  v: z.int(),
  kind: z.enum(KINDS),
  /** Request id (unique per sender) for request/reply/error/cancel; any id for the other kinds. */
  id: z.string().min(1).max(128),
  /** Request type (the method, e.g. "generate"), echoed in the reply or error; "" for control messages. */
  type: z.string().max(128),
  /** Milliseconds the requester still waits, counted from sending (relative, so clocks need not agree). 0 except on requests. */
  deadline: z.int().min(0),
});
export type Envelope = z.infer<typeof Envelope>;

/** First message of a peer. */
export const Hello = z.strictObject({
  role: name,
  /** Unique among connected peers, e.g. "engine-0". */
  name,
  pid: z.int(),
  protocol: z.int(),
  package: z.string().max(64),
  /** Request types this peer answers. */
  handlers: z.array(name).max(1024),
});
export type Hello = z.infer<typeof Hello>;

/** The TS side's answer to an accepted hello. */
export const Welcome = z.strictObject({
  /** The name the peer is known by. */
  peer: name,
  pid: z.int(),
  protocol: z.int(),
  package: z.string().max(64),
  /** Heartbeat interval in ms; both sides send one at least this often. */
  heartbeat: z.int().min(1),
  /** Silence (ms) after which either side treats the other as gone. */
  timeout: z.int().min(1),
  /** Request types the TS side answers. */
  handlers: z.array(name),
});
export type Welcome = z.infer<typeof Welcome>;

export const ErrorBody = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string().max(65_536),
  /** Traceback, stack or other detail; may be "". */
  detail: z.string().max(1_048_576),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Cancels the request with the envelope's id. */
export const Cancel = z.strictObject({ reason: z.string().max(4096) });
export type Cancel = z.infer<typeof Cancel>;

export const Heartbeat = z.strictObject({});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Orderly end of a session: the receiver fails what it still waits for and, for a peer, exits. */
export const Bye = z.strictObject({ reason: z.string().max(4096) });
export type Bye = z.infer<typeof Bye>;

/** Payload schema of each control kind; request and reply payloads belong to the request type. */
export const CONTROL_PAYLOADS = {
  hello: Hello,
  welcome: Welcome,
  error: ErrorBody,
  cancel: Cancel,
  heartbeat: Heartbeat,
  bye: Bye,
} as const;

/** Payload msgpack extension type for typed arrays: data = msgpack `[dtype, shape, buffer index | bin]`. */
export const NDARRAY_EXT = 17;

/** Array element types on the wire (numpy names, little-endian). "bool" is one byte per element. */
export const DTYPES = [
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
  "bool",
] as const;
export type Dtype = (typeof DTYPES)[number];

/** Arrays at least this large travel as their own frame instead of inside the msgpack payload. */
export const OUT_OF_BAND_BYTES = 16_384;
