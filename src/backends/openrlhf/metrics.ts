import type { MetricsLine } from "../../train/metrics.js";

/**
 * OpenRLHF's step metrics, read back from the line its PPO trainer logs after every step
 * (`✨ Global step N: {…}`, a Python dict), under the names an HF run writes (src/train/metrics.ts), so
 * reports and comparisons read every backend alike. OpenRLHF's own keys are kept as extras.
 */

const FROM_OPENRLHF: readonly [ours: string, theirs: readonly string[], map?: (v: number) => number][] = [
  ["train/reward_mean", ["rollout/reward_mean", "reward"]],
  ["train/accuracy", ["acc", "rollout/acc_mean"]],
  ["train/response_length_mean", ["rollout/response_length_mean", "response_length"]],
  ["train/completion_ratio", ["rollout/truncated_rate"], (truncated) => 1 - truncated],
  ["train/entropy", ["entropy_loss", "entropy"]],
  ["train/kl", ["kl"]],
  ["train/grad_norm", ["grad_norm", "actor_grad_norm"]],
  ["train/lr", ["actor_lr"]],
  ["time/step_s", ["timing/step_total"]],
];

const STEP_LINE = /Global step (\d+): (\{.*\})\s*$/;
const PAIR = /'([^']+)':\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|-?inf|True|False)/g;

/** The step and its numeric metrics from one line of OpenRLHF's output; null for any other line. */
export function parseStepLine(line: string): { step: number; metrics: Record<string, number> } | null {
  const m = STEP_LINE.exec(line);
  if (!m) return null;
  const metrics: Record<string, number> = {};
  for (const [, key, raw] of m[2]!.matchAll(PAIR)) {
    const v = raw === "True" ? 1 : raw === "False" ? 0 : Number(raw === "nan" ? Number.NaN : raw);
    if (Number.isFinite(v)) metrics[key!] = v;
  }
  return { step: Number(m[1]), metrics };
}

export function metricsLine(step: number, theirs: Readonly<Record<string, number>>): MetricsLine {
  const line: MetricsLine = { step };
  for (const [ours, keys, map] of FROM_OPENRLHF) {
    const key = keys.find((k) => theirs[k] !== undefined);
    if (key !== undefined) line[ours] = map ? map(theirs[key] as number) : (theirs[key] as number);
  }
  for (const [k, v] of Object.entries(theirs)) if (!(k in line)) line[k] = v;
  return line;
}
