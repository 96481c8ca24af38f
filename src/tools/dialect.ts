/**
 * Tool-call dialects: how a model marks code to run and how the interpreter's output is written back into its
 * context. Each one reproduces the bytes of an upstream harness, so a model trained on that harness's data sees
 * exactly what it saw there. Pure functions only; the engine-driving loop is in rollout.ts.
 *
 * Our engines keep the stop string in the generated text (vLLM harnesses drop it and re-append it), so `stop`
 * is what generation halts on and `formatOutput` is what comes *after* it. Upstream sources (see
 * shared/reference/anchors/openrlhf-tir.md, B3/B4/C):
 * - still_harness: RUCAIBox/Slow_Thinking_with_LLMs STILL-3-TOOL/evaluation/run_eval_tool.py — stop "```\n\n",
 *   then `"```\n\n" + "```Output\n" + excu_content + "```\n\n"` (no newline between the output and its fence).
 * - still: STILL-3-Tool's prompt marker ("between '```output' and '```'", config/prompt_template.json) in the
 *   layout of its SFT-data synthesis (data_synthesis/coding_by_thinking.py:
 *   `'\n```\n\n```Output\n' + excu_content + '\n```\n\n'`).
 * - qwen (= ToRL): QwenLM/Qwen2.5-Math evaluation/math_eval.py stops on "```output" and appends
 *   `f"\n```output\n{exec_result}\n```\n"` after rstrip; GAIR-NLP/ToRL appends `'```output' + '\n' + obs +
 *   '\n```\n'` after a newline. Both give "```\n```output\n{out}\n```\n" after the code block.
 * - retool: ReTool-RL/ReTool evaluation/eval.py stops on "</code>" and appends
 *   `"</code>\n" + "<interpreter>\n" + excu_content + "</interpreter>\n\n"`.
 */

/**
 * Where a response's calls and outputs are, for counting them in finished text (the tool-use reward);
 * compared case-insensitively (STILL's harness writes "```Output").
 */
export interface ToolFences {
  code: string;
  output: string;
  outputEnd: string;
}

export interface ToolDialectSpec {
  name: string;
  /** Stop strings that end a tool call (the engine keeps them in the generated text). */
  stop: string[];
  /**
   * The code of the tool call that `text` ends with, or null when the text does not end with a completed
   * call. `text` is the response so far; it may run a few characters past the stop string when the stop
   * string ended inside a token.
   */
  parseCall(text: string): string | null;
  /** The bytes of a call running `code` as the model writes it, ending with a stop string (for SFT traces). */
  formatCall(code: string): string;
  /** The text appended after the stop string for the interpreter output `content`. */
  formatOutput(content: string): string;
  /** Model-facing output length (characters) of the upstream harness. */
  maxOutputChars: number;
  /** ToRL cuts at `len >= limit`; the STILL/Qwen executor at `len > limit`. */
  truncateAtLimit: boolean;
  fences: ToolFences;
}

const PY_OPEN = "```python";
const FENCE = "```";
/** How far past the stop string a token may reach and the call still count as ending the text. */
const OVERSHOOT = 8;

/** Python's `str.strip()`: the whitespace set differs from JS `trim()` (\x1c-\x1f, \x85 vs \ufeff). */
const PY_WS =
  "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "g");
const PY_RSTRIP = new RegExp(`[${PY_WS}]+$`);

export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, "");
}

export function pyRstrip(s: string): string {
  return s.replace(PY_RSTRIP, "");
}

/** The text before the last `stop` if that occurrence ends within OVERSHOOT chars of the end of `text`. */
function beforeFinalStop(text: string, stop: string): string | null {
  const at = text.lastIndexOf(stop);
  if (at < 0 || text.length - (at + stop.length) > OVERSHOOT) return null;
  return text.slice(0, at);
}

/**
 * `body` ends just before a closing fence: the code of the python block it closes, or null when the last
 * fence before it is not a ```python opener (another language, or an output block).
 */
function openPythonBlock(body: string): string | null {
  const lastFence = body.lastIndexOf(FENCE);
  if (lastFence < 0 || !body.startsWith(PY_OPEN, lastFence)) return null;
  return pyStrip(body.slice(lastFence + PY_OPEN.length));
}

const pythonBlock = (code: string) => `${PY_OPEN}\n${code}\n${FENCE}`;
const MARKDOWN_FENCES: ToolFences = { code: PY_OPEN, output: "```output", outputEnd: FENCE };

function stillParse(text: string): string | null {
  const body = beforeFinalStop(text, "```\n\n");
  return body === null ? null : openPythonBlock(body);
}

const QWEN: ToolDialectSpec = {
  name: "qwen",
  stop: ["```output"],
  parseCall: qwenParse,
  formatCall: (code) => `${pythonBlock(code)}\n\`\`\`output`,
  formatOutput: (content) => `\n${content}\n\`\`\`\n`,
  maxOutputChars: 400,
  truncateAtLimit: false,
  fences: MARKDOWN_FENCES,
};

export const DIALECTS = {
  still: {
    name: "still",
    stop: ["```\n\n"],
    parseCall: stillParse,
    formatCall: (code) => `${pythonBlock(code)}\n\n`,
    formatOutput: (content) => `\`\`\`output\n${content}\n\`\`\`\n\n`,
    maxOutputChars: 400,
    truncateAtLimit: false,
    fences: MARKDOWN_FENCES,
  },
  still_harness: {
    name: "still_harness",
    stop: ["```\n\n"],
    parseCall: stillParse,
    formatCall: (code) => `${pythonBlock(code)}\n\n`,
    formatOutput: (content) => `\`\`\`Output\n${content}\`\`\`\n\n`,
    maxOutputChars: 400,
    truncateAtLimit: false,
    fences: MARKDOWN_FENCES,
  },
  qwen: QWEN,
  // ToRL: Qwen's bytes, output cut as `observation[:128]+"..."+observation[-128:]`.
  torl: { ...QWEN, name: "torl", maxOutputChars: 256, truncateAtLimit: true },
  retool: {
    name: "retool",
    stop: ["</code>"],
    parseCall: retoolParse,
    formatCall: (code) => `<code>\n${pythonBlock(code)}\n</code>`,
    formatOutput: (content) => `\n<interpreter>\n${content}</interpreter>\n\n`,
    maxOutputChars: 400,
    truncateAtLimit: false,
    fences: { code: "<code>", output: "<interpreter>", outputEnd: "</interpreter>" },
  },
  /**
   * hermes: the JSON tool calls of Qwen2.5's chat template (veRL's tool agent loop parses them with its
   * HermesToolParser), with one `code_interpreter` tool. The model writes `<tool_call>\n{"name": …,
   * "arguments": {"code": …}}\n</tool_call>` (json.dumps spacing, as the template's `tojson`) and ends its turn;
   * the output comes back as the template's tool turn, and the assistant turn reopens.
   */
  hermes: {
    name: "hermes",
    stop: ["</tool_call>"],
    parseCall: hermesParse,
    formatCall: (code) =>
      `<tool_call>\n{"name": "code_interpreter", "arguments": {"code": ${JSON.stringify(code)}}}\n</tool_call>`,
    formatOutput: (content) =>
      `<|im_end|>\n<|im_start|>user\n<tool_response>\n${content}\n</tool_response><|im_end|>\n<|im_start|>assistant\n`,
    // veRL's rollout default `max_tool_response_length`.
    maxOutputChars: 256,
    truncateAtLimit: false,
    fences: { code: "<tool_call>", output: "<tool_response>", outputEnd: "</tool_response>" },
  },
} satisfies Record<string, ToolDialectSpec>;

export type DialectName = keyof typeof DIALECTS;

/** The dialect names, the list a config chooses from. */
export const DIALECT_NAMES = Object.keys(DIALECTS) as [DialectName, ...DialectName[]];

/** Qwen/ToRL: the model closes its ```python block and itself opens "```output", where generation stops. */
function qwenParse(text: string): string | null {
  const body = beforeFinalStop(text, "```output");
  if (body === null) return null;
  const closed = pyRstrip(body);
  if (!closed.endsWith(FENCE)) return null;
  return openPythonBlock(closed.slice(0, -FENCE.length));
}

/** ReTool: `<code>\n```python\n...\n```\n</code>`; upstream takes `split("```python")[-1].replace("```", "")`. */
function retoolParse(text: string): string | null {
  const body = beforeFinalStop(text, "</code>");
  if (body === null) return null;
  const open = body.lastIndexOf("<code>");
  if (open < 0 || body.indexOf("</code>", open) >= 0) return null;
  const py = body.lastIndexOf(PY_OPEN);
  if (py < open) return null;
  return pyStrip(body.slice(py + PY_OPEN.length).replaceAll(FENCE, ""));
}

/** Hermes: the `code` argument of a `code_interpreter` call; anything else (bad JSON, another tool) is no call. */
function hermesParse(text: string): string | null {
  const body = beforeFinalStop(text, "</tool_call>");
  if (body === null) return null;
  const open = body.lastIndexOf("<tool_call>");
  if (open < 0) return null;
  try {
    const call = JSON.parse(body.slice(open + "<tool_call>".length));
    const code = call?.name === "code_interpreter" ? call.arguments?.code : undefined;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

export function getDialect(name: string): ToolDialectSpec {
  const dialect = (DIALECTS as Record<string, ToolDialectSpec | undefined>)[name];
  if (!dialect) {
    throw new Error(`unknown tool dialect "${name}" (known: ${Object.keys(DIALECTS).join(", ")})`);
  }
  return dialect;
}
