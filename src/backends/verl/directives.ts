import type { RunConfig } from "../../config/index.js";
import { type ScheduleInputs, scheduleAt } from "../../train/schedules.js";

/**
 * The per-step directive the `still3` trainer asks for (bridge request `still.directive`). How each part
 * reaches veRL 0.9.1:
 * - kl_coef, entropy_coef: in the running job; the trainer sends the actor workers a new `ppo_loss`
 *   (`set_loss_fn`) when they change.
 * - lr: compiled to `actor.optim` (lr, warm-up, cosine, min_lr_ratio); veRL's scheduler runs it (the workers
 *   take no per-step LR), the trainer logs `still/lr` next to veRL's `actor/lr`.
 * - max_response_length: checkpoint → relaunch (`rollout.response_length` sizes vLLM and the agent loop at
 *   launch); the directive of a stage's last step asks for it in `relaunch_after`.
 * - reset_reference: checkpoint → relaunch (the reference loads from `model.path` at launch): merge the
 *   checkpoint (`verl.model_merger`), relaunch with it as `model.path`, resuming actor and optimizer.
 */

export interface DirectiveRequest {
  /** veRL's `global_steps` (1-based), the step about to run. */
  step: number;
  /** veRL's `total_training_steps`: the LR cosine spans it, as veRL's own scheduler does. */
  total_steps: number;
  /** `data.max_response_length` the job was launched with. */
  response_length: number;
}

export interface Directive {
  step: number;
  /** Actor KL-loss coefficient (0 for kl.mode none); applied per step through `set_loss_fn`. */
  kl_coef: number;
  entropy_coef: number;
  /** LR of this step by the TS schedule; veRL's scheduler runs it, the trainer logs both. */
  lr: number;
  /** Response budget of this step's context stage. */
  max_response_length: number;
  /** The reference becomes the current policy after this step's update. */
  reset_reference: boolean;
  /** Non-empty: checkpoint after this step and relaunch, for these reasons. */
  relaunch_after: string[];
}

export class DirectiveError extends Error {
  override name = "DirectiveError";
}

export function scheduleInputs(config: RunConfig, totalSteps: number): ScheduleInputs {
  return {
    algorithm: config.algorithm,
    contextStages: config.context_stages,
    maxResponseLength: config.rollout.max_response_length,
    totalSteps,
  };
}

export function directiveFor(config: RunConfig, req: DirectiveRequest): Directive {
  const { step, total_steps: totalSteps, response_length: launched } = req;
  if (!(Number.isInteger(step) && step >= 1))
    throw new DirectiveError(`step must be a positive integer, got ${step}`);
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) {
    throw new DirectiveError(`total_steps must be a positive integer, got ${totalSteps}`);
  }
  const inputs = scheduleInputs(config, totalSteps);
  const s = scheduleAt(step, inputs);
  if (s.maxResponseLength !== launched) {
    throw new DirectiveError(
      `step ${step} belongs to the context stage with max_response_length ${s.maxResponseLength}, but the job ` +
        `was launched with data.max_response_length ${launched}: relaunch with the stage's budget`,
    );
  }
  const relaunch: string[] = [];
  if (s.resetReference) relaunch.push("reset_reference");
  if (step < totalSteps) {
    const next = scheduleAt(step + 1, inputs).maxResponseLength;
    if (next !== s.maxResponseLength) relaunch.push(`max_response_length ${s.maxResponseLength} -> ${next}`);
  }
  return {
    step,
    kl_coef: s.klCoef,
    entropy_coef: s.entropyCoef,
    lr: s.lr,
    max_response_length: s.maxResponseLength,
    reset_reference: s.resetReference,
    relaunch_after: relaunch,
  };
}
