import { readFile } from "node:fs/promises";
import { UserError } from "../util/errors.js";
import { JsonlError, jsonlLines, parseJsonlLine } from "../util/jsonl.js";
import type { RewardPlan } from "./plan.js";
import { RecordError, recordWithScore, sampleFromRecord } from "./records.js";
import { RewardScorer } from "./scorer.js";
import type { RewardSample } from "./types.js";

/**
 * `still reward test`: score a JSONL file with a run config's rewards, one output line per input line, so a
 * user can unit-test a reward before spending GPU time. Every bad line is reported (file:line and the field)
 * before anything is scored.
 */
export async function testRewards(plan: RewardPlan, inputFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(inputFile, "utf8");
  } catch (err) {
    throw new UserError(`cannot read ${inputFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const records: Record<string, unknown>[] = [];
  const samples: RewardSample[] = [];
  const problems: string[] = [];
  for (const { line, text: t } of jsonlLines(text)) {
    try {
      const value = parseJsonlLine(t, inputFile, line);
      samples.push(sampleFromRecord(value));
      records.push(value as Record<string, unknown>);
    } catch (err) {
      if (err instanceof JsonlError) problems.push(err.message);
      else if (err instanceof RecordError) problems.push(`${inputFile}:${line}: ${err.message}`);
      else throw err;
    }
  }
  if (problems.length > 0) throw new UserError(problems.join("\n"));
  if (samples.length === 0)
    throw new UserError(`${inputFile}: no samples (expected one JSON object per line)`);

  let scorer: RewardScorer;
  try {
    scorer = await RewardScorer.start(plan, { threads: Math.min(2, Math.ceil(samples.length / 64)) });
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  try {
    const scored = await scorer.score(samples);
    return scored.map((s, i) => JSON.stringify(recordWithScore(records[i]!, s)));
  } finally {
    await scorer.close();
  }
}
