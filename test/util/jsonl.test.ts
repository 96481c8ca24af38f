import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  appendJsonl,
  JsonlError,
  jsonlLines,
  parseJsonl,
  readJsonl,
  streamJsonl,
  writeJsonl,
} from "../../src/util/jsonl.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-jsonl-"));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("JSONL", () => {
  it.each([
    ["plain lines", '{"a":1}\n{"a":2}\n', [1, 2]],
    ["blank lines keep their numbers", '\n{"a":1}\n  \n{"a":2}', [2, 4]],
    ["CRLF line ends", '{"a":1}\r\n{"a":2}\r\n', [1, 2]],
    ["a UTF-8 byte-order mark at the start", '\uFEFF{"a":1}\n{"a":2}\n', [1, 2]],
  ])("reads %s, with line numbers, whole and streamed", async (_, text, lines) => {
    const f = file(`ok${Math.random()}.jsonl`, text);
    const expected = lines.map((line, i) => ({ line, value: { a: i + 1 } }));
    expect(readJsonl(f)).toEqual(expected);
    expect(await collect(streamJsonl(f))).toEqual(expected);
  });

  it.each([
    ["a bad line", '{"a":1}\n{oops\n', { objects: false }, ":2: not valid JSON ("],
    ["a BOM that is not at the start", '{"a":1}\n\uFEFF{"a":2}\n', { objects: false }, ":2: not valid JSON"],
    [
      "a non-object where objects are required",
      '{"a":1}\n\n[1]\n',
      { objects: true },
      ":3: expected a JSON object",
    ],
  ])("names the line of %s", async (_, text, opts, message) => {
    const f = file(`bad${Math.random()}.jsonl`, text);
    expect(() => readJsonl(f, opts)).toThrow(`${f}${message}`);
    await expect(collect(streamJsonl(f, opts))).rejects.toThrow(`${f}${message}`);
    expect(() => readJsonl(f, opts)).toThrow(JsonlError);
  });

  it("says a file cannot be read, what it is, and why", async () => {
    const missing = path.join(dir, "missing.jsonl");
    expect(() => readJsonl(missing, { what: "data file" })).toThrow(
      `cannot read data file ${missing}: ENOENT`,
    );
    await expect(collect(streamJsonl(missing))).rejects.toThrow(`cannot read ${missing}: ENOENT`);
    const folder = path.join(dir, "a-folder");
    mkdirSync(folder);
    await expect(collect(streamJsonl(folder))).rejects.toThrow(`cannot read ${folder}: EISDIR`);
  });

  it("streams a large file without reading it whole", async () => {
    const n = 50_000;
    const f = file("big.jsonl", Array.from({ length: n }, (_, i) => JSON.stringify({ i })).join("\n"));
    let count = 0;
    let last = -1;
    for await (const { line, value } of streamJsonl<{ i: number }>(f)) {
      count++;
      last = value.i;
      expect(line).toBe(value.i + 1);
    }
    expect([count, last]).toEqual([n, n - 1]);
  });

  it("writes what it reads back, and appends", () => {
    const f = path.join(dir, "out.jsonl");
    writeJsonl(f, [{ a: "x\ny" }, [1, 2]]);
    appendJsonl(f, [{ b: null }]);
    appendJsonl(f, []);
    expect(readFileSync(f, "utf8")).toBe('{"a":"x\\ny"}\n[1,2]\n{"b":null}\n');
    expect(parseJsonl(readFileSync(f, "utf8"), f).map((l) => l.value)).toEqual([
      { a: "x\ny" },
      [1, 2],
      { b: null },
    ]);
  });

  it("splits text into non-blank numbered lines", () => {
    expect([...jsonlLines("\uFEFFa\n\nb\n")]).toEqual([
      { line: 1, text: "a" },
      { line: 3, text: "b" },
    ]);
    expect([...jsonlLines("")]).toEqual([]);
  });
});
