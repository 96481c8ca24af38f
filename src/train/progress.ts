/**
 * Training progress for people: a bar redrawn in place on a terminal, plain log lines otherwise (CI, pipes,
 * files). The trainer reports events; how they look is decided here.
 */

export interface StepReport {
  stage: "sft" | "rl";
  step: number;
  total: number;
  /** Step the stage (re)started from in this process: the ETA is measured from there. */
  startStep: number;
  /** Seconds since the stage (re)started, for the ETA. */
  elapsedS: number;
  values: Record<string, number>;
}

export interface ProgressSink {
  step(report: StepReport): void;
  /** A message line (evaluation, checkpoint, stage change). */
  log(message: string): void;
  close(): void;
}

const SHOWN: [string, string][] = [
  ["reward", "reward"],
  ["acc", "accuracy"],
  ["len", "length"],
  ["loss", "loss"],
];

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

/** "sft 12/400" or "step 12/150" plus the shown values and ETA. */
export function describeStep(r: StepReport): string {
  const parts = [`${r.stage === "sft" ? "sft" : "step"} ${r.step}/${r.total}`];
  for (const [short, key] of SHOWN) {
    const v = r.values[key];
    if (v !== undefined) parts.push(`${short} ${fmt(v)}`);
  }
  const done = r.step - r.startStep;
  const eta = done > 0 ? (r.elapsedS / done) * (r.total - r.step) : Number.NaN;
  parts.push(`eta ${formatDuration(eta)}`);
  return parts.join("  ");
}

export function bar(fraction: number, width: number): string {
  const full = Math.round(Math.min(Math.max(fraction, 0), 1) * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

/** Plain lines, one per `every` steps (and the last). */
export function lineProgress(write: (line: string) => void, every = 1): ProgressSink {
  return {
    step(r) {
      if (r.step % every === 0 || r.step === r.total) write(describeStep(r));
    },
    log: write,
    close() {},
  };
}

/** A bar on one line of a terminal, rewritten in place; log messages scroll above it. */
export function ttyProgress(stream: NodeJS.WriteStream): ProgressSink {
  let current = "";
  const clear = () => {
    if (current) stream.write("\r\x1b[2K");
  };
  return {
    step(r) {
      clear();
      current = `${bar(r.step / r.total, 24)} ${describeStep(r)}`;
      const width = stream.columns ?? 120;
      stream.write(current.slice(0, width - 1));
    },
    log(message) {
      clear();
      stream.write(`${message}\n`);
      if (current) stream.write(current.slice(0, (stream.columns ?? 120) - 1));
    },
    close() {
      if (current) stream.write("\n");
      current = "";
    },
  };
}

export function autoProgress(stream: NodeJS.WriteStream, every = 1): ProgressSink {
  return stream.isTTY ? ttyProgress(stream) : lineProgress((l) => stream.write(`${l}\n`), every);
}
