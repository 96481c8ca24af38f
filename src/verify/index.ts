/** Answer verification: extraction, a typed answer AST, exact comparison, and a worker-thread batch API. */

export { extractAnswerTag, extractBoxed, extractFallback } from "./extract.js";
export { VerifierPool, type VerifierPoolOptions } from "./pool.js";
export type { VerifyItem, VerifyOptions, VerifyResult } from "./types.js";
export { verify } from "./verify.js";
