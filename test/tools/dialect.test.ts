import { describe, expect, it } from "vitest";
import { toolsSchema } from "../../src/config/schema/tools.js";
import { toolStatsFromText } from "../../src/rewards/tool.js";
import { DIALECTS, type DialectName, getDialect, pyStrip } from "../../src/tools/dialect.js";

/**
 * Each row rebuilds the text an upstream harness produces around one tool call, from the exact expression it
 * uses (quoted), and checks that our generated-text-with-stop + formatOutput gives the same bytes.
 */
describe("dialect bytes match the upstream harnesses", () => {
  const code = "print(12*34)";
  const out = "408";
  it.each<[DialectName, string, string]>([
    [
      // run_eval_tool.py: pred excludes the stop "```\n\n"; then `"```\n\n" + "```Output\n" + excu_content + "```\n\n"`
      "still_harness",
      `\`\`\`python\n${code}\n\`\`\`\n\n`,
      // biome-ignore lint/style/useTemplate: spelled like the upstream expression
      `\`\`\`python\n${code}\n` + "```\n\n" + "```Output\n" + out + "```\n\n",
    ],
    [
      // coding_by_thinking.py: `preds[i] + '\n```\n\n```Output\n' + excu_content + '\n```\n\n'` from the fence on
      // (there the harness wrote the fence; here the model does), marker lowercased as in the prompt
      // ("share the results by placing them between '```output' and '```'").
      "still",
      `\`\`\`python\n${code}\n\`\`\`\n\n`,
      // biome-ignore lint/style/useTemplate: spelled like the upstream expression
      `\`\`\`python\n${code}\n` + "```\n\n```output\n" + out + "\n```\n\n",
    ],
    [
      // math_eval.py: stop "```output", `output.rstrip()`, then `f"\n```output\n{exec_result}\n```\n"`
      "qwen",
      `\`\`\`python\n${code}\n\`\`\`\n\`\`\`output`,
      `${pyStrip(`\`\`\`python\n${code}\n\`\`\`\n`)}\n\`\`\`output\n${out}\n\`\`\`\n`,
    ],
    [
      // ToRL: response + "\n" if it does not end with one, then OBS_START + "\n" + obs + OBS_END ('\n```\n')
      "torl",
      `\`\`\`python\n${code}\n\`\`\`\n\`\`\`output`,
      // biome-ignore lint/style/useTemplate: spelled like the upstream expression
      `\`\`\`python\n${code}\n\`\`\`\n` + "```output" + "\n" + out + "\n```\n",
    ],
    [
      // ReTool eval.py: stop "</code>"; `"</code>\n" + "<interpreter>\n" + excu_content + "</interpreter>\n\n"`
      "retool",
      `<code>\n\`\`\`python\n${code}\n\`\`\`\n</code>`,
      `<code>\n\`\`\`python\n${code}\n\`\`\`\n` +
        "</code>\n" +
        "<interpreter>\n" +
        out +
        "</interpreter>\n\n",
    ],
  ])("%s", (name, generated, upstream) => {
    const dialect = DIALECTS[name];
    expect(dialect.stop.some((s) => generated.endsWith(s))).toBe(true);
    expect(dialect.parseCall(generated)).toBe(code);
    expect(generated + dialect.formatOutput(out)).toBe(upstream);
  });
});

describe("parseCall", () => {
  it.each<[DialectName, string, string | null]>([
    // the last python block is the one executed
    ["still", "a\n```python\nx=1\n```\n\n```output\n\n```\n\nthen\n```python\nprint(2)\n```\n\n", "print(2)"],
    // multi-line code keeps its inner newlines and indentation, outer whitespace is stripped (Python .strip())
    ["still", "```python\n\nfor i in range(2):\n    print(i)\n\n```\n\n", "for i in range(2):\n    print(i)"],
    // a stop string that closes another language's block is not a call
    ["still", "```python\nx=1\n```\n\n```output\n1\n```\n\nsee\n```latex\nx\n```\n\n", null],
    ["still", "```text\nx\n```\n\n", null],
    // the stop string must be (about) at the end of the text: an older closed block is not a new call
    ["still", "```python\nprint(1)\n```\n\nand then a lot more prose without code", null],
    // a token may run a few characters past the stop string
    ["still", "```python\nprint(1)\n```\n\n\n", "print(1)"],
    ["still", "no code at all", null],
    ["still_harness", "```python\nprint('a')\n```\n\n", "print('a')"],
    // qwen/torl: the model writes the closing fence and the output opener itself; whitespace in between is free
    ["qwen", "```python\nprint(1)\n```\n\n```output", "print(1)"],
    ["qwen", "```python\nprint(1)\n``````output", "print(1)"],
    ["qwen", "text ```output", null],
    ["qwen", "```python\nprint(1)\n```\n```output\n1\n```\nmore ```output", null],
    ["torl", "```py\nprint(1)\n```\n```output", null],
    // retool: the python block sits inside <code>...</code>
    ["retool", "<code>\n```python\nprint(3)\n```\n</code>", "print(3)"],
    ["retool", "<code>\nprint(3)\n</code>", null],
    ["retool", "```python\nprint(3)\n```\n</code>", null],
    [
      "retool",
      "<code>\n```python\nx=1\n```\n</code>\n<interpreter>\n</interpreter>\n\n<code>\n```python\nprint(x)\n```\n</code>",
      "print(x)",
    ],
  ])("%s %j -> %j", (name, text, code) => {
    expect(DIALECTS[name].parseCall(text)).toBe(code);
  });
});

describe("pyStrip", () => {
  it.each([
    ["  a b \n", "a b"],
    ["\x1c\x1fa\x85", "a"],
    // U+FEFF is whitespace to JS trim() but not to Python's str.strip()
    ["\ufeffa\ufeff", "\ufeffa\ufeff"],
    ["\u3000a\u2028", "a"],
    ["", ""],
  ])("%j -> %j", (input, expected) => {
    expect(pyStrip(input)).toBe(expected);
  });
});

describe("getDialect", () => {
  it("names the known dialects when given an unknown one", () => {
    expect(() => getDialect("sglang")).toThrow(/unknown tool dialect "sglang".*still_harness/);
  });
});

describe("the dialect registry", () => {
  it.each(Object.keys(DIALECTS) as DialectName[])(
    "%s: a written call parses back and can be configured",
    (name) => {
      const d = DIALECTS[name];
      const call = d.formatCall("x = 1\nprint(x)");
      expect(d.stop.some((s) => call.endsWith(s))).toBe(true);
      expect(d.parseCall(call)).toBe("x = 1\nprint(x)");
      expect(toolsSchema.parse({ dialect: name }).dialect).toBe(name);
    },
  );

  it("the fences count the calls and failed outputs of a written trace", () => {
    for (const d of Object.values(DIALECTS)) {
      const trace = `${d.formatCall("1/0")}${d.formatOutput("ZeroDivisionError: division by zero")}`;
      expect(toolStatsFromText(trace, d.fences)).toEqual({ calls: 1, errors: 1 });
    }
  });
});

describe("hermes", () => {
  const hermes = DIALECTS.hermes;
  it("writes and reads Qwen2.5's tool-call JSON", () => {
    const call = hermes.formatCall('print("a\\tb")');
    expect(call).toBe(
      '<tool_call>\n{"name": "code_interpreter", "arguments": {"code": "print(\\"a\\\\tb\\")"}}\n</tool_call>',
    );
    expect(hermes.parseCall(`Let me compute.\n${call}`)).toBe('print("a\\tb")');
  });

  it.each([
    ["another tool", '<tool_call>\n{"name": "search", "arguments": {"code": "1"}}\n</tool_call>'],
    ["broken JSON", '<tool_call>\n{"name": "code_interpreter", "arguments": {"code": \n</tool_call>'],
    ["no opening tag", '{"name": "code_interpreter", "arguments": {"code": "1"}}\n</tool_call>'],
    ["not at the end", `${DIALECTS.hermes.formatCall("1")} and then some more text`],
  ])("%s is no call", (_, text) => {
    expect(hermes.parseCall(text)).toBeNull();
  });

  it("returns the output as the template's tool turn", () => {
    expect(hermes.formatOutput("408")).toBe(
      "<|im_end|>\n<|im_start|>user\n<tool_response>\n408\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
    );
  });
});
