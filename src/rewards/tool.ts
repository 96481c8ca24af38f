import { z } from "zod";
import { DIALECTS, type ToolFences } from "../tools/dialect.js";
import { defineBuiltinReward } from "./builtin.js";

/**
 * Tool-use bonus and penalty for tool-integrated reasoning (ToRL, ReTool style): `bonus` once when the
 * response made at least one successful code call, minus `errorPenalty` per failed call. Calls and failures
 * come from the rollout when it recorded them (`extra.tool_calls` / `extra.tool_errors`), else they are read
 * from the text: a call is a code fence, a failure an output block showing a traceback, an `…Error` or a
 * timeout.
 */
export interface ToolStats {
  calls: number;
  errors: number;
}

export interface ToolUseOptions {
  bonus: number;
  errorPenalty: number;
}

export const DEFAULT_TOOL_FENCES: ToolFences = DIALECTS.still.fences;

const ERROR_OUTPUT = /Traceback|\b[A-Za-z]*Error\b|Timeout/;

function occurrences(haystack: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length))
    at.push(i);
  return at;
}

export function toolStatsFromText(response: string, fences: ToolFences = DEFAULT_TOOL_FENCES): ToolStats {
  const lower = response.toLowerCase();
  const calls = occurrences(lower, fences.code.toLowerCase()).length;
  const output = fences.output.toLowerCase();
  const end = fences.outputEnd.toLowerCase();
  // Lower-casing keeps positions except for a few non-ASCII letters; then read the lower-cased text.
  const text = lower.length === response.length ? response : lower;
  let errors = 0;
  for (const start of occurrences(lower, output)) {
    const from = start + output.length;
    const to = lower.indexOf(end, from);
    if (ERROR_OUTPUT.test(text.slice(from, to === -1 ? undefined : to))) errors++;
  }
  return { calls, errors: Math.min(errors, calls) };
}

/** Counts recorded by a tool rollout, when the sample carries them. */
export function toolStatsFromExtra(extra: Record<string, unknown>): ToolStats | undefined {
  const calls = extra.tool_calls;
  const errors = extra.tool_errors ?? 0;
  if (typeof calls !== "number" || typeof errors !== "number") return undefined;
  return { calls, errors };
}

export function toolUseReward(stats: ToolStats, opts: ToolUseOptions): number {
  const succeeded = stats.calls - stats.errors;
  return (succeeded > 0 ? opts.bonus : 0) - opts.errorPenalty * stats.errors;
}

export const toolUse = defineBuiltinReward({
  name: "tool_use",
  params: {
    /** Added once when the response made at least one successful tool call. */
    bonus: z.number().default(0),
    /** Subtracted per tool call that failed (error, timeout, output cap). */
    error_penalty: z.number().default(0),
  },
  plan: (c, ctx) => ({ bonus: c.bonus, errorPenalty: c.error_penalty, fences: ctx.toolFences }),
  score: (p, s) => {
    const stats = toolStatsFromExtra(s.extra) ?? toolStatsFromText(s.text(), p.fences);
    return { value: toolUseReward(stats, p), metrics: { calls: stats.calls, errors: stats.errors } };
  },
});
