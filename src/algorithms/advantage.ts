/**
 * Outcome advantage estimators, one registry (as veRL's `register_adv_est` in core_algos.py): each is a pure
 * function from the rewards (and lengths) of one group of responses to their advantages. The registry is the
 * single source of the names a config may choose (`algorithm.advantage_estimator`). Adding an estimator is one
 * entry here plus its test.
 */

/** One included response of a group, as an estimator sees it. */
export interface Scored {
  reward: number;
  /** Response length in tokens. */
  length: number;
}

export interface EstimatorOptions {
  /** Added to a standard deviation before dividing by it (veRL's 1e-6). */
  epsilon: number;
  /** GRPO divides by the group std; false: Dr. GRPO's mean-only centring. */
  normByStd: boolean;
}

export interface AdvantageEstimator {
  /** Advantages of one group's included responses; a group of one keeps its reward (veRL's convention). */
  group(members: readonly Scored[], opts: EstimatorOptions): number[];
  /** Then whiten every included advantage over the batch (OpenRLHF's REINFORCE++). */
  whitenBatch: boolean;
  /** Advantages come from a learned critic (PPO): the group step only sets the inclusion flags. */
  critic: boolean;
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Unbiased (n−1) standard deviation, as torch.std in veRL and OpenRLHF. */
export function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

const rewards = (g: readonly Scored[]) => g.map((s) => s.reward);

const centred = (g: readonly Scored[]) => {
  const m = mean(rewards(g));
  return g.map((s) => s.reward - m);
};

const estimator = (group: AdvantageEstimator["group"], more: Partial<AdvantageEstimator> = {}) => ({
  group: (g: readonly Scored[], opts: EstimatorOptions) => (g.length <= 1 ? rewards(g) : group(g, opts)),
  whitenBatch: false,
  critic: false,
  ...more,
});

export const ADVANTAGE_ESTIMATORS = {
  /** (r − mean) / (std + ε) per group; with normByStd false, r − mean (Dr. GRPO). */
  grpo: estimator((g, { epsilon, normByStd }) => {
    if (!normByStd) return centred(g);
    const s = std(rewards(g));
    return centred(g).map((a) => a / (s + epsilon));
  }),
  /** r minus the mean of the group's other rewards. */
  rloo: estimator((g) => {
    const n = g.length;
    const m = mean(rewards(g));
    return g.map((s) => s.reward - (m * n - s.reward) / (n - 1));
  }),
  /** r whitened over the batch, no group baseline (REINFORCE++). */
  "reinforce++": estimator(rewards, { whitenBatch: true }),
  /** r − group mean, then whitened over the batch (OpenRLHF's reinforce_baseline). */
  reinforce_baseline: estimator(centred, { whitenBatch: true }),
  /**
   * OPO (Hao et al. 2025, veRL's `opo`): r minus the length-weighted group mean Σ lᵢrᵢ / Σ lᵢ, the
   * variance-minimising baseline when the gradient's norm grows with the response length.
   */
  opo: estimator((g) => {
    const total = g.reduce((a, s) => a + s.length, 0);
    const baseline = total > 0 ? g.reduce((a, s) => a + s.length * s.reward, 0) / total : mean(rewards(g));
    return g.map((s) => s.reward - baseline);
  }),
  /** PPO: a critic's GAE gives the advantages (veRL), not the group. */
  gae: estimator(rewards, { critic: true }),
} satisfies Record<string, AdvantageEstimator>;

export type AdvantageEstimatorName = keyof typeof ADVANTAGE_ESTIMATORS;

export const ADVANTAGE_ESTIMATOR_NAMES = Object.keys(ADVANTAGE_ESTIMATORS) as [
  AdvantageEstimatorName,
  ...AdvantageEstimatorName[],
];

/** Group-relative advantages of one group's included responses. */
export function groupAdvantages(
  name: AdvantageEstimatorName,
  members: readonly Scored[],
  opts: EstimatorOptions,
): number[] {
  return ADVANTAGE_ESTIMATORS[name].group(members, opts);
}
