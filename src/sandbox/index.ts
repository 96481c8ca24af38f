export { EXIT_MEMORY } from "./boot.js";
export { type FiredLimit, SandboxError, type SandboxResult, type SandboxStatus } from "./execute.js";
export {
  DEFAULT_LIMITS,
  type Isolation,
  resolveLimits,
  type SandboxLimits,
  type SandboxOptions,
  sandboxOptionsFromConfig,
} from "./options.js";
export { NO_ISOLATION_WARNING, type RunOptions, SandboxPool, SandboxSession } from "./pool.js";
