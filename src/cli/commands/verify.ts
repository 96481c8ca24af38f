import { createWriteStream, type Stats, statSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../util/errors.js";
import { ioReason } from "../../util/io.js";
import { streamJsonl } from "../../util/jsonl.js";
import { DEFAULT_POLICY, POLICY_SUMMARY } from "../../verify/policy.js";
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
      .option("pred", { type: "string", describe: "model response (with --gold)" })
      .option("input", { type: "string", describe: "JSONL file, one {gold, pred, ...} per line" })
      .option("output", { type: "string", describe: "where to write the graded JSONL (default: stdout)" })
      .option("format", {
        choices: ["boxed", "answer-tag"] as const,
        default: DEFAULT_POLICY.format,
        describe: "where the answer is",
      })
      .option("boxes", {
        choices: ["last", "list"] as const,
        default: DEFAULT_POLICY.boxes,
        describe: "the last box, or the last box with the boxes adjacent to it",
      })
      .option("fallback", {
        type: "boolean",
        default: DEFAULT_POLICY.fallback,
        describe: "evaluation fallbacks when there is no box",
      })
      .option("bare", {
        type: "boolean",
        default: DEFAULT_POLICY.bareAnswer,
        describe: "without a box, the whole pred is the answer (answers already extracted)",
      })
      .option("percent", {
        choices: ["loose", "strict"] as const,
        default: DEFAULT_POLICY.percent,
        describe: "loose: 10\\% also matches 10 (MATH convention)",
      })
      .option("degrees", {
        choices: ["loose", "strict"] as const,
        default: DEFAULT_POLICY.degrees,
        describe: "loose: 90^\\circ also matches 90",
      })
      .option("rel-tol", { type: "number", default: DEFAULT_POLICY.relTol, describe: "relative tolerance" })
      .option("abs-tol", { type: "number", default: DEFAULT_POLICY.absTol, describe: "absolute tolerance" })
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
        for (const k of ["rel-tol", "abs-tol"] as const) {
          const v = a[k];
          if (!(Number.isFinite(v) && v >= 0)) throw new UserError(`--${k} must be a number >= 0 (got ${v})`);
        }
        return true;
      })
      .epilogue(POLICY_SUMMARY)
      .example("$0 verify --gold '\\frac12' --pred 'so \\boxed{0.5}'", "grade one response")
      .example("$0 verify --input preds.jsonl --output graded.jsonl", "grade a file; summary on stderr"),
  run: async (args) => {
    // Exactly the reward's options unless a flag says otherwise: the CLI is a faithful preview of the reward.
    const options: VerifyOptions = {
      format: args.format,
      boxes: args.boxes,
      fallback: args.fallback,
      bareAnswer: args.bare,
      percent: args.percent,
      degrees: args.degrees,
      relTol: args["rel-tol"],
      absTol: args["abs-tol"],
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
      return `${JSON.stringify({ ...row.record, correct: r.correct, extracted: r.extracted, reason: r.reason })}\n`;
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
  for await (const { line: n, value: rec } of streamJsonl<Record<string, unknown>>(file, { objects: true })) {
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
