import { z } from "zod";
import { positiveInt } from "./common.js";

/** Where the job runs: this machine, or a Ray cluster reached through its job server. */
export const clusterSchema = z
  .strictObject({
    type: z.enum(["local", "ray"]).default("local"),
    /** Ray job server, e.g. http://head:8265 (type ray only). */
    address: z.string().min(1).optional(),
    /** Ray runtime_env for submitted jobs (working_dir, env_vars, …). */
    runtime_env: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.type === "ray" && c.address === undefined) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "required when type is ray" });
    }
    if (c.type === "local") {
      for (const key of ["address", "runtime_env"] as const) {
        if (c[key] !== undefined) {
          ctx.addIssue({ code: "custom", path: [key], message: "only used when type is ray" });
        }
      }
    }
  });

export const LOGGERS = ["console", "jsonl", "tensorboard", "wandb"] as const;

export const loggingSchema = z.strictObject({
  loggers: z.array(z.enum(LOGGERS)).default(["console", "jsonl"]),
  project: z.string().min(1).default("still-rl"),
  /** Defaults to the run name. */
  experiment: z.string().min(1).optional(),
  every_steps: positiveInt().default(1),
  /** Responses written to the sample log per step (for reading what the model does). */
  samples_per_step: z.number().int().nonnegative().default(4),
});

export const checkpointSchema = z.strictObject({
  /** Save every N steps (null: only at the end). */
  every_steps: positiveInt().nullable().default(50),
  /** Keep the newest N checkpoints (null: all). */
  keep_last: positiveInt().nullable().default(3),
  /** auto: resume from the newest checkpoint in the run dir if there is one; never: start fresh. */
  resume: z.enum(["auto", "never"]).default("auto"),
  /** Resume from this checkpoint directory instead. */
  resume_from: z.string().min(1).optional(),
  /** Also write a Hugging Face model directory with each checkpoint. */
  save_hf: z.boolean().default(false),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type LoggingConfig = z.output<typeof loggingSchema>;
export type CheckpointConfig = z.output<typeof checkpointSchema>;
