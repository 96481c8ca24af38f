/**
 * The driver-mode engine: a process that holds a policy (and a reference) model and does the GPU/CPU work the
 * TypeScript trainer asks for, one batch at a time. The built-in Hugging Face engine is the first
 * implementation. veRL and OpenRLHF are *not* engines: they own their own distributed loop and are driven as
 * backends (compile config, launch, serve rewards/tools over the bridge), so they do not implement this.
 *
 * Text goes in as token ids: the TS side renders prompts, the engine tokenizes them once (`tokenize`), and
 * continuations (tool outputs) are appended as ids, so the tokens trained on are exactly the tokens sampled.
 */
import type { SamplingParams, SftOptions, UpdateOptions } from "./options.js";

export type { KlEstimator, LossAggregation } from "../algorithms/losses.js";
export type { SamplingParams, SftOptions, UpdateOptions };

export interface EngineInfo {
  /** e.g. "hf" */
  engine: string;
  model: string;
  device: string;
  dtype: string;
  vocabSize: number;
  eosTokenId: number;
  padTokenId: number;
}

export interface GenerateRequest {
  /** Prompt token ids, optionally followed by a prefix to continue from. */
  inputs: Int32Array[];
  params: SamplingParams;
}

export type FinishReason = "stop" | "length";

export interface Completion {
  /** Index into `GenerateRequest.inputs`. */
  input: number;
  /** 0..n-1 */
  sample: number;
  /** New tokens only (the input is not repeated); ends with the EOS token when the model emitted one. */
  tokenIds: Int32Array;
  /**
   * The new text, without a final EOS token, cut right after the stop string when one ended generation (so it
   * may be shorter than the decoded `tokenIds` when the last token carried characters past the stop string).
   */
  text: string;
  finishReason: FinishReason;
  /** The stop string that ended generation, when one did. */
  stopString: string | null;
  logprobs: Float32Array | null;
}

/** A prompt and the response tokens to score or train on. */
export interface Sequence {
  promptIds: Int32Array;
  responseIds: Int32Array;
}

export interface PolicySample extends Sequence {
  /** 1 for tokens the policy is trained on, 0 for masked ones (tool outputs). Same length as responseIds. */
  lossMask: Uint8Array;
  /** Per-token advantages (an outcome reward repeats the sample's advantage). Same length as responseIds. */
  advantages: Float32Array;
  /** Log-probs under the policy that sampled the response. */
  oldLogprobs: Float32Array;
  /** Log-probs under the reference model; null when the KL coefficient is 0. */
  refLogprobs: Float32Array | null;
}

/** Means over the optimizer steps of the call; per-token quantities are means over the trained (mask 1) tokens. */
export interface UpdateStats {
  loss: number;
  pgLoss: number;
  kl: number;
  entropy: number;
  gradNorm: number;
  clipFraction: number;
  /** Optimizer steps taken. */
  steps: number;
}

export interface SftSample {
  promptIds: Int32Array;
  /** Trained on with next-token loss; the prompt is masked out. */
  responseIds: Int32Array;
}

export interface SftStats {
  loss: number;
  gradNorm: number;
  tokens: number;
}

export interface Engine {
  readonly info: EngineInfo;
  tokenize(texts: string[]): Promise<Int32Array[]>;
  detokenize(ids: Int32Array[]): Promise<string[]>;
  generate(request: GenerateRequest): Promise<Completion[]>;
  /** Log-probs of each response token; `temperature` (default 1) as in `UpdateOptions.temperature`. */
  logprobs(
    sequences: Sequence[],
    model: "policy" | "reference",
    options?: { temperature?: number },
  ): Promise<Float32Array[]>;
  update(batch: PolicySample[], options: UpdateOptions): Promise<UpdateStats>;
  sftStep(batch: SftSample[], options: SftOptions): Promise<SftStats>;
  /** Model, optimizer and RNG states, so a resumed run continues bit-identically on CPU. */
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  /** Reference := current policy (STILL-3-1.5B's periodic reference reset). */
  resetReference(): Promise<void>;
  shutdown(): Promise<void>;
}
