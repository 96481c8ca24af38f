import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { appendJsonl, readJsonl, writeJsonl } from "../util/jsonl.js";

/**
 * `DIR/samples/`: rollouts to read what the model does. `train.jsonl` gets a few rollouts per step,
 * `eval.jsonl` a few greedy held-out answers per evaluation; each row carries its step.
 */
export class SampleWriter {
  constructor(readonly dir: string) {}

  private append(file: string, rows: object[]): void {
    if (rows.length === 0) return;
    mkdirSync(this.dir, { recursive: true });
    appendJsonl(path.join(this.dir, file), rows);
  }

  write(step: number, rows: object[]): void {
    this.append(
      "train.jsonl",
      rows.map((r) => ({ step, ...r })),
    );
  }

  writeEval(step: number, rows: object[]): void {
    this.append(
      "eval.jsonl",
      rows.map((r) => ({ step, ...r })),
    );
  }

  /** Drops rows after `step` (a resumed run writes them again). */
  truncate(step: number): void {
    for (const file of ["train.jsonl", "eval.jsonl"]) {
      const p = path.join(this.dir, file);
      if (!existsSync(p)) continue;
      const kept = readJsonl<{ step: number }>(p).filter((l) => l.value.step <= step);
      writeJsonl(
        p,
        kept.map((l) => l.value),
      );
    }
  }
}
