import { z } from "zod";
import { DIALECT_NAMES } from "../../tools/dialect.js";
import { durationMs, positiveInt } from "./common.js";

export const sandboxSchema = z.strictObject({
  /** Wall-clock limit per call; the process group is killed after it. */
  timeout_ms: durationMs().default(10_000),
  cpu_seconds: positiveInt().default(5),
  memory_mb: positiveInt().default(1024),
  max_processes: positiveInt().default(64),
  max_file_mb: positiveInt().default(10),
  /** stdout/stderr are truncated to this many characters before they go back to the model (STILL: 400). */
  max_output_chars: positiveInt().default(400),
  /** Sandboxes run concurrently. */
  pool_size: positiveInt().default(4),
});

export const toolsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Delimiter dialect of tool-integrated reasoning (report §4.4); the list is src/tools/dialect.ts. */
  dialect: z.enum(DIALECT_NAMES).default("still"),
  /** Tool calls per response; generation continues without executing once they are used up. */
  max_calls: positiveInt().default(3),
  /** bwrap: bubblewrap namespaces (fails closed when unavailable); none: rlimits only, for trusted code in tests. */
  isolation: z.enum(["bwrap", "none"]).default("bwrap"),
  /** Keep interpreter state across the calls of one response (a notebook) instead of a fresh process per call. */
  stateful: z.boolean().default(false),
  sandbox: sandboxSchema.default(() => sandboxSchema.parse({})),
});

export type SandboxConfig = z.output<typeof sandboxSchema>;
export type ToolsConfig = z.output<typeof toolsSchema>;
