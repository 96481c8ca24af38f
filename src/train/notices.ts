import type { RunConfig } from "../config/index.js";

/**
 * What the driver loop will do differently from what the config literally asks, worked out from the config
 * and the data that survived loading. `still train` prints each line once, before the first step, so a cap is
 * never silent (e.g. `total_steps: 30` ending after 8 steps because one epoch is over).
 */

export interface RunFacts {
  /** Training questions after max_samples and the prompt-length filter. */
  questions: number;
  /** RL steps the loop will run. */
  totalSteps: number;
}

export function runNotices(c: RunConfig, facts: RunFacts): string[] {
  const a = c.algorithm;
  const { questions, totalSteps } = facts;
  const out: string[] = [];
  if (a.total_steps !== null && totalSteps < a.total_steps) {
    out.push(
      questions === 0
        ? `algorithm.total_steps: ${a.total_steps} asked, 0 steps run: no training question is left`
        : `algorithm.total_steps: ${a.total_steps} asked, ${totalSteps} run: algorithm.total_epochs: ${a.total_epochs} ` +
            `over ${questions} questions at train_batch_size ${a.train_batch_size} ends first (raise total_epochs to run them all)`,
    );
  }
  if (totalSteps === 0) return out;
  if (questions < a.train_batch_size) {
    out.push(
      `algorithm.train_batch_size: ${a.train_batch_size} is more than the ${questions} training questions: each batch repeats questions`,
    );
  }
  const warmup = a.lr_schedule.warmup_steps;
  if (warmup > totalSteps) {
    out.push(
      `algorithm.lr_schedule.warmup_steps: ${warmup} is longer than the run (${totalSteps} steps): the lr never reaches algorithm.lr (${a.lr})`,
    );
  }
  if (a.kl.mode === "cosine" && a.kl.steps > totalSteps) {
    out.push(
      `algorithm.kl.steps: ${a.kl.steps} is longer than the run (${totalSteps} steps): the KL coefficient stops short of ${a.kl.to}`,
    );
  }
  c.context_stages.forEach((stage, i) => {
    const starts = i === 0 ? 1 : c.context_stages[i - 1]!.until_step!;
    if (starts > totalSteps) {
      out.push(
        `context_stages[${i}] (max_response_length ${stage.max_response_length}) starts at step ${starts}, after the run's last step (${totalSteps}): never used`,
      );
    }
  });
  const reset = a.reference_reset_every;
  if (reset !== null && reset >= totalSteps) {
    out.push(
      `algorithm.reference_reset_every: ${reset}: the reference model is ${reset === totalSteps ? "reset only after the last step" : "never reset"} in ${totalSteps} steps`,
    );
  }
  const every = c.eval.every_steps;
  if (every !== null && every > totalSteps) {
    out.push(`eval.every_steps: ${every} is past the run's ${totalSteps} steps: evaluated at the end only`);
  }
  return out;
}
