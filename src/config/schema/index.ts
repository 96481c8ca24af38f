import { z } from "zod";
import { algorithmSchema } from "./algorithm.js";
import { backendSchema } from "./backend.js";
import { contextStagesSchema } from "./context.js";
import { dataSchema } from "./data.js";
import { evalSchema } from "./evaluation.js";
import { modelSchema, TINY_MODEL_PREFIX } from "./model.js";
import { promptSchema } from "./prompt.js";
import { rewardsSchema } from "./rewards.js";
import { rolloutSchema } from "./rollout.js";
import { checkpointSchema, clusterSchema, loggingSchema } from "./run.js";
import { sftSchema } from "./sft.js";
import { toolsSchema } from "./tools.js";

/** Blocks whose every field has a default: an absent block parses to its defaults. */
const defaults = <T extends z.ZodType>(schema: T) => schema.default(() => schema.parse({}) as never);

/**
 * One schema for a whole run (YAML keys in snake_case, as veRL users write them). Every object is strict:
 * an unknown key is an error, never silently ignored.
 */
export const runConfigSchema = z
  .strictObject({
    /** Names the run (run directory, logger experiment). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "expected a name of letters, digits, _ . -")
      .default("run"),
    description: z.string().optional(),
    /** Runs go to `<run_dir>`; default `runs/<name>`. */
    run_dir: z.string().min(1).optional(),
    /** Python interpreter for the engine/bridge peers ($STILL_PYTHON still wins). */
    python: z.string().min(1).optional(),
    seed: z.number().int().default(42),
    model: modelSchema,
    data: defaults(dataSchema),
    prompt: defaults(promptSchema),
    rollout: defaults(rolloutSchema),
    algorithm: defaults(algorithmSchema),
    context_stages: contextStagesSchema.default([]),
    rewards: defaults(rewardsSchema),
    tools: defaults(toolsSchema),
    /** Present: fine-tune before RL (or only fine-tune, with algorithm.total_steps absent and no train data). */
    sft: sftSchema.optional(),
    eval: defaults(evalSchema),
    backend: defaults(backendSchema),
    cluster: defaults(clusterSchema),
    logging: defaults(loggingSchema),
    checkpoint: defaults(checkpointSchema),
  })
  .superRefine((c, ctx) => {
    if (c.model.path.startsWith(TINY_MODEL_PREFIX) && c.backend.type !== "hf") {
      ctx.addIssue({
        code: "custom",
        path: ["model", "path"],
        message: `tiny models are built by the hf backend only (backend.type is ${c.backend.type})`,
      });
    }
    c.rewards.components.forEach((component, i) => {
      if (component.name === "tool_use" && !c.tools.enabled) {
        ctx.addIssue({
          code: "custom",
          path: ["rewards", "components", i, "name"],
          message: "tool_use reward needs tools.enabled: true",
        });
      }
    });
    const stages = c.context_stages;
    const widest = stages.reduce((m, s) => Math.max(m, s.max_response_length), 0);
    if (widest > 0 && widest !== c.rollout.max_response_length) {
      ctx.addIssue({
        code: "custom",
        path: ["rollout", "max_response_length"],
        message: `expected the largest context stage (${widest}) so engines are sized for it, got ${c.rollout.max_response_length}`,
      });
    }
  });

/** A fully resolved run configuration (all defaults filled in). */
export type RunConfig = z.output<typeof runConfigSchema>;
/** What a YAML file may contain (most fields optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;

export * from "./algorithm.js";
export * from "./backend.js";
export * from "./context.js";
export * from "./data.js";
export * from "./evaluation.js";
export * from "./model.js";
export * from "./prompt.js";
export * from "./rewards.js";
export * from "./rollout.js";
export * from "./run.js";
export * from "./sft.js";
export * from "./tools.js";
