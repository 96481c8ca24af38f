import { createHash } from "node:crypto";
import type { SharedBytesPool } from "./shared-bytes.js";

/**
 * Responses sent as token ids, decoded here with the trainer's token table (python/still_rl/rewards/
 * token_table.py): for a byte-level BPE tokenizer each id stands for fixed bytes (special tokens for none), so
 * the response's text is the concatenation of its ids' bytes read as UTF-8 — exactly what the tokenizer's
 * `decode(ids, skip_special_tokens=True)` returns. Decoding 8 M ids here takes tens of milliseconds; in the
 * trainer's Python it was most of a reward round trip.
 *
 * A table is registered once per connection (`token_table` request: `sha`, `data`, `offsets`) and named by
 * the sha256 of its bytes and offsets; `score` requests then carry `vocab` (that sha), `response_ids` (uint16
 * or uint32) and `response_id_offsets` (n + 1).
 */
export interface TokenTable {
  readonly sha: string;
  /** Where id i's bytes start in `data`, and how many there are. */
  readonly start: Int32Array;
  readonly length: Int32Array;
  readonly data: Uint8Array;
}

export class TokenTableError extends Error {
  override name = "TokenTableError";
}

/** Tables are small (a 151 k vocabulary is about 1 MB) and a run has one or two; keep a few, newest last. */
const KEPT = 8;

export class TokenTables {
  private readonly tables = new Map<string, TokenTable>();

  /** The `token_table` request: checks the table against its sha and keeps it. Replies with the sha. */
  register(payload: unknown): { sha: string; size: number } {
    const p = (payload ?? {}) as Record<string, unknown>;
    const { sha, data, offsets } = p;
    if (typeof sha !== "string") throw new TokenTableError('token_table: "sha" must be a string');
    if (!(data instanceof Uint8Array)) throw new TokenTableError('token_table: "data" must be a uint8 array');
    if (!(offsets instanceof BigInt64Array) || offsets.length < 2) {
      throw new TokenTableError('token_table: "offsets" must be an int64 array of size + 1 offsets');
    }
    const hash = createHash("sha256")
      .update(data)
      .update(new Uint8Array(offsets.buffer, offsets.byteOffset, offsets.byteLength))
      .digest("hex");
    if (hash !== sha) throw new TokenTableError(`token_table: sha ${sha} does not match the table (${hash})`);
    const size = offsets.length - 1;
    const start = new Int32Array(size);
    const length = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const a = Number(offsets[i]);
      const b = Number(offsets[i + 1]);
      if (!(a >= 0 && b >= a && b <= data.length)) {
        throw new TokenTableError(`token_table: offsets must rise from 0 to ${data.length} (at ${i})`);
      }
      start[i] = a;
      length[i] = b - a;
    }
    this.tables.delete(sha);
    this.tables.set(sha, { sha, start, length, data: data.slice() });
    while (this.tables.size > KEPT) this.tables.delete(this.tables.keys().next().value!);
    return { sha, size };
  }

  get(sha: unknown): TokenTable {
    const table = typeof sha === "string" ? this.tables.get(sha) : undefined;
    if (table === undefined) {
      throw new TokenTableError(`unknown token table ${String(sha)}: send a token_table request first`);
    }
    return table;
  }
}

/**
 * Decode packed ids into one shared buffer from `pool`, a view per response. Bytes that are not valid UTF-8 (a
 * multi-byte character cut by the length budget) stay as they are: every reader decodes with replacement, as
 * the tokenizer does.
 */
export function decodeIds(
  table: TokenTable,
  ids: Uint16Array | Uint32Array,
  offsets: readonly number[],
  pool: SharedBytesPool,
): Uint8Array[] {
  const { start, length, data } = table;
  const size = start.length;
  // An id past the table (a model's padded embedding rows) decodes to nothing, as in the tokenizer.
  let total = 0;
  for (let i = 0; i < ids.length; i++) total += length[ids[i]!] ?? 0;
  const out = new Uint8Array(pool.acquire(total), 0, total);
  const bounds = new Array<number>(offsets.length);
  let p = 0;
  for (let r = 0; r + 1 < offsets.length; r++) {
    bounds[r] = p;
    for (let i = offsets[r]!; i < offsets[r + 1]!; i++) {
      const id = ids[i]!;
      if (id >= size) continue;
      const s = start[id]!;
      const e = s + length[id]!;
      for (let k = s; k < e; k++) out[p++] = data[k]!;
    }
  }
  bounds[offsets.length - 1] = p;
  const responses: Uint8Array[] = new Array(offsets.length - 1);
  for (let r = 0; r < responses.length; r++) responses[r] = out.subarray(bounds[r]!, bounds[r + 1]!);
  return responses;
}
