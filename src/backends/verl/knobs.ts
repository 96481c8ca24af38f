import { BUILTIN_REWARDS } from "../../rewards/registry.js";

/**
 * Where every field of a run config goes when it runs on veRL 0.9.1: to a veRL key, to the still-rl plugin
 * (through the TS services), to a relaunch by the launcher, to the launcher itself, or nowhere — then the
 * compiler refuses it with its YAML path. A test walks every leaf of the schema and fails on one missing
 * here, and checks that each `verl` row is really emitted by the compiler, so nothing is dropped silently.
 *
 * Paths are dotted YAML paths with `[]` for "every element" (`rewards.components[].weight`).
 */

export type KnobRoute =
  /** Compiled to these veRL Hydra keys. */
  | { to: "verl"; keys: string[]; note?: string }
  /** Served by TypeScript through the still-rl plugin (reward manager, still3 trainer, tool agent loop). */
  | { to: "plugin"; what: string }
  /** veRL cannot change it mid-run: the launcher checkpoints and relaunches with resume. */
  | { to: "relaunch"; what: string }
  /** Used by the launcher (data conversion, job submission, progress, report), not by veRL. */
  | { to: "launcher"; what: string }
  /** Another backend's block: not read by a veRL run. */
  | { to: "other-backend" }
  /** Not honoured on veRL: a compile error whenever the config sets it away from what veRL does. */
  | { to: "refused"; why: string };

const A = "actor_rollout_ref.actor";
const R = "actor_rollout_ref.rollout";
const M = "actor_rollout_ref.model";
const OWN_SAMPLING =
  "a benchmark with its own sampling is left out of veRL's in-run validation (one sampling setting for all) and listed in the compile notes for still eval";

export const VERL_KNOBS: Readonly<Record<string, KnobRoute>> = {
  name: { to: "verl", keys: ["trainer.experiment_name"], note: "when logging.experiment is absent" },
  description: { to: "launcher", what: "shown in the report" },
  run_dir: { to: "launcher", what: "run directory: Parquet data, checkpoints, metrics.jsonl, report" },
  python: { to: "launcher", what: "interpreter of the veRL job (default .venv-verl)" },
  seed: { to: "verl", keys: [`${R}.seed`] },

  "model.path": { to: "verl", keys: [`${M}.path`] },
  "model.tokenizer": { to: "verl", keys: [`${M}.tokenizer_path`] },
  "model.dtype": { to: "verl", keys: [`${R}.dtype`], note: "auto keeps veRL's bfloat16" },
  "model.chat_template": {
    to: "refused",
    why: "on veRL, prompts are rendered by prompt.template and passed through unchanged",
  },
  "model.trust_remote_code": { to: "verl", keys: [`${M}.trust_remote_code`, "data.trust_remote_code"] },

  "data.train_files": {
    to: "verl",
    keys: ["data.train_files"],
    note: "converted to Parquet by the launcher",
  },
  "data.eval_files": { to: "verl", keys: ["data.val_files"], note: "converted to Parquet by the launcher" },
  "data.prompt_key": { to: "launcher", what: "column read when converting to Parquet" },
  "data.answer_key": { to: "launcher", what: "column read into reward_model.ground_truth" },
  "data.source_key": { to: "launcher", what: "column read into data_source" },
  "data.shuffle": { to: "verl", keys: ["data.shuffle"] },
  "data.seed": { to: "verl", keys: ["data.seed"] },
  "data.max_samples": { to: "verl", keys: ["data.train_max_samples"] },

  "prompt.template": {
    to: "verl",
    keys: [`${M}.custom_chat_template`],
    note: "rendered into the Parquet prompt; a pass-through chat template keeps it verbatim",
  },
  "prompt.text": { to: "launcher", what: "custom template rendered into the Parquet prompt" },

  "rollout.n": { to: "verl", keys: [`${R}.n`] },
  "rollout.temperature": { to: "verl", keys: [`${R}.temperature`] },
  "rollout.top_p": { to: "verl", keys: [`${R}.top_p`] },
  "rollout.top_k": { to: "verl", keys: [`${R}.top_k`], note: "0 becomes veRL's -1" },
  "rollout.max_prompt_length": { to: "verl", keys: ["data.max_prompt_length"] },
  "rollout.max_response_length": {
    to: "verl",
    keys: ["data.max_response_length"],
    note: "with context_stages, the current stage's budget",
  },
  "rollout.stop": { to: "refused", why: "veRL 0.9.1's rollout config has no stop strings" },

  "algorithm.advantage_estimator": { to: "verl", keys: ["algorithm.adv_estimator"] },
  "algorithm.norm_adv_by_std": { to: "verl", keys: ["algorithm.norm_adv_by_std_in_grpo"] },
  "algorithm.train_batch_size": { to: "verl", keys: ["data.train_batch_size"] },
  "algorithm.mini_batch_size": { to: "verl", keys: [`${A}.ppo_mini_batch_size`] },
  "algorithm.epochs": { to: "verl", keys: [`${A}.ppo_epochs`] },
  "algorithm.lr": { to: "verl", keys: [`${A}.optim.lr`] },
  "algorithm.lr_schedule.type": { to: "verl", keys: [`${A}.optim.lr_scheduler_type`] },
  "algorithm.lr_schedule.warmup_steps": { to: "verl", keys: [`${A}.optim.lr_warmup_steps`] },
  "algorithm.lr_schedule.min_lr_ratio": { to: "verl", keys: [`${A}.optim.min_lr_ratio`] },
  "algorithm.clip_ratio_low": { to: "verl", keys: [`${A}.clip_ratio_low`] },
  "algorithm.clip_ratio_high": { to: "verl", keys: [`${A}.clip_ratio_high`] },
  "algorithm.loss_aggregation": { to: "verl", keys: [`${A}.loss_agg_mode`] },
  "algorithm.entropy_coef": {
    to: "verl",
    keys: [`${A}.entropy_coeff`, `${A}.calculate_entropy`],
    note: "the still3 trainer also sends it as the step's directive",
  },
  "algorithm.max_grad_norm": { to: "verl", keys: [`${A}.optim.clip_grad`] },
  "algorithm.weight_decay": { to: "verl", keys: [`${A}.optim.weight_decay`] },
  "algorithm.gamma": { to: "verl", keys: ["algorithm.gamma"] },
  "algorithm.lam": { to: "verl", keys: ["algorithm.lam"] },
  "algorithm.kl.mode": {
    to: "verl",
    keys: [`${A}.use_kl_loss`, "algorithm.use_kl_in_reward"],
    note: "cosine: the still3 trainer sets the step's coefficient (plugin directive)",
  },
  "algorithm.kl.coef": { to: "verl", keys: [`${A}.kl_loss_coef`] },
  "algorithm.kl.from": {
    to: "verl",
    keys: [`${A}.kl_loss_coef`],
    note: "initial value; the still3 trainer anneals it each step",
  },
  "algorithm.kl.to": { to: "plugin", what: "end of the cosine KL schedule (still3 trainer directive)" },
  "algorithm.kl.steps": { to: "plugin", what: "length of the cosine KL schedule (still3 trainer directive)" },
  "algorithm.kl.estimator": { to: "verl", keys: [`${A}.kl_loss_type`] },
  "algorithm.kl.placement": {
    to: "verl",
    keys: ["algorithm.use_kl_in_reward"],
    note: "loss only: reward is refused (the still3 trainer takes rewards and advantages from TS)",
  },
  "algorithm.reference_reset_every": {
    to: "relaunch",
    what: "checkpoint, merge the actor to HF (verl.model_merger), relaunch with it as the reference",
  },
  "algorithm.total_steps": { to: "verl", keys: ["trainer.total_training_steps"] },
  "algorithm.total_epochs": { to: "verl", keys: ["trainer.total_epochs"] },

  "context_stages[].max_response_length": {
    to: "relaunch",
    what: "each stage runs as one launch with its data.max_response_length, resumed from the last checkpoint",
  },
  "context_stages[].until_step": { to: "relaunch", what: "last step of the stage's launch" },

  // Every built-in reward's parameters, read off the reward registry: a new reward needs no row here.
  ...Object.fromEntries(
    [...new Set(BUILTIN_REWARDS.flatMap((r) => Object.keys(r.config.shape)))].map((key) => [
      `rewards.components[].${key}`,
      { to: "plugin", what: key === "name" ? "reward service (still reward manager)" : "reward service" },
    ]),
  ),
  "rewards.components[].path": { to: "plugin", what: "reward service (user reward)" },
  "rewards.components[].export": { to: "plugin", what: "reward service (user reward)" },
  "rewards.components[].params": { to: "plugin", what: "reward service (user reward)" },
  "rewards.group_strategies": { to: "plugin", what: "still3 trainer's advantages from TS" },
  "rewards.fallback_score": { to: "plugin", what: "reward service fallback" },
  "rewards.deadline_ms": { to: "plugin", what: "reward service deadline" },

  "tools.enabled": {
    to: "verl",
    keys: [`${R}.multi_turn.enable`, `${R}.agent.default_agent_loop`],
    note: "the still-rl tool agent loop",
  },
  "tools.dialect": { to: "plugin", what: "tool agent loop" },
  "tools.max_calls": { to: "verl", keys: [`${R}.multi_turn.max_assistant_turns`] },
  "tools.isolation": { to: "plugin", what: "TS sandbox" },
  "tools.stateful": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.timeout_ms": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.cpu_seconds": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.memory_mb": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.max_processes": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.max_file_mb": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.max_output_chars": { to: "plugin", what: "TS sandbox" },
  "tools.sandbox.pool_size": { to: "plugin", what: "TS sandbox" },

  ...Object.fromEntries(
    [
      "train_files",
      "prompt_key",
      "response_key",
      "lr",
      "lr_schedule.type",
      "lr_schedule.warmup_steps",
      "lr_schedule.min_lr_ratio",
      "batch_size",
      "epochs",
      "max_length",
      "max_grad_norm",
      "weight_decay",
      "mask_tool_outputs",
      "eval_fraction",
    ].map((k) => [
      `sft.${k}`,
      {
        to: "refused",
        why: "SFT runs on the hf backend; veRL's SFT trainer is not wired to still train",
      } as KnobRoute,
    ]),
  ),

  "eval.benchmarks[].name": { to: "launcher", what: "data_source of the benchmark's validation rows" },
  "eval.benchmarks[].file": { to: "verl", keys: ["data.val_files"], note: "converted to Parquet" },
  "eval.benchmarks[].prompt_key": { to: "launcher", what: "column read when converting" },
  "eval.benchmarks[].answer_key": { to: "launcher", what: "column read when converting" },
  "eval.benchmarks[].sampling.greedy": { to: "launcher", what: OWN_SAMPLING },
  "eval.benchmarks[].sampling.n": { to: "launcher", what: OWN_SAMPLING },
  "eval.benchmarks[].sampling.temperature": { to: "launcher", what: OWN_SAMPLING },
  "eval.benchmarks[].sampling.top_p": { to: "launcher", what: OWN_SAMPLING },
  "eval.benchmarks[].sampling.max_tokens": { to: "launcher", what: OWN_SAMPLING },
  "eval.benchmarks[].tools": { to: "launcher", what: "agent_name of the benchmark's rows" },
  "eval.sampling.greedy": { to: "verl", keys: [`${R}.val_kwargs.do_sample`] },
  "eval.sampling.n": { to: "verl", keys: [`${R}.val_kwargs.n`] },
  "eval.sampling.temperature": { to: "verl", keys: [`${R}.val_kwargs.temperature`] },
  "eval.sampling.top_p": { to: "verl", keys: [`${R}.val_kwargs.top_p`] },
  "eval.sampling.max_tokens": {
    to: "launcher",
    what: "veRL validates within the training response budget; still eval generates up to max_tokens",
  },
  "eval.k": { to: "launcher", what: "pass@k in the report (veRL logs mean@n / best@n)" },
  "eval.every_steps": { to: "verl", keys: ["trainer.test_freq"] },
  "eval.before_train": { to: "verl", keys: ["trainer.val_before_train"] },

  "backend.type": { to: "launcher", what: "selects this backend" },
  "backend.verl.rollout_engine": { to: "verl", keys: [`${R}.name`] },
  "backend.verl.tensor_parallel_size": { to: "verl", keys: [`${R}.tensor_model_parallel_size`] },
  "backend.verl.gpu_memory_utilization": { to: "verl", keys: [`${R}.gpu_memory_utilization`] },
  "backend.verl.nnodes": { to: "verl", keys: ["trainer.nnodes"] },
  "backend.verl.n_gpus_per_node": { to: "verl", keys: ["trainer.n_gpus_per_node"] },
  "backend.verl.micro_batch_size_per_gpu": {
    to: "verl",
    keys: [
      `${A}.ppo_micro_batch_size_per_gpu`,
      `${R}.log_prob_micro_batch_size_per_gpu`,
      "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu",
    ],
  },
  "backend.verl.use_dynamic_bsz": { to: "verl", keys: [`${A}.use_dynamic_bsz`] },
  "backend.verl.ppo_max_token_len_per_gpu": { to: "verl", keys: [`${A}.ppo_max_token_len_per_gpu`] },
  "backend.verl.param_offload": {
    to: "verl",
    keys: [`${A}.fsdp_config.param_offload`, "actor_rollout_ref.ref.fsdp_config.param_offload"],
  },
  "backend.verl.optimizer_offload": { to: "verl", keys: [`${A}.fsdp_config.optimizer_offload`] },
  "backend.verl.gradient_checkpointing": { to: "verl", keys: [`${M}.enable_gradient_checkpointing`] },
  "backend.verl.overrides": {
    to: "verl",
    keys: ["(verbatim)"],
    note: "validated by veRL; legacy reward keys refused",
  },
  "backend.hf.device": { to: "other-backend" },
  "backend.hf.micro_batch_size": { to: "other-backend" },
  "backend.hf.gradient_checkpointing": { to: "other-backend" },
  "backend.hf.threads": { to: "other-backend" },
  ...Object.fromEntries(
    [
      "actor_num_nodes",
      "actor_num_gpus_per_node",
      "ref_num_nodes",
      "ref_num_gpus_per_node",
      "colocate_actor_ref",
      "vllm_num_engines",
      "vllm_tensor_parallel_size",
      "vllm_gpu_memory_utilization",
      "micro_train_batch_size",
      "micro_rollout_batch_size",
      "zero_stage",
      "bf16",
      "flash_attn",
      "packing_samples",
      "gradient_checkpointing",
      "extra_args",
    ].map((k) => [`backend.openrlhf.${k}`, { to: "other-backend" } as KnobRoute]),
  ),

  "cluster.type": { to: "launcher", what: "local run, or ray job submit" },
  "cluster.address": { to: "launcher", what: "ray job submit --address" },
  "cluster.runtime_env": { to: "launcher", what: "ray job submit --runtime-env-json (plus the bridge env)" },

  "logging.loggers": { to: "verl", keys: ["trainer.logger"], note: "jsonl is written by the launcher" },
  "logging.project": { to: "verl", keys: ["trainer.project_name"] },
  "logging.experiment": { to: "verl", keys: ["trainer.experiment_name"] },
  "logging.every_steps": { to: "launcher", what: "progress line every N steps" },
  "logging.samples_per_step": {
    to: "verl",
    keys: ["trainer.rollout_data_dir"],
    note: "veRL dumps the step's rollouts under the run directory",
  },

  "checkpoint.every_steps": { to: "verl", keys: ["trainer.save_freq"] },
  "checkpoint.keep_last": { to: "verl", keys: ["trainer.max_actor_ckpt_to_keep"] },
  "checkpoint.resume": { to: "verl", keys: ["trainer.resume_mode"] },
  "checkpoint.resume_from": { to: "verl", keys: ["trainer.resume_mode", "trainer.resume_from_path"] },
  "checkpoint.save_hf": { to: "verl", keys: [`${A}.checkpoint.save_contents`] },
};

/** The table row of a concrete YAML path (`rewards.components[2].weight` → `rewards.components[].weight`). */
export function knobFor(path: string): KnobRoute | undefined {
  return VERL_KNOBS[path.replace(/\[\d+\]/g, "[]")];
}
