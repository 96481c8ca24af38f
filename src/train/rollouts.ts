import type { Engine, PolicySample, SamplingParams } from "../engines/engine.js";
import {
  type Rollout,
  runToolRollouts,
  type ToolOptions,
  type ToolSandbox,
  toolCallStats,
} from "../tools/rollout.js";

/**
 * The responses the loop scores and trains on, with or without tool execution (one `Rollout` shape for both).
 * With tools, generation goes through runToolRollouts (code blocks run in the sandbox, their output appended
 * with loss mask 0).
 */

export type { Rollout };

/** The sandbox and tool options of a run with `tools.enabled`. */
export interface RolloutTools {
  sandbox: ToolSandbox;
  options: ToolOptions;
}

export async function generateRollouts(
  engine: Engine,
  tools: RolloutTools | null,
  inputs: Int32Array[],
  params: SamplingParams,
): Promise<Rollout[]> {
  if (tools !== null) return runToolRollouts(engine, tools.sandbox, inputs, params, tools.options);
  const completions = await engine.generate({ inputs, params });
  return completions.map((c) => ({
    input: c.input,
    sample: c.sample,
    tokenIds: c.tokenIds,
    lossMask: new Uint8Array(c.tokenIds.length).fill(1),
    logprobs: c.logprobs,
    text: c.text,
    finishReason: c.finishReason,
    calls: null,
  }));
}

export interface TrainedRollout {
  promptIds: Int32Array;
  rollout: Rollout;
  /** The sample's (outcome) advantage, repeated over its tokens. */
  advantage: number;
}

/**
 * The update batch. The loss mask is the rollout's: tool output is not trained on. Appended tokens carry old
 * log-prob 0 (they were not sampled); the mask removes them from the loss, and the ratio exp(logp - 0) stays
 * finite, so nothing else needs them. Responses excluded by the reward plan (ORM filters, group strategies)
 * are left out by the caller.
 */
export function policySamples(
  trained: readonly TrainedRollout[],
  ref: Float32Array[] | null,
): PolicySample[] {
  return trained.map(({ promptIds, rollout, advantage }, k) => {
    if (rollout.logprobs === null) {
      throw new Error("engine returned no log-probs although returnLogprobs was set");
    }
    return {
      promptIds,
      responseIds: rollout.tokenIds,
      lossMask: rollout.lossMask,
      advantages: new Float32Array(rollout.tokenIds.length).fill(advantage),
      oldLogprobs: rollout.logprobs,
      refLogprobs: ref ? ref[k]! : null,
    };
  });
}

/** Reward-sample extras the `tool_use` reward reads (its calls and failures as the sandbox reported them). */
export function toolExtra(rollout: Rollout): Record<string, number> {
  if (rollout.calls === null) return {};
  return {
    tool_calls: rollout.calls.length,
    tool_errors: rollout.calls.filter((c) => c.status !== "ok").length,
  };
}

/**
 * `tool_calls_mean` (calls per response), `tool_use_ratio` (responses with a call), `tool_success_rate` (calls
 * that ran without error, timeout or kill; absent when no call ran) and `tool_token_fraction` (share of response
 * tokens that are tool output). Empty without tools. Callers prefix them (`train/`, `eval/`).
 */
export function toolMetrics(rollouts: readonly Rollout[]): Record<string, number> {
  if (rollouts.length === 0 || rollouts.some((r) => r.calls === null)) return {};
  const stats = toolCallStats(rollouts);
  const out: Record<string, number> = {
    tool_calls_mean: stats.calls / stats.responses,
    tool_use_ratio: stats.responsesWithCalls / stats.responses,
    tool_token_fraction: stats.toolTokenFraction,
  };
  if (stats.calls > 0) out.tool_success_rate = stats.byStatus.ok / stats.calls;
  return out;
}
