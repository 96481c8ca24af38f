import type { ScoredSample } from "./scorer.js";
import type { RewardSample } from "./types.js";

/**
 * Sample records as users and trainers write them (snake_case JSON): `prompt`, `response`, `ground_truth`,
 * optional `response_tokens`, `truncated`, `data_source`, `group`; any other field is kept in `extra`.
 */

const KNOWN = new Set([
  "prompt",
  "response",
  "ground_truth",
  "response_tokens",
  "truncated",
  "data_source",
  "group",
]);

/** A record that cannot be scored; the message names the field. */
export class RecordError extends Error {
  override name = "RecordError";
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

export function sampleFromRecord(value: unknown): RewardSample {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new RecordError(`expected a JSON object, got ${kind(value)}`);
  }
  const r = value as Record<string, unknown>;
  const str = (key: string) => {
    const v = r[key];
    if (typeof v === "string") return v;
    if (v === undefined) throw new RecordError(`missing "${key}"`);
    throw new RecordError(`"${key}" must be a string, got ${kind(v)}`);
  };
  const gt = r.ground_truth;
  if (gt === undefined) throw new RecordError(`missing "ground_truth"`);
  if (typeof gt !== "string" && typeof gt !== "number") {
    throw new RecordError(`"ground_truth" must be a string or a number, got ${kind(gt)}`);
  }
  const tokens = r.response_tokens;
  if (tokens !== undefined && !(Number.isInteger(tokens) && (tokens as number) >= 0)) {
    throw new RecordError(`"response_tokens" must be a non-negative integer, got ${JSON.stringify(tokens)}`);
  }
  if (r.truncated !== undefined && typeof r.truncated !== "boolean") {
    throw new RecordError(`"truncated" must be true or false, got ${JSON.stringify(r.truncated)}`);
  }
  if (r.data_source !== undefined && typeof r.data_source !== "string") {
    throw new RecordError(`"data_source" must be a string, got ${kind(r.data_source)}`);
  }
  if (r.group !== undefined && typeof r.group !== "string" && typeof r.group !== "number") {
    throw new RecordError(`"group" must be a string or a number, got ${kind(r.group)}`);
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k)) extra[k] = v;
  return {
    prompt: str("prompt"),
    response: str("response"),
    groundTruth: String(gt),
    truncated: r.truncated === true,
    ...(tokens !== undefined && { responseTokens: tokens as number }),
    ...(r.data_source !== undefined && { dataSource: r.data_source as string }),
    ...(r.group !== undefined && { group: String(r.group) }),
    extra,
  };
}

/** The input record plus `reward`, `components` and, for grouped samples, `advantage`, `included`, `reason`. */
export function recordWithScore(input: Record<string, unknown>, s: ScoredSample): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input, reward: s.reward, components: s.components };
  if (s.included !== undefined) {
    out.advantage = s.advantage;
    out.included = s.included;
    out.reason = s.reason;
  }
  return out;
}
