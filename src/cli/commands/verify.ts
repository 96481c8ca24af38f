import { createReadStream, createWriteStream, type Stats, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../util/errors.js";
import { ioReason } from "../../util/io.js";
import { VerifierPool } from "../../verify/pool.js";
import type { VerifyOptions } from "../../verify/types.js";
import { verify } from "../../verify/verify.js";
import { defineCommand } from "../command.js";
import { numberOption } from "../numbers.js";

/** Below this many lines, worker start-up costs more than it saves. */
const INLINE_LINES = 256;

interface Row {
  record: Record<string, unknown>;
  gold: string;
  pred: string;
}

export const verifyCommand = defineCommand({
  command: "verify",
  describe: "Grade answers against gold answers (one pair, or a JSONL file of {gold, pred})",
  builder: (y) =>
    y
      .option("gold", { type: "string", describe: "gold answer (with --pred)" })
      .option("pred", { type: "string", describe: "model response or bare answer (with --gold)" })
      .option("input", { type: "string", describe: "JSONL file, one {gold, pred, ...} per line" })
      .option("output", { type: "string", describe: "where to write the graded JSONL (default: stdout)" })
      .option("format", {
        choices: ["boxed", "answer-tag"] as const,
        default: "boxed" as const,
        describe: "where the answer is",
      })
      .option("fallback", {
        type: "boolean",
        default: false,
        describe: "evaluation fallbacks when there is no box",
      })
      .option("percent", { choices: ["loose", "strict"] as const, default: "loose" as const })
      .option("degrees", { choices: ["loose", "strict"] as const, default: "loose" as const })
      .option(
        "threads",
        numberOption("threads", {
          integer: true,
          min: 1,
          max: 1024,
          describe: "worker threads for --input (default: all cores)",
        }),
      )
      .check((a) => {
        if (a.input !== undefined && (a.gold !== undefined || a.pred !== undefined)) {
          throw new UserError("use either --gold/--pred or --input, not both");
        }
        if (a.input === undefined && (a.gold === undefined || a.pred === undefined)) {
          throw new UserError("give --gold and --pred, or --input FILE.jsonl");
        }
        if (a.output !== undefined && a.input === undefined) throw new UserError("--output needs --input");
        return true;
      })
      .example("$0 verify --gold '\\frac12' --pred 'so \\boxed{0.5}'", "grade one response")
      .example("$0 verify --input preds.jsonl --output graded.jsonl", "grade a file; summary on stderr"),
  run: async (args) => {
    // A pred without a box is a bare answer here: files often hold answers already extracted.
    const options: VerifyOptions = {
      format: args.format,
      fallback: args.fallback,
      percent: args.percent,
      degrees: args.degrees,
      bareAnswer: !args.fallback,
    };
    if (args.input === undefined) {
      process.stdout.write(`${JSON.stringify(verify(args.gold!, args.pred!, options))}\n`);
      return 0;
    }
    const rows = await readRows(args.input);
    const started = performance.now();
    const items = rows.map((r) => ({ gold: r.gold, response: r.pred, options }));
    let results: ReturnType<typeof verify>[];
    if (rows.length < INLINE_LINES) results = items.map((it) => verify(it.gold, it.response, it.options));
    else {
      const pool = new VerifierPool(args.threads === undefined ? {} : { threads: args.threads });
      try {
        results = await pool.verifyMany(items);
      } finally {
        await pool.close();
      }
    }
    const lines = rows.map((row, i) => {
      const r = results[i]!;
      return `${JSON.stringify({ ...row.record, correct: r.correct, extracted: r.extracted })}\n`;
    });
    if (args.output === undefined) for (const line of lines) process.stdout.write(line);
    else await writeLines(args.output, lines);
    const correct = results.filter((r) => r.correct).length;
    const none = results.filter((r) => r.extracted === null).length;
    const secs = (performance.now() - started) / 1000;
    const pct = rows.length ? ((100 * correct) / rows.length).toFixed(1) : "0.0";
    process.stderr.write(
      `verified ${rows.length} lines: ${correct} correct (${pct}%), ${none} without an answer, in ${secs.toFixed(2)} s\n`,
    );
    return 0;
  },
});

/** Write every line to `file`; a failed open or write (a full disk, a directory) is a one-line UserError. */
async function writeLines(file: string, lines: string[]): Promise<void> {
  try {
    await pipeline(Readable.from(lines), createWriteStream(file));
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${ioReason(err)}`);
  }
}

/** Reads and checks every line before grading any, so a bad line fails fast and names itself. */
async function readRows(file: string): Promise<Row[]> {
  let kind: Stats;
  try {
    kind = statSync(file);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${ioReason(err)}`);
  }
  // A pipe (`--input /dev/stdin`) is fine; a directory or a device is not a JSONL file.
  if (!kind.isFile() && !kind.isFIFO()) {
    throw new UserError(
      `cannot read ${file}: ${kind.isDirectory() ? "it is a directory" : "not a regular file"}`,
    );
  }
  try {
    return await parseRows(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${file}: ${ioReason(err)}`);
  }
}

async function parseRows(file: string): Promise<Row[]> {
  const rows: Row[] = [];
  const stream = createReadStream(file, { encoding: "utf8" });
  let n = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    n++;
    if (line.trim() === "") continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new UserError(`${file}:${n}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new UserError(`${file}:${n}: expected a JSON object with "gold" and "pred"`);
    }
    const rec = record as Record<string, unknown>;
    for (const key of ["gold", "pred"] as const) {
      if (typeof rec[key] !== "string") {
        throw new UserError(
          `${file}:${n}: "${key}" must be a string (got ${rec[key] === undefined ? "nothing" : typeof rec[key]})`,
        );
      }
    }
    rows.push({ record: rec, gold: rec.gold as string, pred: rec.pred as string });
  }
  return rows;
}
