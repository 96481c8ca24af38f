import { verify } from "../verify/index.js";
import { actionReward } from "./action.js";
import { correctnessReward } from "./correctness.js";
import { formatReward } from "./format.js";
import type { KeywordMatcher } from "./keywords.js";
import { lengthReward } from "./length.js";
import type { RewardPlan } from "./plan.js";
import { toolStatsFromExtra, toolStatsFromText, toolUseReward } from "./tool.js";
import type { Components, RewardSample, Verdict } from "./types.js";

/**
 * The built-in part of scoring one sample: one verification, one keyword pass, then every built-in component.
 * Pure; runs on the scoring worker threads.
 */

/** Built-in result of one sample, before user rewards and the weighted total. */
export interface BuiltinScore {
  verdict: Verdict;
  /** Length used by RRL, QS and RS: `responseTokens`, or an estimate when absent. */
  lengthTokens: number;
  /** Unweighted component values and metrics, by name. */
  components: Components;
  /** Weighted sum of the additive built-in components. */
  weighted: number;
  /** False when a gate component (format in gate mode) failed: the sample's reward is 0. */
  gateOpen: boolean;
}

/** Characters per token assumed when a sample carries no token count (the HTTP contract sends text only). */
export const CHARS_PER_TOKEN = 4;

const BOX_COMMANDS = ["\\boxed", "\\fbox"];
/** Text kept before the last box: enough for the adjacent boxes of a list answer (`\boxed{1}, \boxed{2}`). */
const BOX_CONTEXT = 4096;

/**
 * The part of a response the verifier needs: answers sit at the end, so it gets the text from a little before
 * the last box (or the last `<answer>`), not 32 KB of reasoning.
 */
export function answerTail(response: string, format: RewardPlan["answerFormat"]): string {
  let at = -1;
  if (format === "answer-tag") at = response.lastIndexOf("<answer>");
  else for (const c of BOX_COMMANDS) at = Math.max(at, response.lastIndexOf(c));
  if (at === -1) return response.length > BOX_CONTEXT ? response.slice(-BOX_CONTEXT) : response;
  const from = format === "answer-tag" ? at : Math.max(0, at - BOX_CONTEXT);
  return from === 0 ? response : response.slice(from);
}

export function judge(sample: RewardSample, format: RewardPlan["answerFormat"]) {
  const r = verify(sample.groundTruth, answerTail(sample.response, format), { format });
  const verdict: Verdict = r.extracted === null ? "unanswered" : r.correct ? "correct" : "wrong";
  return { verdict, extracted: r.extracted };
}

export function scoreBuiltins(
  sample: RewardSample,
  plan: RewardPlan,
  keywords: KeywordMatcher,
): BuiltinScore {
  const { verdict } = judge(sample, plan.answerFormat);
  const counts = keywords.count(sample.response);
  const components: Components = {};
  const estimated = sample.responseTokens === undefined;
  const lengthTokens = sample.responseTokens ?? Math.ceil(sample.response.length / CHARS_PER_TOKEN);
  let weighted = 0;
  let gateOpen = true;
  for (const c of plan.builtins) {
    let value: number;
    switch (c.kind) {
      case "correctness":
        value = correctnessReward(verdict, c.variant);
        break;
      case "format":
        value = formatReward(sample.prompt, sample.response);
        if (c.mode === "gate") {
          gateOpen &&= value === 1;
          components[c.name] = value;
          continue;
        }
        break;
      case "length":
        value = lengthReward(verdict, lengthTokens, c.lMax);
        break;
      case "reasoning_action": {
        const actions = counts[keywords.names.indexOf(c.keywordSet)] ?? 0;
        components[`${c.name}.actions`] = actions;
        value = actionReward(verdict, actions, c.aMax);
        break;
      }
      case "tool_use": {
        const stats = toolStatsFromExtra(sample.extra) ?? toolStatsFromText(sample.response, plan.toolFences);
        components[`${c.name}.calls`] = stats.calls;
        components[`${c.name}.errors`] = stats.errors;
        value = toolUseReward(stats, c);
        break;
      }
    }
    components[c.name] = value;
    weighted += c.weight * value;
  }
  components.acc = verdict === "correct" ? 1 : 0;
  components.answered = verdict === "unanswered" ? 0 : 1;
  components.length_tokens = lengthTokens;
  if (estimated) components.length_estimated = 1;
  for (const name of plan.categories) components[name] = counts[keywords.names.indexOf(name)] ?? 0;
  return { verdict, lengthTokens, components, weighted, gateOpen };
}
