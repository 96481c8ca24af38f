import { readFile } from "node:fs/promises";
import { UserError } from "../util/errors.js";
import { JsonlError, jsonlLines, parseJsonlLine } from "../util/jsonl.js";
import type { RewardPlan } from "./plan.js";
import { RecordError, recordWithScore, sampleFromRecord } from "./records.js";
import { RewardScorer, type ScoredSample } from "./scorer.js";
import { checkRewardTypes, describeTypeCheck, type RewardTypeCheck } from "./typecheck.js";
import type { RewardSample } from "./types.js";

/**
 * `still reward test`: score a JSONL file with a run config's rewards, one output line per input line, so a
 * user can unit-test a reward before spending GPU time. Every bad line is reported (file:line and the field)
 * before anything is scored; each user reward's first failure is reported with the sample's line and the stack
 * (the output lines only show the fallback and a `<name>.error` flag). User reward files in TypeScript are
 * type-checked while the samples are scored (src/rewards/typecheck.ts): TypeScript's diagnostics come first,
 * and the samples are scored anyway, so a type error and what it does at run time show side by side.
 */
export interface RewardTestResult {
  lines: string[];
  /** One paragraph per user reward that failed: where it failed first, the error and its stack. */
  failures: string[];
  /** The type check of the user reward files (absent when not asked for). */
  typeCheck?: RewardTypeCheck;
}

export interface RewardTestOptions {
  /** Type-check `.ts` user reward files alongside (default true). */
  typecheck?: boolean;
  /** Where the type check's lines go, before the scores (default: stderr). */
  log?: (line: string) => void;
}

export async function testRewards(
  plan: RewardPlan,
  inputFile: string,
  opts: RewardTestOptions = {},
): Promise<RewardTestResult> {
  let text: string;
  try {
    text = await readFile(inputFile, "utf8");
  } catch (err) {
    throw new UserError(`cannot read ${inputFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const records: Record<string, unknown>[] = [];
  const lineOf: number[] = [];
  const samples: RewardSample[] = [];
  const problems: string[] = [];
  for (const { line, text: t } of jsonlLines(text)) {
    try {
      const value = parseJsonlLine(t, inputFile, line);
      samples.push(sampleFromRecord(value));
      records.push(value as Record<string, unknown>);
      lineOf.push(line);
    } catch (err) {
      if (err instanceof JsonlError) problems.push(err.message);
      else if (err instanceof RecordError) problems.push(`${inputFile}:${line}: ${err.message}`);
      else throw err;
    }
  }
  if (problems.length > 0) throw new UserError(problems.join("\n"));
  if (samples.length === 0)
    throw new UserError(`${inputFile}: no samples (expected one JSON object per line)`);

  // The check runs in its own process while the rewards load and score: it adds only what it takes beyond them.
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const checking = opts.typecheck === false ? undefined : checkRewardTypes(plan.user.map((u) => u.path));
  const report = async (then: string) => {
    const check = await checking;
    if (check !== undefined) for (const line of describeTypeCheck(check, then)) log(line);
    return check;
  };

  let scorer: RewardScorer;
  try {
    scorer = await RewardScorer.start(plan, { threads: Math.min(2, Math.ceil(samples.length / 64)) });
  } catch (err) {
    await report("loading the rewards failed:");
    throw new UserError((err as Error).message);
  }
  try {
    const scored = await scorer.score(samples);
    const typeCheck = await report("scored the samples anyway");
    return {
      lines: scored.map((s, i) => JSON.stringify(recordWithScore(records[i]!, s))),
      failures: firstFailures(scored, inputFile, lineOf),
      ...(typeCheck && { typeCheck }),
    };
  } finally {
    await scorer.close();
  }
}

function firstFailures(scored: ScoredSample[], file: string, lineOf: number[]): string[] {
  const first = new Map<string, { text: string; flags: Set<string>; count: number }>();
  scored.forEach((s, i) => {
    for (const f of s.failures ?? []) {
      const seen = first.get(f.name);
      if (seen !== undefined) {
        seen.count++;
        seen.flags.add(`${f.name}.${f.kind}`);
        continue;
      }
      const what =
        f.kind === "timeout"
          ? `did not finish within the deadline (${f.message})`
          : `threw ${f.stack ?? f.message}`;
      first.set(f.name, {
        text: `reward ${f.name} on sample ${i + 1} (${file}:${lineOf[i]}) ${what}`,
        flags: new Set([`${f.name}.${f.kind}`]),
        count: 1,
      });
    }
  });
  return [...first].map(
    ([name, f]) =>
      `${f.text}\n  (${f.count} of ${scored.length} samples failed in ${name}: each got the fallback score, flagged ${[...f.flags].join(" or ")})`,
  );
}
