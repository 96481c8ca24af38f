/** Public library API of still-rl: everything the CLI does is importable from here. */

export * from "./config/index.js";
export { PROMPT_TEXTS, renderPrompt, templateText } from "./prompts/templates.js";
export { type PythonInterpreter, pythonEnv, resolvePython } from "./pyenv/python.js";
export {
  DEFAULT_LIMITS,
  type Isolation,
  type RunOptions,
  SandboxError,
  type SandboxLimits,
  type SandboxOptions,
  SandboxPool,
  type SandboxResult,
  SandboxSession,
  type SandboxStatus,
  sandboxOptionsFromConfig,
} from "./sandbox/index.js";
export { UserError } from "./util/errors.js";
