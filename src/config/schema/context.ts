import { z } from "zod";
import { positiveInt } from "./common.js";

/**
 * Context-length stages (STILL-3-Zero-32B: 8k, then 12k, then 20k): each stage sets the response budget until
 * `until_step` (exclusive); the last stage has no `until_step` and runs to the end.
 */
export const contextStageSchema = z.strictObject({
  max_response_length: positiveInt(),
  until_step: positiveInt().optional(),
});

export const contextStagesSchema = z.array(contextStageSchema).superRefine((stages, ctx) => {
  let previous = 0;
  stages.forEach((stage, i) => {
    const last = i === stages.length - 1;
    if (last && stage.until_step !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [i, "until_step"],
        message: "the last stage runs to the end of training: remove until_step",
      });
    }
    if (!last && stage.until_step === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [i, "until_step"],
        message: "required on every stage but the last",
      });
    }
    if (stage.until_step !== undefined) {
      if (stage.until_step <= previous) {
        ctx.addIssue({
          code: "custom",
          path: [i, "until_step"],
          message: `expected a step after the previous stage's (${previous}), got ${stage.until_step}`,
        });
      }
      previous = stage.until_step;
    }
  });
});

export type ContextStage = z.output<typeof contextStageSchema>;
