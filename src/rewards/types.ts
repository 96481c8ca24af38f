/**
 * The types every reward sees. A reward is a function of one sample (what the model was asked, what it
 * wrote, how long that was, whether it hit the length limit, the ground truth) returning a number plus named
 * components that are logged next to it.
 */

/** One scored response. Field names are camelCase here; JSONL and wire formats use snake_case. */
export interface RewardSample {
  /** The prompt as the model saw it (chat template applied). */
  prompt: string;
  /** The generated text only, without the prompt. */
  response: string;
  /** Response length in tokens; absent when the caller does not know it (e.g. OpenRLHF's HTTP contract). */
  responseTokens?: number;
  /** The response hit the generation length limit (it did not end on its own). */
  truncated: boolean;
  /** The reference answer. */
  groundTruth: string;
  /** Dataset the prompt came from (e.g. "aime24"), for per-source rewards and logging. */
  dataSource?: string;
  /** Id of the prompt this response answers: samples sharing it form a group for group strategies. */
  group?: string;
  /** Any other fields of the input record, untouched. */
  extra: Record<string, unknown>;
}

/** Named numbers logged with a reward (components, flags such as `timeout` or `error`, metrics). */
export type Components = Record<string, number>;

/** What a reward returns: the scalar plus named components for logging. */
export interface RewardResult {
  reward: number;
  components: Components;
}

/** How a response's final answer compares to the ground truth. */
export type Verdict = "correct" | "wrong" | "unanswered";
