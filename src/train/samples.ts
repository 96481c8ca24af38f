import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * `DIR/samples/`: rollouts to read what the model does. `train.jsonl` gets a few rollouts per step,
 * `eval.jsonl` a few greedy held-out answers per evaluation; each row carries its step.
 */
export class SampleWriter {
  constructor(readonly dir: string) {}

  private append(file: string, rows: object[]): void {
    if (rows.length === 0) return;
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(path.join(this.dir, file), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
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
      const kept = readFileSync(p, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && (JSON.parse(l) as { step: number }).step <= step);
      writeFileSync(p, kept.map((l) => `${l}\n`).join(""));
    }
  }
}
