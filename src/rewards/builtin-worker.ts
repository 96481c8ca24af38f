import { serveItems } from "../workers/serve.js";
import { type BuiltinSample, scoreBuiltins } from "./analyze.js";
import { compileKeywords } from "./keywords.js";
import type { RewardPlan } from "./plan.js";

/** Worker thread computing the built-in rewards (verification, keyword pass, formulas) of samples. */
serveItems((init) => {
  const plan = init as RewardPlan;
  const keywords = compileKeywords(plan.keywordSets);
  return { handle: (item) => scoreBuiltins(item as BuiltinSample, plan, keywords) };
});
