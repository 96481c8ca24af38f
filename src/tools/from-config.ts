/**
 * The run config's `tools` block as the options of runToolRollouts, so the trainer, evaluation and the backend
 * plugins read it one way (the sandbox's own options: `sandboxOptionsFromConfig` in src/sandbox).
 */

import type { ToolsConfig } from "../config/index.js";
import type { ToolOptions } from "./rollout.js";

export function toolOptionsFromConfig(tools: ToolsConfig): ToolOptions {
  return {
    dialect: tools.dialect,
    maxCalls: tools.max_calls,
    stateful: tools.stateful,
    maxOutputChars: tools.sandbox.max_output_chars,
  };
}
