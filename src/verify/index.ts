/** Answer verification: extraction, a typed answer AST, exact comparison, and a worker-thread batch API. */

export { extractAnswerTag, extractBoxed } from "./extract.js";
export { DEFAULT_POLICY, type GradingPolicy, POLICY_SUMMARY, resolvePolicy } from "./policy.js";
export { VerifierPool, type VerifierPoolOptions } from "./pool.js";
export type { VerifyItem, VerifyOptions, VerifyResult } from "./types.js";
export { verify } from "./verify.js";
