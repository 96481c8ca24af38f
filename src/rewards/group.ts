import {
  ADVANTAGE_ESTIMATORS,
  type AdvantageEstimatorName,
  groupAdvantages,
  mean,
  std,
} from "../algorithms/advantage.js";
import type { Verdict } from "./types.js";

/**
 * Group strategies on the n responses of one prompt (report §4.2.1), then the advantage estimator
 * (src/algorithms/advantage.ts). Order: overlength masking, then question selection, then response selection,
 * then the estimator over the responses still included. Excluded responses get advantage 0 and take no part in
 * the group's statistics.
 */

export interface GroupOptions {
  estimator: AdvantageEstimatorName;
  /** GRPO divides by the group std; false: Dr. GRPO's mean-only centring. */
  normByStd: boolean;
  /** Overlength response masking: truncated responses are excluded from the loss, not scored as wrong. */
  orm: boolean;
  /** Question selection: keep the group only when mean correct length > mean wrong length. */
  qs: boolean;
  /** Response selection: train on the longest correct and the shortest wrong response only. */
  rs: boolean;
  /** Added to the std in GRPO normalisation (veRL's 1e-6). */
  epsilon: number;
}

export const DEFAULT_GROUP_OPTIONS: GroupOptions = {
  estimator: "grpo",
  normByStd: true,
  orm: false,
  qs: false,
  rs: false,
  epsilon: 1e-6,
};

export interface GroupMember {
  /** Group id: the prompt this response answers. */
  group: string;
  reward: number;
  verdict: Verdict;
  /** Response length (tokens) used by QS and RS. */
  length: number;
  truncated: boolean;
}

export interface GroupOutcome {
  /** null when a critic gives the advantages (estimator `gae`). */
  advantage: number | null;
  included: boolean;
  /** "included", or why the response is out of the loss (prefixed by the strategy that excluded it). */
  reason: string;
}

const fmt = (x: number) => String(Math.round(x * 100) / 100);

/** Which members of one group stay in the loss, and why the others do not. */
export function selectInGroup(members: readonly GroupMember[], opts: GroupOptions): (string | undefined)[] {
  const excluded: (string | undefined)[] = members.map((m) =>
    opts.orm && m.truncated ? "orm: truncated at the length limit" : undefined,
  );
  const live = () => members.map((m, i) => ({ m, i })).filter(({ i }) => excluded[i] === undefined);
  const exclude = (reason: string, keep: (i: number) => boolean = () => false) => {
    for (const { i } of live()) if (!keep(i)) excluded[i] = reason;
  };

  if (opts.qs) {
    const correct = live().filter(({ m }) => m.verdict === "correct");
    const wrong = live().filter(({ m }) => m.verdict !== "correct");
    if (correct.length === 0) exclude("qs: no correct response");
    else if (wrong.length === 0) exclude("qs: no wrong response");
    else {
      const lc = mean(correct.map(({ m }) => m.length));
      const lw = mean(wrong.map(({ m }) => m.length));
      if (!(lc > lw)) exclude(`qs: mean correct length ${fmt(lc)} <= mean wrong length ${fmt(lw)}`);
    }
  }

  if (opts.rs) {
    const correct = live().filter(({ m }) => m.verdict === "correct");
    const wrong = live().filter(({ m }) => m.verdict !== "correct");
    if (correct.length === 0) exclude("rs: no correct response");
    else if (wrong.length === 0) exclude("rs: no wrong response");
    else {
      // First of the longest correct and first of the shortest wrong, so ties resolve by input order.
      const longest = correct.reduce((a, b) => (b.m.length > a.m.length ? b : a));
      const shortest = wrong.reduce((a, b) => (b.m.length < a.m.length ? b : a));
      if (longest.m.length > shortest.m.length) {
        exclude(
          "rs: not the longest correct or the shortest wrong response",
          (i) => i === longest.i || i === shortest.i,
        );
      } else {
        exclude(
          `rs: longest correct length ${fmt(longest.m.length)} <= shortest wrong length ${fmt(shortest.m.length)}`,
        );
      }
    }
  }
  return excluded;
}

/**
 * Advantages, inclusion flags and reasons for a batch of responses, grouped by `group`. `reinforce_baseline`
 * (REINFORCE++ with a group baseline, as OpenRLHF) then whitens over every included response of the batch.
 */
export function applyGroupStrategies(members: readonly GroupMember[], opts: GroupOptions): GroupOutcome[] {
  const estimator = ADVANTAGE_ESTIMATORS[opts.estimator];
  const out: GroupOutcome[] = members.map(() => ({ advantage: 0, included: false, reason: "" }));
  const byGroup = new Map<string, number[]>();
  members.forEach((m, i) => {
    const list = byGroup.get(m.group);
    if (list) list.push(i);
    else byGroup.set(m.group, [i]);
  });
  for (const idx of byGroup.values()) {
    const group = idx.map((i) => members[i]!);
    const reasons = selectInGroup(group, opts);
    const kept = idx.filter((_, k) => reasons[k] === undefined);
    const adv = groupAdvantages(
      opts.estimator,
      kept.map((i) => members[i]!),
      opts,
    );
    idx.forEach((i, k) => {
      out[i] =
        reasons[k] === undefined
          ? { advantage: 0, included: true, reason: "included" }
          : {
              advantage: 0,
              included: false,
              reason: reasons[k]!,
            };
    });
    kept.forEach((i, k) => {
      out[i]!.advantage = estimator.critic ? null : adv[k]!;
    });
  }
  if (estimator.critic) for (const o of out) o.advantage = null;
  if (estimator.whitenBatch) {
    const included = out.filter((o) => o.included);
    if (included.length > 1) {
      const all = included.map((o) => o.advantage as number);
      const m = mean(all);
      const s = std(all);
      for (const o of included) o.advantage = ((o.advantage as number) - m) / (s + opts.epsilon);
    }
  }
  return out;
}
