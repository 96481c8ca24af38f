/**
 * Evaluation progress: a bar with ETA redrawn in place on a terminal, a line every 10% otherwise (CI, pipes).
 */
import { formatDuration } from "../train/progress.js";

export interface EvalProgress {
  /** `done` of `total` samples, `fresh` of them generated in this process (the ETA is measured on those). */
  update(done: number, total: number, fresh: number): void;
  close(): void;
}

export function progressBar(out: NodeJS.WriteStream | null, now: () => number = Date.now): EvalProgress {
  const started = now();
  let lastDecile = -1;
  let drawn = false;
  return {
    update(done, total, fresh) {
      if (out === null) return;
      const share = total === 0 ? 1 : done / total;
      const elapsedS = (now() - started) / 1000;
      const eta = fresh === 0 ? Number.NaN : (elapsedS / fresh) * (total - done);
      const text = `${done}/${total} samples ${(100 * share).toFixed(0)}% ETA ${done === total ? "0s" : formatDuration(eta)}`;
      if (out.isTTY) {
        const width = 30;
        const filled = Math.round(share * width);
        out.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}\x1b[K`);
        drawn = true;
      } else {
        const decile = Math.floor(share * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          out.write(`eval: ${text}\n`);
        }
      }
    },
    close() {
      if (drawn) out?.write("\n");
    },
  };
}
