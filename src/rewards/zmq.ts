import type { RequestContext } from "../bridge/server.js";
import type { BuiltinSample } from "./analyze.js";
import type { RewardScorer, ScoredSample } from "./scorer.js";
import { SharedBytesPool } from "./shared-bytes.js";
import { decodeIds, TokenTables } from "./token-table.js";

/**
 * The bridge's `score` request: a batch in columns, as trainers hold it (veRL's DataProto, numpy arrays).
 *
 * Request: `responses` (list of str), `ground_truths` (list of str or numbers), and optionally `prompts`,
 * `response_tokens` (int array), `truncated` (bool array), `data_sources`, `groups`, `extra` (list of dicts).
 * Packed form, for throughput: instead of `responses`, `responses_utf8` (uint8 array: every response's UTF-8
 * bytes, concatenated) and `response_offsets` (int array of n + 1 offsets). The bytes travel as their own
 * ZeroMQ frame, are copied once into shared memory and scanned there by the workers, never decoded whole.
 * Token form, for trainers that hold ids: `response_ids` (uint16 or uint32), `response_id_offsets` (n + 1) and
 * `vocab`, the sha of a table sent before in a `token_table` request (./token-table.ts); decoded here.
 * Reply: `rewards` (float64 array), `components` (name -> float64 array, NaN where a sample lacks it) and,
 * when `groups` was sent, `advantages` (float64, NaN for estimator none), `included` (uint8) and `reasons`.
 */

export class ScoreRequestError extends Error {
  override name = "ScoreRequestError";
}

type Column = ArrayLike<unknown> & { length: number };

function column(p: Record<string, unknown>, key: string, n: number | undefined): Column | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    throw new ScoreRequestError(`"${key}" must be a list or an array, got ${typeof v}`);
  }
  const c = v as unknown as Column;
  if (n !== undefined && c.length !== n) {
    throw new ScoreRequestError(`"${key}" has ${c.length} entries, "responses" has ${n}`);
  }
  return c;
}

/**
 * The n + 1 offsets `key` that cut `length` items of `of` (bytes or ids) into responses: from 0 to `length`,
 * never decreasing.
 */
function offsetsOf(
  p: Record<string, unknown>,
  key: string,
  of: string,
  length: number,
  unit: string,
): number[] {
  const raw = column(p, key, undefined);
  if (raw === undefined || raw.length < 1)
    throw new ScoreRequestError(`"${of}" needs "${key}" (n + 1 offsets)`);
  const offsets = Array.from(raw as ArrayLike<number | bigint>, Number);
  if (offsets[0] !== 0 || offsets.at(-1) !== length) {
    throw new ScoreRequestError(`"${key}" must run from 0 to ${length} (the ${unit} count)`);
  }
  for (let i = 1; i < offsets.length; i++) {
    if (!(Number.isInteger(offsets[i]) && offsets[i]! >= offsets[i - 1]!))
      throw new ScoreRequestError(`"${key}" must not decrease (at ${i})`);
  }
  return offsets;
}

/** Packed responses as views on one SharedArrayBuffer (from `pool`) holding all their bytes. */
function packedResponses(p: Record<string, unknown>, pool: SharedBytesPool): Uint8Array[] {
  const bytes = p.responses_utf8;
  if (!(bytes instanceof Uint8Array)) throw new ScoreRequestError('"responses_utf8" must be a uint8 array');
  const offsets = offsetsOf(p, "response_offsets", "responses_utf8", bytes.length, "byte");
  const shared = new Uint8Array(pool.acquire(bytes.length), 0, bytes.length);
  // Buffer#copy is a plain memcpy; TypedArray#set into shared memory is several times slower.
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(Buffer.from(shared.buffer));
  return offsets.slice(1).map((b, i) => shared.subarray(offsets[i]!, b));
}

/** Responses sent as token ids, decoded with a registered table. */
function tokenResponses(p: Record<string, unknown>, pool: SharedBytesPool, tables: TokenTables) {
  const ids = p.response_ids;
  if (!(ids instanceof Uint16Array || ids instanceof Uint32Array)) {
    throw new ScoreRequestError('"response_ids" must be a uint16 or uint32 array');
  }
  const offsets = offsetsOf(p, "response_id_offsets", "response_ids", ids.length, "id");
  return decodeIds(tables.get(p.vocab), ids, offsets, pool);
}

export function samplesFromScoreRequest(
  payload: unknown,
  pool = new SharedBytesPool(0),
  tables = new TokenTables(),
): BuiltinSample[] {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new ScoreRequestError("score: expected a map with responses and ground_truths");
  }
  const p = payload as Record<string, unknown>;
  const forms = ["responses", "responses_utf8", "response_ids"].filter((k) => p[k] !== undefined);
  if (forms.length > 1) throw new ScoreRequestError(`send one of ${forms.map((k) => `"${k}"`).join(", ")}`);
  const packed = forms[0] === "responses_utf8" || forms[0] === "response_ids";
  const responses: Column | undefined =
    forms[0] === "responses_utf8"
      ? packedResponses(p, pool)
      : forms[0] === "response_ids"
        ? tokenResponses(p, pool, tables)
        : column(p, "responses", undefined);
  if (responses === undefined) throw new ScoreRequestError('score: missing "responses"');
  const n = responses.length;
  const gts = column(p, "ground_truths", n);
  if (gts === undefined) throw new ScoreRequestError('score: missing "ground_truths"');
  const prompts = column(p, "prompts", n);
  const tokens = column(p, "response_tokens", n);
  const truncated = column(p, "truncated", n);
  const sources = column(p, "data_sources", n);
  const groups = column(p, "groups", n);
  const extra = column(p, "extra", n);
  const str = (c: Column, key: string, i: number): string => {
    const v = c[i];
    if (typeof v === "string") return v;
    throw new ScoreRequestError(`"${key}"[${i}] must be a string, got ${v === null ? "null" : typeof v}`);
  };
  const samples: BuiltinSample[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const gt = gts[i];
    if (typeof gt !== "string" && typeof gt !== "number") {
      throw new ScoreRequestError(`"ground_truths"[${i}] must be a string or a number`);
    }
    const s: BuiltinSample = {
      prompt: prompts ? str(prompts, "prompts", i) : "",
      response: packed ? (responses[i] as Uint8Array) : str(responses, "responses", i),
      groundTruth: String(gt),
      truncated: truncated ? Boolean(truncated[i]) : false,
      extra: {},
    };
    if (tokens) {
      const t = Number(tokens[i]);
      if (!(Number.isInteger(t) && t >= 0))
        throw new ScoreRequestError(`"response_tokens"[${i}] must be a count`);
      s.responseTokens = t;
    }
    if (sources) s.dataSource = str(sources, "data_sources", i);
    if (groups) {
      const g = groups[i];
      if (typeof g !== "string" && typeof g !== "number") {
        throw new ScoreRequestError(`"groups"[${i}] must be a string or a number`);
      }
      s.group = String(g);
    }
    if (extra) {
      const e = extra[i];
      if (e === null || typeof e !== "object" || Array.isArray(e)) {
        throw new ScoreRequestError(`"extra"[${i}] must be a map`);
      }
      s.extra = e as Record<string, unknown>;
    }
    samples[i] = s;
  }
  return samples;
}

export function scoreReply(scored: ScoredSample[], grouped: boolean) {
  const n = scored.length;
  const rewards = new Float64Array(n);
  const components: Record<string, Float64Array> = {};
  scored.forEach((s, i) => {
    rewards[i] = s.reward;
    for (const [k, v] of Object.entries(s.components)) {
      let col = components[k];
      if (col === undefined) {
        col = new Float64Array(n).fill(Number.NaN);
        components[k] = col;
      }
      col[i] = v;
    }
  });
  if (!grouped) return { rewards, components };
  return {
    rewards,
    components,
    advantages: Float64Array.from(scored, (s) => s.advantage ?? Number.NaN),
    included: Uint8Array.from(scored, (s) => (s.included ? 1 : 0)),
    reasons: scored.map((s) => s.reason ?? ""),
  };
}

/** Margin kept before the requester's deadline so the reply (with fallbacks) still reaches it. */
const REPLY_MARGIN_MS = 50;

/** The bridge handler for `score` requests; `tables` are those its `token_table` requests registered. */
export function scoreHandler(scorer: RewardScorer, tables = new TokenTables()) {
  const pool = new SharedBytesPool();
  return async (payload: unknown, ctx: RequestContext) => {
    const samples = samplesFromScoreRequest(payload, pool, tables);
    const left = ctx.deadline - Date.now();
    const deadlineMs = Math.max(1, Math.floor(left * 0.95) - REPLY_MARGIN_MS);
    try {
      const scored = await scorer.score(samples, { deadlineMs });
      return scoreReply(
        scored,
        samples.some((s) => s.group !== undefined),
      );
    } finally {
      const first = samples[0]?.response;
      if (first instanceof Uint8Array && first.buffer instanceof SharedArrayBuffer)
        pool.release(first.buffer);
    }
  };
}
