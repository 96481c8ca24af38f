/**
 * JSON Lines, read and written in one place: one JSON value per line, blank lines skipped, a UTF-8 byte-order
 * mark at the start of a file ignored (some editors write one), and every error naming `file:line`.
 * `streamJsonl` reads a file of any size line by line; `readJsonl` reads a small one whole.
 */
import { appendFileSync, createReadStream, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { UserError } from "./errors.js";

/** A parsed line and its 1-based number in the file. */
export interface JsonlLine<T = unknown> {
  line: number;
  value: T;
}

export interface JsonlOptions {
  /** Every line must be a JSON object (not an array, a string, null...). */
  objects?: boolean;
  /** What the file is, for "cannot read" errors: "cannot read data file x.jsonl: ..." (default "" ). */
  what?: string;
}

/** A line that is not usable JSON, or a file that cannot be read; the message starts with `file:line:`. */
export class JsonlError extends UserError {
  override name = "JsonlError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : reason);
  }
}

const BOM = "\uFEFF";

/** The non-blank lines of JSONL text with their 1-based numbers; a byte-order mark at the start is dropped. */
export function* jsonlLines(text: string): Generator<{ line: number; text: string }> {
  let start = text.startsWith(BOM) ? BOM.length : 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const t = text.slice(start, end);
    if (t.trim() !== "") yield { line, text: t };
    start = end + 1;
  }
}

/** Parse one line of `file`; throws a JsonlError naming it. */
export function parseJsonlLine(text: string, file: string, line: number, objects = false): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JsonlError(file, line, `not valid JSON (${(err as Error).message})`);
  }
  if (objects && (value === null || typeof value !== "object" || Array.isArray(value))) {
    throw new JsonlError(file, line, "expected a JSON object");
  }
  return value;
}

/** Parse JSONL text read from `file`; throws at the first bad line. */
export function parseJsonl<T = unknown>(text: string, file: string, opts: JsonlOptions = {}): JsonlLine<T>[] {
  const out: JsonlLine<T>[] = [];
  for (const { line, text: t } of jsonlLines(text)) {
    out.push({ line, value: parseJsonlLine(t, file, line, opts.objects) as T });
  }
  return out;
}

function cannotRead(file: string, err: unknown, opts: JsonlOptions): JsonlError {
  const what = opts.what ? `${opts.what} ` : "";
  return new JsonlError(file, 0, `cannot read ${what}${file}: ${(err as Error).message}`);
}

/** Read a small JSONL file whole. */
export function readJsonl<T = unknown>(file: string, opts: JsonlOptions = {}): JsonlLine<T>[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw cannotRead(file, err, opts);
  }
  return parseJsonl<T>(text, file, opts);
}

/** Read a JSONL file line by line, without holding it in memory; throws at the first bad line. */
export async function* streamJsonl<T = unknown>(
  file: string,
  opts: JsonlOptions = {},
): AsyncGenerator<JsonlLine<T>> {
  const stream = createReadStream(file, { encoding: "utf8" });
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) => reject(cannotRead(file, err, opts)));
  });
  let line = 0;
  try {
    for await (const raw of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      line++;
      const text = line === 1 && raw.startsWith(BOM) ? raw.slice(BOM.length) : raw;
      if (text.trim() === "") continue;
      yield { line, value: parseJsonlLine(text, file, line, opts.objects) as T };
    }
  } catch (err) {
    if (err instanceof JsonlError) throw err;
    throw cannotRead(file, err, opts);
  } finally {
    stream.destroy();
  }
}

/** Values as JSONL text, one line each. */
export function toJsonl(values: readonly unknown[]): string {
  let out = "";
  for (const v of values) out += `${JSON.stringify(v)}\n`;
  return out;
}

export function writeJsonl(file: string, values: readonly unknown[]): void {
  writeFileSync(file, toJsonl(values));
}

export function appendJsonl(file: string, values: readonly unknown[]): void {
  if (values.length > 0) appendFileSync(file, toJsonl(values));
}
