/**
 * The run config's `tools` block as the options of the sandbox pool and of runToolRollouts, so the trainer,
 * evaluation and the backend plugins read it one way.
 */

import type { ToolsConfig } from "../config/index.js";
import type { SandboxOptions } from "../sandbox/index.js";
import type { ToolOptions } from "./rollout.js";

export function toolOptionsFromConfig(tools: ToolsConfig): ToolOptions {
  return {
    dialect: tools.dialect,
    maxCalls: tools.max_calls,
    stateful: tools.stateful,
    maxOutputChars: tools.sandbox.max_output_chars,
  };
}

export function sandboxOptionsFromConfig(tools: ToolsConfig): SandboxOptions {
  const s = tools.sandbox;
  return {
    isolation: tools.isolation,
    concurrency: s.pool_size,
    timeoutMs: s.timeout_ms,
    cpuSeconds: s.cpu_seconds,
    memoryMb: s.memory_mb,
    maxProcesses: s.max_processes,
    maxFileMb: s.max_file_mb,
  };
}
