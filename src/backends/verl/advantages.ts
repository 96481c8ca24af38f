import { applyGroupStrategies, type GroupOptions } from "../../rewards/group.js";

/**
 * The `still3` trainer's `_compute_advantage` asks TS (bridge request `still.advantages`) for the advantages of a
 * step's batch, so ORM/QS/RS and GRPO/RLOO/REINFORCE++ are the code the HF backend runs (rewards/group.ts).
 *
 * Request columns, one entry per response: `rewards` (sequence reward, float), `groups` (veRL's uid),
 * `lengths` (response tokens), `truncated` (hit the budget without EOS), `correct` (the verifier's verdict,
 * veRL's `acc`). Reply: `advantages` (float64; NaN for estimator none: veRL's critic path keeps them),
 * `included` (uint8: 0 = out of the loss) and `reasons`.
 */

export class AdvantageRequestError extends Error {
  override name = "AdvantageRequestError";
}

type Column = ArrayLike<unknown>;

function column(p: Record<string, unknown>, key: string, n?: number): Column {
  const v = p[key];
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    throw new AdvantageRequestError(`"${key}" must be a list or an array`);
  }
  const c = v as unknown as Column;
  if (n !== undefined && c.length !== n) {
    throw new AdvantageRequestError(`"${key}" has ${c.length} entries, "rewards" has ${n}`);
  }
  return c;
}

export function advantagesReply(payload: unknown, group: GroupOptions) {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new AdvantageRequestError("still.advantages: expected a map of columns");
  }
  const p = payload as Record<string, unknown>;
  const rewards = column(p, "rewards");
  const n = rewards.length;
  const groups = column(p, "groups", n);
  const lengths = column(p, "lengths", n);
  const truncated = column(p, "truncated", n);
  const correct = column(p, "correct", n);
  const members = Array.from({ length: n }, (_, i) => {
    const reward = Number(rewards[i]);
    if (!Number.isFinite(reward)) throw new AdvantageRequestError(`"rewards"[${i}] is not a finite number`);
    const g = groups[i];
    if (typeof g !== "string" && typeof g !== "number") {
      throw new AdvantageRequestError(`"groups"[${i}] must be a string or a number`);
    }
    return {
      group: String(g),
      reward,
      verdict: Number(correct[i]) === 1 ? ("correct" as const) : ("wrong" as const),
      length: Number(lengths[i]),
      truncated: Boolean(Number(truncated[i])),
    };
  });
  const out = applyGroupStrategies(members, group);
  return {
    advantages: Float64Array.from(out, (o) => o.advantage ?? Number.NaN),
    included: Uint8Array.from(out, (o) => (o.included ? 1 : 0)),
    reasons: out.map((o) => o.reason),
  };
}
