import type { ToolsConfig } from "../../config/index.js";
import type { SandboxPool } from "../../sandbox/index.js";
import { getDialect } from "../../tools/dialect.js";
import { toolOutputText } from "../../tools/output.js";

/**
 * The veRL tool agent loop's turn (bridge request `still.tool`): the response text so far → the code of the
 * call it ends with, run in the sandbox, and the interpreter output in the dialect's bytes. The dialect and the
 * sandbox live here only; the Python loop just generates, asks and appends (with loss mask 0).
 *
 * Request: `text` (the decoded response so far), `calls` (calls this response made), `cells` (`[{code, ms}]`
 * of those that ran to completion, as the replies gave them: stateful mode replays them, as SandboxSession does).
 * Reply: `code: null` when the text ends with no call to run (or `max_calls` are used up); otherwise `code`,
 * `status`, `output` (model-facing text), `append` (what goes into the context) and `cell` (to send back
 * next time, null when the call is not replayed).
 */

export interface ToolCell {
  code: string;
  ms: number;
}

export class ToolRequestError extends Error {
  override name = "ToolRequestError";
}

export function toolTurnHandler(tools: ToolsConfig, pool: SandboxPool) {
  const dialect = getDialect(tools.dialect);
  const truncate = { maxChars: tools.sandbox.max_output_chars, atLimit: dialect.truncateAtLimit };
  return async (payload: unknown) => {
    const p = (payload ?? {}) as { text?: unknown; calls?: unknown; cells?: unknown };
    if (typeof p.text !== "string") throw new ToolRequestError('still.tool: "text" must be a string');
    const cells = (p.cells ?? []) as ToolCell[];
    if (
      !Array.isArray(cells) ||
      cells.some((c) => typeof c?.code !== "string" || typeof c?.ms !== "number")
    ) {
      throw new ToolRequestError('still.tool: "cells" must be a list of {code, ms}');
    }
    const calls = p.calls ?? cells.length;
    if (typeof calls !== "number") throw new ToolRequestError('still.tool: "calls" must be a number');
    const code = calls < tools.max_calls ? dialect.parseCall(p.text) : null;
    if (code === null) return { code: null };
    const previous = tools.stateful ? cells : [];
    const replayMs = previous.reduce((s, c) => s + c.ms, 0);
    const result = await pool.run(code, {
      timeoutMs: pool.limits.timeoutMs + replayMs,
      previous: previous.map((c) => c.code),
    });
    const output = toolOutputText(result, truncate);
    const replayed = result.status === "ok" || result.status === "error";
    return {
      code,
      status: result.status,
      output,
      append: dialect.formatOutput(output),
      cell: replayed ? { code, ms: Math.max(0, result.ms - replayMs) } : null,
    };
  };
}
