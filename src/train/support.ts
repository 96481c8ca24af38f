import type { RunConfig } from "../config/index.js";

/**
 * Knobs of the run config that the driver-mode loop with the HF engine cannot honour yet. A run that sets one
 * stops before it starts, naming the YAML path, instead of silently training something else.
 */
export function unsupportedKnobs(c: RunConfig): string[] {
  const out: string[] = [];
  if (c.backend.type !== "hf")
    out.push(`backend.type: ${c.backend.type} runs in plugin mode, not in still train`);
  if (c.algorithm.advantage_estimator === "gae") {
    out.push("algorithm.advantage_estimator: gae needs a critic, which the HF engine does not train");
  }
  if (c.algorithm.kl.mode !== "none" && c.algorithm.kl.placement === "reward") {
    out.push(
      "algorithm.kl.placement: reward (KL in the reward) is not available in the driver loop; use loss",
    );
  }
  if (c.model.chat_template !== undefined) {
    out.push(
      "model.chat_template: the driver loop renders prompts from prompt.template, not a chat template",
    );
  }
  if (c.sft?.mask_tool_outputs)
    out.push("sft.mask_tool_outputs: SFT on tool transcripts is not in the driver loop yet");
  if (c.sft !== undefined && c.sft.eval_fraction > 0)
    out.push("sft.eval_fraction: the driver loop computes no SFT validation loss");
  return out;
}
