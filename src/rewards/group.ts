import type { Verdict } from "./types.js";

/**
 * Group strategies on the n responses of one prompt (report §4.2.1) and the group-relative advantage
 * estimators of GRPO/RLOO. Order: overlength masking, then question selection, then response selection, then
 * the estimator over the responses still included. Excluded responses get advantage 0 and take no part in the
 * group's statistics.
 */

/**
 * `grpo`: (r − mean) / (std + ε) per group; `grpo_no_std`: r − mean (Dr. GRPO); `rloo`: r minus the mean of the
 * group's other rewards; `reinforce_baseline`: r − group mean, then whitened over the batch; `reinforce++`: r
 * whitened over the batch (no group baseline); `none`: advantages come from elsewhere (PPO's critic), only the
 * inclusion flags apply.
 */
export type GroupEstimator = "grpo" | "grpo_no_std" | "rloo" | "reinforce_baseline" | "reinforce++" | "none";

export interface GroupOptions {
  estimator: GroupEstimator;
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
  /** null with estimator `none`. */
  advantage: number | null;
  included: boolean;
  /** "included", or why the response is out of the loss (prefixed by the strategy that excluded it). */
  reason: string;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Unbiased (n−1) standard deviation, as torch.std in veRL and OpenRLHF. */
function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
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

/** Group-relative advantages for the included rewards of one group (veRL's conventions for a lone sample). */
export function groupAdvantages(rewards: readonly number[], opts: GroupOptions): number[] {
  const n = rewards.length;
  if (n === 0) return [];
  // veRL: a group of one has mean 0 and std 1, so its advantage is its reward.
  if (n === 1) return [rewards[0]!];
  const m = mean([...rewards]);
  switch (opts.estimator) {
    case "none":
    case "reinforce++":
      return [...rewards];
    case "grpo": {
      const s = std([...rewards]);
      return rewards.map((r) => (r - m) / (s + opts.epsilon));
    }
    case "grpo_no_std":
    case "reinforce_baseline":
      return rewards.map((r) => r - m);
    case "rloo":
      // r_i minus the mean of the other n−1 rewards.
      return rewards.map((r) => r - (m * n - r) / (n - 1));
  }
}

/**
 * Advantages, inclusion flags and reasons for a batch of responses, grouped by `group`. `reinforce_baseline`
 * (REINFORCE++ with a group baseline, as OpenRLHF) then whitens over every included response of the batch.
 */
export function applyGroupStrategies(members: readonly GroupMember[], opts: GroupOptions): GroupOutcome[] {
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
      kept.map((i) => members[i]!.reward),
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
      out[i]!.advantage = opts.estimator === "none" ? null : adv[k]!;
    });
  }
  if (opts.estimator === "none") for (const o of out) o.advantage = null;
  if (opts.estimator === "reinforce_baseline" || opts.estimator === "reinforce++") {
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
