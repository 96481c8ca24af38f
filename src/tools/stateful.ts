/**
 * Stateful tool calls without a long-lived interpreter: the program for call k replays calls 1..k-1 with their
 * output discarded, then runs call k. Each run stays a fresh sandboxed process (no state survives a crash or a
 * timeout), at the cost of recomputing earlier cells — ZeroTIR's MULTITURN_CODE_MERGE, minus the repeated
 * output. Only cells that ran cleanly are replayed, so one failing cell does not poison every later one.
 */

/** A Python string literal for `s`: JSON escapes (\", \\, \n, \uXXXX) are all valid Python escapes. */
function pyLiteral(s: string): string {
  return JSON.stringify(s);
}

export function statefulProgram(previous: readonly string[], code: string): string {
  if (previous.length === 0) return code;
  const cells = previous.map((cell, i) => `    exec(compile(${pyLiteral(cell)}, "<cell ${i + 1}>", "exec"))`);
  return [
    "import io as __still_io, sys as __still_sys",
    "__still_saved = (__still_sys.stdout, __still_sys.stderr)",
    "__still_sys.stdout = __still_sys.stderr = __still_io.StringIO()",
    "try:",
    ...cells,
    "finally:",
    "    __still_sys.stdout, __still_sys.stderr = __still_saved",
    `exec(compile(${pyLiteral(code)}, "<cell ${previous.length + 1}>", "exec"))`,
    "",
  ].join("\n");
}
