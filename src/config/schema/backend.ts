import { z } from "zod";
import { positiveInt, probability } from "./common.js";

export const BACKENDS = ["hf", "verl", "openrlhf"] as const;

/** The built-in Hugging Face engine (driver mode: the TS trainer owns the loop). */
export const hfBackendSchema = z.strictObject({
  device: z.enum(["auto", "cpu", "cuda"]).default("auto"),
  /** Sequences per forward/backward pass; gradients accumulate up to the mini-batch. */
  micro_batch_size: positiveInt().default(4),
  gradient_checkpointing: z.boolean().default(false),
  /** CPU threads for torch (null: torch's default). */
  threads: positiveInt().nullable().default(null),
});

/** veRL (plugin mode). Values compile to Hydra overrides; `overrides` are appended verbatim and validated by veRL. */
export const verlBackendSchema = z.strictObject({
  rollout_engine: z.enum(["vllm", "sglang"]).default("vllm"),
  tensor_parallel_size: positiveInt().default(1),
  gpu_memory_utilization: probability().default(0.6),
  nnodes: positiveInt().default(1),
  n_gpus_per_node: positiveInt().default(8),
  micro_batch_size_per_gpu: positiveInt().default(1),
  use_dynamic_bsz: z.boolean().default(true),
  ppo_max_token_len_per_gpu: positiveInt().default(16_384),
  param_offload: z.boolean().default(false),
  optimizer_offload: z.boolean().default(false),
  gradient_checkpointing: z.boolean().default(true),
  overrides: z.array(z.string().regex(/^[^=\s]+=/, "expected key=value")).default([]),
});

/** OpenRLHF (plugin mode). Values compile to train_ppo_ray flags; `extra_args` are appended verbatim. */
export const openrlhfBackendSchema = z.strictObject({
  actor_num_nodes: positiveInt().default(1),
  actor_num_gpus_per_node: positiveInt().default(8),
  ref_num_nodes: positiveInt().default(1),
  ref_num_gpus_per_node: positiveInt().default(8),
  colocate_actor_ref: z.boolean().default(true),
  vllm_num_engines: positiveInt().default(8),
  vllm_tensor_parallel_size: positiveInt().default(1),
  vllm_gpu_memory_utilization: probability().default(0.9),
  micro_train_batch_size: positiveInt().default(1),
  micro_rollout_batch_size: positiveInt().default(2),
  zero_stage: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(2),
  bf16: z.boolean().default(true),
  flash_attn: z.boolean().default(true),
  packing_samples: z.boolean().default(true),
  gradient_checkpointing: z.boolean().default(true),
  extra_args: z.array(z.string()).default([]),
});

export const backendSchema = z.strictObject({
  type: z.enum(BACKENDS).default("hf"),
  hf: hfBackendSchema.default(() => hfBackendSchema.parse({})),
  verl: verlBackendSchema.default(() => verlBackendSchema.parse({})),
  openrlhf: openrlhfBackendSchema.default(() => openrlhfBackendSchema.parse({})),
});

export type BackendType = (typeof BACKENDS)[number];
export type HfBackendConfig = z.output<typeof hfBackendSchema>;
export type VerlBackendConfig = z.output<typeof verlBackendSchema>;
export type OpenrlhfBackendConfig = z.output<typeof openrlhfBackendSchema>;
export type BackendConfig = z.output<typeof backendSchema>;
