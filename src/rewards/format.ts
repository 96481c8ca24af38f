import { z } from "zod";
import { defineBuiltinReward } from "./builtin.js";

/**
 * The R1-Zero format reward used in the report's "Zero" runs (§2, §3): the assistant turn must be exactly
 * `<think> … </think> <answer> … </answer>`. Rules as in STILL's released `STILLZero` reward manager
 * (VERL-STILL/verl/workers/reward_manager/still.py, `check_format`): the text checked is everything after the
 * last "Assistant:" of prompt + response (the R1-Zero prompt ends with `Assistant:\n<think>`, so the opening
 * tag usually sits in the prompt), end-of-text tokens removed, trimmed; it must start with `<think>`, end with
 * `</answer>`, hold each tag exactly once, in order, with non-empty think and answer and nothing between
 * `</think>` and `<answer>` but whitespace.
 */

/** End-of-sequence markers removed before the check (Qwen2.5's, as in STILL). */
export const FORMAT_EOS_TOKENS: readonly string[] = ["<|endoftext|>", "<|im_end|>"];

function count(text: string, tag: string): number {
  let n = 0;
  for (let i = text.indexOf(tag); i !== -1; i = text.indexOf(tag, i + tag.length)) n++;
  return n;
}

/** The assistant turn the format rules apply to. */
export function assistantTurn(prompt: string, response: string, eosTokens = FORMAT_EOS_TOKENS): string {
  const full = prompt + response;
  const at = full.lastIndexOf("Assistant:");
  let text = at === -1 ? response : full.slice(at + "Assistant:".length);
  for (const eos of eosTokens) text = text.replaceAll(eos, "");
  return text.trim();
}

/** 1 when the assistant turn has the R1-Zero format, else 0. */
export function formatReward(prompt: string, response: string, eosTokens = FORMAT_EOS_TOKENS): number {
  const text = assistantTurn(prompt, response, eosTokens);
  if (!text.startsWith("<think>") || !text.endsWith("</answer>")) return 0;
  for (const tag of ["<think>", "</think>", "<answer>", "</answer>"]) if (count(text, tag) !== 1) return 0;
  const thinkEnd = text.indexOf("</think>");
  const answerStart = text.indexOf("<answer>");
  const answerEnd = text.indexOf("</answer>");
  if (!(thinkEnd < answerStart && answerStart < answerEnd)) return 0;
  const think = text.slice("<think>".length, thinkEnd).trim();
  const between = text.slice(thinkEnd + "</think>".length, answerStart).trim();
  const answer = text.slice(answerStart + "<answer>".length, answerEnd).trim();
  return think.length > 0 && answer.length > 0 && between.length === 0 ? 1 : 0;
}

/** Content of the last `<answer>…</answer>`, trimmed; undefined when there is none. */
export function answerTagContent(text: string): string | undefined {
  const open = text.lastIndexOf("<answer>");
  if (open === -1) return undefined;
  const close = text.indexOf("</answer>", open);
  if (close === -1) return undefined;
  return text.slice(open + "<answer>".length, close).trim();
}

export const format = defineBuiltinReward({
  name: "format",
  params: {
    /** gate: reward is 0 unless the response is `<think>…</think> <answer>…</answer>`; bonus: adds weight when it is. */
    mode: z.enum(["gate", "bonus"]).default("gate"),
  },
  plan: (c) => ({ mode: c.mode }),
  score: (p, s) => {
    const value = formatReward(s.prompt, s.text());
    return p.mode === "gate" ? { value, gate: true } : value;
  },
});
