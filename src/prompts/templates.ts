import type { PromptConfig, PromptTemplateName } from "../config/schema/index.js";
import { QUESTION_PLACEHOLDER } from "../config/schema/index.js";

/**
 * The prompt templates of the STILL-3 report, verbatim, with `{question}` where the report writes
 * `{QUESTION}`. A run's prompt is part of its config (report §4.3: one added sentence moved AIME 2024 from
 * 39.33 to 33.33), so these strings are versioned here and never edited in place: a changed prompt is a
 * new template.
 */

/**
 * R1-Zero-style short prompt (report §3.1.2, "Short Prompt"). The report's PDF renders the example answer as
 * a glyph the OCR reads as "%"; STILL's released reward server (OpenRLHF-STILL serve_zero) carries the same
 * text with `\frac{1}{2}`, which is taken here. Line breaks follow that released text.
 */
export const R1_ZERO_SHORT = `A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>.
The assistant shows the reasoning process in <think> </think> tags, and returns the final answer in <answer> </answer> tags, for example <answer> \\frac{1}{2} </answer>.
User: {question}
Assistant:
<think>`;

/**
 * STILL's long prompt with detailed instructions about the reasoning process (report §3.1.2, "Long Prompt"),
 * typos included ("includs"). OCR artifacts removed: the page number and footnote mark inside the text, and
 * "cec" which is the code fence around the example. Like the short prompt it ends with `Assistant:` and an
 * opened `<think>` (still3-spec §4).
 */
export const STILL_LONG = `A conversation between User and Assistant. The User asks a question, and the Assistant solves it. The Assistant first engages in an internal reasoning process, akin to a stream of consciousness, before providing the User with the answer. The reasoning process and answer are enclosed within ‘<think></think>’ and ‘<answer></answer>’ tags, respectively. For example:
\`\`\`
<think>
reasoning process here
</think>
<answer>
answer here
</answer>
\`\`\`
The reasoning process includs detailed considerations such as analyzing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of current steps, refining any errors, and revisiting previous steps. During this process, the Assistant uses casual, genuine phrases such as: "Hmm", "Wait", "Alternatively", "double check", "I wonder...", "But", "rethink", etc., to make the reasoning process coherent, clear, and logically sound, effectively simulating human cognitive processes.
The Assistant shows the reasoning process within ‘<think></think>’ tags, and ONLY return the FINAL ANSWER within ‘<answer></answer>’ tags. For example: ‘<answer> 3 </answer>’.
User: {question}
Assistant:
<think>`;

/**
 * DeepSeek-R1-Distill chat template with no system prompt and no instruction (report Table 6, the training
 * and best testing prompt of STILL-3-1.5B). The special tokens use the fullwidth bar and the ▁ of the
 * DeepSeek tokenizer.
 */
export const DEEPSEEK_CHAT = "<｜begin▁of▁sentence｜><｜User｜>{question}<｜Assistant｜>";

export const PROMPT_TEXTS: Readonly<Record<Exclude<PromptTemplateName, "custom">, string>> = {
  r1_zero_short: R1_ZERO_SHORT,
  still_long: STILL_LONG,
  deepseek_chat: DEEPSEEK_CHAT,
};

/** The template text a prompt config uses. */
export function templateText(prompt: PromptConfig): string {
  if (prompt.template === "custom") {
    if (prompt.text === undefined) throw new Error("custom prompt template without text");
    return prompt.text;
  }
  return PROMPT_TEXTS[prompt.template];
}

/** The prompt for one question: every `{question}` in the template replaced, nothing else touched. */
export function renderPrompt(template: string | PromptConfig, question: string): string {
  const text = typeof template === "string" ? template : templateText(template);
  return text.split(QUESTION_PLACEHOLDER).join(question);
}
