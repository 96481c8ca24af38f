import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import yargs, { type Argv } from "yargs";
import type { CliCommand } from "../../src/cli/command.js";
import { commands } from "../../src/cli/commands/index.js";
import { buildCli } from "../../src/cli/main.js";
import { runCli } from "../helpers/cli.js";

/**
 * Every command's --help: at least one example, runnable as written (it parses to that very command, the repo
 * files it names exist, and it is printed on one line), and a description for every option and positional.
 */

interface Recorded {
  examples: string[];
  /** Option and positional names without a description. */
  undescribed: string[];
}

/** Run a command's builder on a real yargs, recording its examples and options as it goes. */
// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
function record(c: CliCommand<any>): Recorded {
  const rec: Recorded = { examples: [], undescribed: [] };
  const target = yargs([]);
  const note = (name: string, opt: { describe?: string; description?: string; desc?: string }) => {
    const text = opt.describe ?? opt.description ?? opt.desc;
    if (typeof text !== "string" || text.trim() === "") rec.undescribed.push(name);
  };
  const proxy: Argv = new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "example") rec.examples.push(String(args[0]));
        if (prop === "option" || prop === "positional") note(String(args[0]), (args[1] ?? {}) as object);
        if (prop === "options") for (const [k, o] of Object.entries(args[0] as object)) note(k, o);
        const out = value.apply(t, args);
        return out === t ? proxy : out;
      };
    },
  });
  c.builder(proxy);
  return rec;
}

interface Walked {
  /** Words that select the command: ["config", "validate"]. */
  path: string[];
  // biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
  command: CliCommand<any>;
}

// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
function walk(list: CliCommand<any>[], prefix: string[] = []): Walked[] {
  return list.flatMap((c) => {
    const path = [...prefix, c.command.split(" ")[0]!];
    return [{ path, command: c }, ...walk(c.subcommands ?? [], path)];
  });
}

/** Shell words of an example (single and double quotes, as a POSIX shell reads them). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g;
  let word = "";
  let last = 0;
  let open = false;
  for (const m of line.matchAll(re)) {
    if (m.index > last && /\s/.test(line.slice(last, m.index)) && open) {
      words.push(word);
      word = "";
      open = false;
    }
    word += m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(["\\$`])/g, "$1") : m[3]!);
    open = true;
    last = m.index + m[0].length;
  }
  if (open) words.push(word);
  return words;
}

const all = walk(commands);
const leaves = all.filter((w) => w.command.run !== undefined);

describe("shellWords", () => {
  it.each([
    ["$0 a b", ["$0", "a", "b"]],
    ["$0 sandbox run --code 'print(2**100)'", ["$0", "sandbox", "run", "--code", "print(2**100)"]],
    ["$0 verify --gold '\\frac12'", ["$0", "verify", "--gold", "\\frac12"]],
    ['x "a b"c', ["x", "a bc"]],
  ])("%s", (line, words) => expect(shellWords(line)).toEqual(words));
});

describe("every command's --help", () => {
  it("walks every command and subcommand", () => {
    expect(all.map((w) => w.path.join(" "))).toEqual(
      expect.arrayContaining(["train", "config validate", "data filter-tools", "reward test", "verify"]),
    );
  });

  it.each(all.map((w) => [w.path.join(" "), w] as const))("%s has an example", (_, w) => {
    expect(record(w.command).examples.length).toBeGreaterThan(0);
  });

  it.each(all.map((w) => [w.path.join(" "), w] as const))("%s describes every option", (_, w) => {
    expect(record(w.command).undescribed).toEqual([]);
  });

  const examples = all.flatMap((w) => record(w.command).examples.map((e) => [w.path.join(" "), e] as const));

  it.each(examples)("%s: `%s` parses to a command and names existing repo files", async (_, example) => {
    const words = shellWords(example);
    expect(words[0]).toBe("$0");
    const argv = words.slice(1);
    let selected: string[] | null = null;
    await buildCli(argv, async (c) => {
      selected = walk(commands).find((w) => w.command === c)!.path;
    }).parseAsync();
    expect(selected).not.toBeNull();
    // The example selects a runnable command, not a group that would only print its usage.
    expect(leaves.some((w) => w.path.join(" ") === selected!.join(" "))).toBe(true);
    for (const word of argv) {
      if (/^(configs|data|docs|examples)\//.test(word)) expect(existsSync(word), word).toBe(true);
    }
  });

  describe("printed", () => {
    let exit: ReturnType<typeof vi.spyOn>;
    beforeAll(() => {
      // yargs ends the process after --help; vitest forbids that, so record the call instead.
      exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    });
    afterAll(() => exit.mockRestore());

    it.each(all.map((w) => [w.path.join(" "), w] as const))(
      "%s keeps each example on one line",
      async (_, w) => {
        const r = await runCli([...w.path, "--help"]);
        for (const example of record(w.command).examples) {
          const line = example.replace("$0", "still");
          // Printed as one shell line: the command, then its description as a comment.
          expect(
            r.stdout.split("\n").some((l) => l.includes(line)),
            `${line}\n${r.stdout}`,
          ).toBe(true);
        }
      },
    );
  });
});
