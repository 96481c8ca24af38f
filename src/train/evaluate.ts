import type { QaRecord } from "../data/dataset.js";
import type { Engine } from "../engines/engine.js";
import type { RewardScorer } from "../rewards/scorer.js";
import type { RewardSample } from "../rewards/types.js";
import { generateRollouts, type Rollout, type RolloutTools, toolExtra, toolMetrics } from "./rollouts.js";

/**
 * Accuracy on held-out questions: generate, then grade with the run's own scorer (the real verifier), so
 * evaluation and training agree on what "correct" means. With tools, the responses are tool rollouts (the
 * sandbox runs the model's code), as in training.
 */

/** What evaluation runs with: the engine, the run's scorer, its prompt template and its tools (or none). */
export interface EvalContext {
  engine: Engine;
  scorer: RewardScorer;
  render: (question: string) => string;
  tools: RolloutTools | null;
}

export interface EvalSampling {
  greedy: boolean;
  n: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: string[];
  seed: number;
}

export interface EvalResult {
  /** Mean over questions of the share of correct samples (pass@1 estimated from n samples). */
  accuracy: number;
  responseLengthMean: number;
  /** Tool-use values (see toolMetrics); empty without tools. */
  toolMetrics: Record<string, number>;
  samples: { question: string; answer: string; response: string; correct: boolean; toolCalls?: number }[];
}

export function rewardSample(
  prompt: string,
  record: QaRecord,
  rollout: Rollout,
  group: string | undefined,
): RewardSample {
  return {
    prompt,
    response: rollout.text,
    responseTokens: rollout.tokenIds.length,
    truncated: rollout.finishReason === "length",
    groundTruth: record.answer,
    dataSource: record.source,
    group,
    extra: { ...record.extra, ...toolExtra(rollout) },
  };
}

export async function evaluate(
  { engine, scorer, render, tools }: EvalContext,
  records: readonly QaRecord[],
  s: EvalSampling,
): Promise<EvalResult> {
  if (records.length === 0)
    return { accuracy: Number.NaN, responseLengthMean: Number.NaN, toolMetrics: {}, samples: [] };
  const prompts = records.map((r) => render(r.question));
  const inputs = await engine.tokenize(prompts);
  const n = s.greedy ? 1 : s.n;
  const completions = await generateRollouts(engine, tools, inputs, {
    n,
    temperature: s.greedy ? 0 : s.temperature,
    topP: s.greedy ? 1 : s.topP,
    topK: 0,
    maxNewTokens: s.maxTokens,
    stop: s.stop,
    seed: s.seed,
    returnLogprobs: false,
  });
  const scored = await scorer.score(
    completions.map((c) => rewardSample(prompts[c.input]!, records[c.input]!, c, undefined)),
  );
  const correct = scored.map((x) => x.verdict === "correct");
  const accuracy = correct.filter(Boolean).length / completions.length;
  const responseLengthMean = completions.reduce((a, c) => a + c.tokenIds.length, 0) / completions.length;
  const samples = completions.slice(0, 8).map((c, i) => ({
    question: records[c.input]!.question,
    answer: records[c.input]!.answer,
    response: c.text,
    correct: correct[i]!,
    ...(c.calls === null ? {} : { toolCalls: c.calls.length }),
  }));
  return { accuracy, responseLengthMean, toolMetrics: toolMetrics(completions), samples };
}
