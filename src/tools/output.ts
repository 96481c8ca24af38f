/**
 * What the model reads back from one execution, following the executor that STILL-3-Tool, Qwen2.5-Math and
 * ReTool share (STILL-3-TOOL/evaluation/executor.py): stdout stripped when the run succeeded, otherwise the
 * last line of the traceback, "Timeout Error" on a timeout; both cut to `max` characters as
 * `s[:half] + "..." + s[-half:]`. Lengths count code points, as Python's do.
 */

import { pyStrip } from "./dialect.js";

export type ExecutionStatus = "ok" | "error" | "timeout" | "memory" | "killed";

/** The part of a sandbox result the model-facing text is made from. */
export interface ExecutionOutcome {
  status: ExecutionStatus;
  stdout: string;
  stderr: string;
}

export interface TruncateOptions {
  maxChars: number;
  /** Cut when the length equals the limit too (ToRL); STILL's executor cuts only above it. */
  atLimit?: boolean;
}

export function truncateMiddle(s: string, { maxChars, atLimit = false }: TruncateOptions): string {
  const chars = Array.from(s);
  const over = atLimit ? chars.length >= maxChars : chars.length > maxChars;
  if (!over) return s;
  const half = Math.floor(maxChars / 2);
  return `${chars.slice(0, half).join("")}...${half === 0 ? "" : chars.slice(-half).join("")}`;
}

/** Python's `traceback.format_exc().split("\n")[-2]`: the exception line, e.g. "NameError: name 'x' is ...". */
export function lastTracebackLine(stderr: string): string {
  const lines = pyStrip(stderr).split("\n");
  return lines[lines.length - 1] ?? "";
}

const STATUS_FALLBACK: Record<Exclude<ExecutionStatus, "ok" | "timeout">, string> = {
  error: "Error",
  memory: "MemoryError",
  killed: "Killed",
};

export function toolOutputText(outcome: ExecutionOutcome, truncate: TruncateOptions): string {
  let text: string;
  if (outcome.status === "ok") text = pyStrip(outcome.stdout);
  else if (outcome.status === "timeout") text = "Timeout Error";
  else text = lastTracebackLine(outcome.stderr) || STATUS_FALLBACK[outcome.status];
  return truncateMiddle(text, truncate);
}
