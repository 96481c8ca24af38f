/** Public library API of still-rl: everything the CLI does is importable from here. */

export { type PythonInterpreter, pythonEnv, resolvePython } from "./pyenv/python.js";
export {
  type ArithmeticProblem,
  type DemoToolsConfig,
  type DemoToolsResult,
  demoToolsConfigSchema,
  runToolDemo,
} from "./tools/demo.js";
export { DIALECTS, type DialectName, getDialect, type ToolDialect } from "./tools/dialect.js";
export {
  type ExecutionOutcome,
  type ExecutionStatus,
  lastTracebackLine,
  toolOutputText,
  truncateMiddle,
} from "./tools/output.js";
export {
  runToolRollouts,
  type ToolCallRecord,
  type ToolCallStats,
  type ToolOptions,
  type ToolRollout,
  type ToolRunner,
  type ToolSandbox,
  toolCallStats,
} from "./tools/rollout.js";
export { UserError } from "./util/errors.js";
