import { writeFileSync } from "node:fs";
import { OUTPUT_FORMATS } from "../../data/formats.js";
import { formatPrepareReport, prepareData } from "../../data/prepare.js";
import { prepareOptions, readPrepareConfig } from "../../data/prepare-config.js";
import { hasCodeBlock, injectToolCall, STILL_CODE_PREFIXES, STILL_KEYWORDS } from "../../tools/synthesis.js";
import { UserError } from "../../util/errors.js";
import { writeOutputFile } from "../../util/io.js";
import { readJsonl, toJsonl } from "../../util/jsonl.js";
import { mulberry32 } from "../../util/rng.js";
import { verify } from "../../verify/index.js";
import { defineCommand } from "../command.js";
import { numberOption } from "../numbers.js";

type JsonRecord = Record<string, unknown>;

function readRecords(file: string): JsonRecord[] {
  return readJsonl<JsonRecord>(file, { objects: true }).map((l) => l.value);
}

function field(record: JsonRecord, key: string, where: string): string {
  const value = record[key];
  if (typeof value !== "string") throw new UserError(`${where}: field "${key}" must be a string`);
  return value;
}

const injectToolsCommand = defineCommand({
  command: "inject-tools",
  describe:
    "Cut each long chain of thought at a random turn (Wait/But/Alternatively/Hmm/Moreover/Furthermore) and " +
    "append a code-announcing sentence and an opening ```python fence: continuation requests for tool-data synthesis",
  builder: (y) =>
    y
      .option("input", { type: "string", demandOption: true, describe: "JSONL with the chains of thought" })
      .option("output", { type: "string", demandOption: true, describe: "JSONL of continuation requests" })
      .option("response-key", { type: "string", default: "response", describe: "field with the long CoT" })
      .option("prefix", {
        type: "string",
        array: true,
        describe: "sentence(s) to announce the code (default: STILL's 14)",
      })
      .option("keyword", { type: "string", array: true, describe: "split words (default: STILL's 6)" })
      .option("seed", {
        ...numberOption("seed", { integer: true, min: 0, max: 2 ** 32 - 1, describe: "random seed" }),
        default: 0,
      })
      .example(
        "$0 data inject-tools --input cots.jsonl --output requests.jsonl",
        "adds `continuation` to each record",
      ),
  run: (args) => {
    const records = readRecords(args.input);
    const random = mulberry32(args.seed);
    const options = {
      keywords: args.keyword ?? STILL_KEYWORDS,
      prefixes: args.prefix ?? STILL_CODE_PREFIXES,
      random,
    };
    if (options.keywords.some((k) => k === "")) throw new UserError("--keyword must not be empty");
    if (options.prefixes.length === 0) throw new UserError("--prefix needs at least one sentence");
    const out: JsonRecord[] = [];
    records.forEach((record, i) => {
      const continuation = injectToolCall(field(record, args.responseKey, `${args.input}:${i + 1}`), options);
      if (continuation !== null) out.push({ ...record, continuation });
    });
    writeOutputFile(args.output, toJsonl(out));
    process.stderr.write(`${out.length} of ${records.length} records cut (the rest have under 5 pieces)\n`);
    return 0;
  },
});

const filterToolsCommand = defineCommand({
  command: "filter-tools",
  describe:
    "Keep a response only if it contains a ```python block and its answer verifies against the gold one",
  builder: (y) =>
    y
      .option("input", { type: "string", demandOption: true, describe: "JSONL of responses" })
      .option("output", { type: "string", demandOption: true, describe: "JSONL of the kept records" })
      .option("response-key", { type: "string", default: "response", describe: "field with the response" })
      .option("answer-key", { type: "string", default: "answer", describe: "field with the gold answer" })
      .example(
        "$0 data filter-tools --input continued.jsonl --output tool-sft.jsonl",
        "keep verified responses that use code",
      ),
  run: (args) => {
    const records = readRecords(args.input);
    const kept = records.filter((record, i) => {
      const where = `${args.input}:${i + 1}`;
      const response = field(record, args.responseKey, where);
      const gold = field(record, args.answerKey, where);
      return hasCodeBlock(response) && verify(gold, response).correct;
    });
    writeOutputFile(args.output, toJsonl(kept));
    process.stderr.write(`kept ${kept.length} of ${records.length}\n`);
    return 0;
  },
});

const prepareCommand = defineCommand({
  command: "prepare [config]",
  describe:
    "Curate an RL training set: the report's filters (multiple choice, proofs, multi-part, open-ended, " +
    "unparseable answers), exact and near-duplicate removal, benchmark decontamination, optional difficulty " +
    "filter; writes veRL Parquet, OpenRLHF JSONL or still-rl JSONL and a report of every removal",
  builder: (y) =>
    y
      .positional("config", { type: "string", describe: "YAML with the options below (flags override it)" })
      .option("input", {
        type: "string",
        array: true,
        describe: "JSONL, Parquet or a Hugging Face datasets folder",
      })
      .option("output", { type: "string", describe: "output file (.parquet: Parquet, else JSONL)" })
      .option("format", { choices: OUTPUT_FORMATS, describe: "row shape (default verl)" })
      .option("split", { type: "string", describe: "split of a datasets folder (default train)" })
      .option("prompt-key", { type: "string", describe: "question field (default problem)" })
      .option("answer-key", { type: "string", describe: "answer field (default answer)" })
      .option("source-key", { type: "string", describe: "data source field (default data_source)" })
      .option("report", { type: "string", describe: "report JSON (default OUTPUT.report.json)" })
      .example("$0 data prepare --input raw.jsonl --output train.parquet", "veRL Parquet with every filter")
      .example("$0 data prepare prepare.yaml", "options from a file (docs/data.md has one)"),
  run: async (args) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const config = readPrepareConfig(args.config, {
      input: args.input,
      output: args.output,
      format: args.format,
      split: args.split,
      prompt_key: args.promptKey,
      answer_key: args.answerKey,
      source_key: args.sourceKey,
    });
    const report = await prepareData(prepareOptions(config, log));
    const reportFile = args.report ?? `${report.output}.report.json`;
    writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${formatPrepareReport(report)}\nreport: ${reportFile}\n`);
    return 0;
  },
});

export const dataCommand = defineCommand({
  command: "data",
  describe: "Data preparation: curated RL training sets; tool-data synthesis for SFT (report §4.4)",
  builder: (y) =>
    y
      .example("$0 data prepare --input raw.jsonl --output train.parquet", "curate")
      .example("$0 data inject-tools --input cots.jsonl --output requests.jsonl", "cut CoTs"),
  subcommands: [prepareCommand, injectToolsCommand, filterToolsCommand],
});
