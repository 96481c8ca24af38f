import type { MetricsLine } from "../../train/metrics.js";

/**
 * veRL's step metrics under the names an HF run writes (src/train/metrics.ts TRAIN_METRICS), so reports and
 * comparisons read both backends alike. The first veRL key present wins; veRL's own keys are kept as extras.
 */
const FROM_VERL: readonly [ours: string, verl: readonly string[], map?: (v: number) => number][] = [
  ["train/reward_mean", ["critic/score/mean", "critic/rewards/mean"]],
  ["train/accuracy", ["reward/acc/mean", "critic/acc/mean", "acc/mean"]],
  ["train/response_length_mean", ["response_length/mean"]],
  ["train/completion_ratio", ["response_length/clip_ratio"], (clipped) => 1 - clipped],
  ["train/entropy", ["actor/entropy"]],
  ["train/kl", ["actor/kl_loss"]],
  ["train/kl_coef", ["still/kl_coef", "actor/kl_coef"]],
  ["train/grad_norm", ["actor/grad_norm"]],
  ["train/lr", ["actor/lr"]],
  ["time/step_s", ["timing_s/step"]],
];

export function metricsLine(step: number, verl: Readonly<Record<string, number>>): MetricsLine {
  const line: MetricsLine = { step };
  for (const [ours, keys, map] of FROM_VERL) {
    if (verl[ours] !== undefined) {
      line[ours] = verl[ours];
      continue;
    }
    const key = keys.find((k) => verl[k] !== undefined);
    if (key !== undefined) line[ours] = map ? map(verl[key] as number) : (verl[key] as number);
  }
  for (const [k, v] of Object.entries(verl)) if (!(k in line) && Number.isFinite(v)) line[k] = v;
  return line;
}
