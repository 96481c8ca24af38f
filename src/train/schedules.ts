import type { AlgorithmConfig, ContextStage, KlConfig, LrScheduleConfig } from "../config/index.js";

/**
 * Every per-step value of a run as a pure function of the step number (1-based), so a resumed run recomputes
 * exactly the values an uninterrupted one used and the schedules can be tested as tables.
 */

export interface StepSchedule {
  step: number;
  lr: number;
  klCoef: number;
  entropyCoef: number;
  /** Response token budget of the context stage the step falls in. */
  maxResponseLength: number;
  /** The reference model becomes the current policy after this step's update. */
  resetReference: boolean;
}

/** Cosine from 1 at progress 0 to 0 at progress 1 (clamped). */
function cosineDecay(progress: number): number {
  const p = Math.min(Math.max(progress, 0), 1);
  return 0.5 * (1 + Math.cos(Math.PI * p));
}

/** KL coefficient: 0 (none), `coef` (fixed), or cosine-annealed from `from` at step 1 to `to` at step `steps + 1`. */
export function klCoefAt(step: number, kl: KlConfig): number {
  switch (kl.mode) {
    case "none":
      return 0;
    case "fixed":
      return kl.coef;
    case "cosine":
      return kl.to + (kl.from - kl.to) * cosineDecay((step - 1) / kl.steps);
  }
}

/**
 * Learning rate: linear warm-up over `warmup_steps` (step 1 gets base/warmup), then constant or cosine
 * towards `min_lr_ratio × base` (the last step is one step short of the floor, as in veRL's scheduler).
 */
export function lrAt(step: number, base: number, schedule: LrScheduleConfig, totalSteps: number): number {
  const warmup = schedule.warmup_steps;
  if (step <= warmup) return (base * step) / warmup;
  if (schedule.type === "constant") return base;
  const span = Math.max(totalSteps - warmup, 1);
  const floor = schedule.min_lr_ratio;
  return base * (floor + (1 - floor) * cosineDecay((step - warmup - 1) / span));
}

/** The response budget at `step`: the first stage whose `until_step` is after it (the last stage has none). */
export function responseLengthAt(step: number, stages: readonly ContextStage[], fallback: number): number {
  for (const stage of stages) {
    if (stage.until_step === undefined || step < stage.until_step) return stage.max_response_length;
  }
  return fallback;
}

/** Reference reset after steps N, 2N, … (STILL-3-1.5B); never when `every` is null. */
export function referenceResetAt(step: number, every: number | null): boolean {
  return every !== null && step > 0 && step % every === 0;
}

/** Optimizer steps of the RL stage: `total_steps` or `total_epochs` passes over the data, whichever is first. */
export function totalRlSteps(algorithm: AlgorithmConfig, datasetSize: number): number {
  const byEpochs = Math.ceil((algorithm.total_epochs * datasetSize) / algorithm.train_batch_size);
  return algorithm.total_steps === null ? byEpochs : Math.min(algorithm.total_steps, byEpochs);
}

export interface ScheduleInputs {
  algorithm: AlgorithmConfig;
  contextStages: readonly ContextStage[];
  maxResponseLength: number;
  totalSteps: number;
}

export function scheduleAt(step: number, s: ScheduleInputs): StepSchedule {
  return {
    step,
    lr: lrAt(step, s.algorithm.lr, s.algorithm.lr_schedule, s.totalSteps),
    klCoef: klCoefAt(step, s.algorithm.kl),
    entropyCoef: s.algorithm.entropy_coef,
    maxResponseLength: responseLengthAt(step, s.contextStages, s.maxResponseLength),
    resetReference: referenceResetAt(step, s.algorithm.reference_reset_every),
  };
}
