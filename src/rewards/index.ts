/** Rewards: the STILL-3 rewards and group strategies, user rewards in TypeScript, and the reward service. */

export { actionReward, DEFAULT_A_MAX } from "./action.js";
export { type BuiltinSample, judge } from "./analyze.js";
export { type CorrectnessVariant, correctnessReward } from "./correctness.js";
export { defineReward, type UserReward, type UserRewardValue } from "./define.js";
export { answerTagContent, formatReward } from "./format.js";
export {
  applyGroupStrategies,
  DEFAULT_GROUP_OPTIONS,
  type GroupMember,
  type GroupOptions,
  type GroupOutcome,
} from "./group.js";
export { type HttpRewardServer, type HttpServerOptions, startHttpRewardServer } from "./http.js";
export {
  compileKeywords,
  type KeywordMatcher,
  type KeywordSets,
  keywordRatios,
  REASONING_CATEGORIES,
  RRA_KEYWORDS,
} from "./keywords.js";
export { lengthReward } from "./length.js";
export { planFromConfig, type RewardPlan } from "./plan.js";
export { recordWithScore, sampleFromRecord } from "./records.js";
export { testRewards } from "./reward-test.js";
export { RewardScorer, type ScoredSample, type ScoreOptions, type ScorerOptions } from "./scorer.js";
export { type RewardService, type ServeOptions, serveRewards } from "./service.js";
export { type ToolStats, toolStatsFromText, toolUseReward } from "./tool.js";
export type { Components, RewardResult, RewardSample, Verdict } from "./types.js";
