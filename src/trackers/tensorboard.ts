import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { maskedCrc32c } from "./crc32c.js";
import type { Stage, Tracker } from "./types.js";

/**
 * TensorBoard event files written directly: TFRecord framing around `tensorflow.Event` protos holding scalar
 * summaries. Only the few proto fields a scalar needs are encoded, so no TensorFlow or protobuf runtime is
 * involved and every backend's run can use it.
 */

// Field tags (field number << 3 | wire type) of tensorflow/core/util/event.proto and summary.proto.
const EVENT_WALL_TIME = 0x09; // double, field 1
const EVENT_STEP = 0x10; // int64, field 2
const EVENT_FILE_VERSION = 0x1a; // string, field 3
const EVENT_SUMMARY = 0x2a; // Summary, field 5
const SUMMARY_VALUE = 0x0a; // repeated Value, field 1
const VALUE_TAG = 0x0a; // string, field 1
const VALUE_SIMPLE = 0x15; // float, field 2

class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  varint(value: number): this {
    const out: number[] = [];
    let v = value;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
    return this;
  }

  tag(tag: number): this {
    return this.varint(tag);
  }

  double(value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.push(b);
    return this;
  }

  float(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(value: string): this {
    return this.bytes(new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function scalarEvent(
  step: number,
  wallTime: number,
  scalars: Readonly<Record<string, number>>,
): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) {
    const v = new ProtoWriter().tag(VALUE_TAG).string(tag).tag(VALUE_SIMPLE).float(value).finish();
    summary.tag(SUMMARY_VALUE).bytes(v);
  }
  return new ProtoWriter()
    .tag(EVENT_WALL_TIME)
    .double(wallTime)
    .tag(EVENT_STEP)
    .varint(step)
    .tag(EVENT_SUMMARY)
    .bytes(summary.finish())
    .finish();
}

export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter()
    .tag(EVENT_WALL_TIME)
    .double(wallTime)
    .tag(EVENT_FILE_VERSION)
    .string("brain.Event:2")
    .finish();
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC (all little-endian). */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export class TensorBoardTracker implements Tracker {
  readonly name = "tensorboard";
  readonly file: string;
  private fd: number | null;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const now = Date.now() / 1000;
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(now)}.${hostname()}`);
    this.fd = openSync(this.file, "a");
    writeSync(this.fd, tfRecord(fileVersionEvent(now)));
  }

  /** SFT and RL steps share the x axis; their tags (sft/… vs train/…, eval/…) keep them apart. */
  log(_stage: Stage, step: number, metrics: Readonly<Record<string, number>>): void {
    if (this.fd === null) return;
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    writeSync(this.fd, tfRecord(scalarEvent(step, Date.now() / 1000, finite)));
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
