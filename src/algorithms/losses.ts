/**
 * Names of the policy-loss pieces the engines compute (python/still_rl/engines/hf/losses.py implements them;
 * test/bridge/drift.test.ts checks that its lists match these).
 */

/**
 * KL estimators against the reference (Schulman's k1/k2/k3; `low_var_kl` is k3 clamped to [-10, 10], veRL's
 * `kl_loss_type` spelling).
 */
export const KL_ESTIMATORS = ["k1", "k2", "k3", "low_var_kl"] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];

/** How per-token losses become one number (veRL's `loss_agg_mode`). */
export const LOSS_AGGREGATIONS = ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean"] as const;
export type LossAggregation = (typeof LOSS_AGGREGATIONS)[number];
