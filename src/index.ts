/**
 * The public library API of still-rl: what the CLI calls, importable by users and tests. Everything else under
 * src/ is internal and may change between versions.
 */

export { ADVANTAGE_ESTIMATORS, type AdvantageEstimatorName } from "./algorithms/advantage.js";
export {
  ConfigError,
  type ConfigIssue,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  printConfig,
  type RunConfig,
  runConfigSchema,
} from "./config/index.js";
export { type DoctorReport, formatDoctor, requirementsFor, runDoctor } from "./doctor/doctor.js";
export type { Engine } from "./engines/engine.js";
export { type HfEngineOptions, startHfEngine } from "./engines/hf.js";
export { buildReport, writeReport } from "./report/report.js";
export { defineReward, type UserReward, type UserRewardValue } from "./rewards/define.js";
export { planFromConfig, type RewardPlan } from "./rewards/plan.js";
export { BUILTIN_REWARDS } from "./rewards/registry.js";
export { testRewards } from "./rewards/reward-test.js";
export { RewardScorer, type ScoredSample } from "./rewards/scorer.js";
export { type RewardService, serveRewards } from "./rewards/service.js";
export type { RewardResult, RewardSample, Verdict } from "./rewards/types.js";
export { type SandboxOptions, SandboxPool, sandboxOptionsFromConfig } from "./sandbox/index.js";
export { DIALECTS, type DialectName } from "./tools/dialect.js";
export { type Rollout, runToolRollouts, type ToolOptions } from "./tools/rollout.js";
export { type EvalContext, type EvalResult, type EvalSampling, evaluate } from "./train/evaluate.js";
export { type TrainOptions, type TrainResult, train } from "./train/trainer.js";
export { UserError } from "./util/errors.js";
export { VerifierPool, type VerifyOptions, type VerifyResult, verify } from "./verify/index.js";
