import path from "node:path";
import type { RunConfig } from "../../config/index.js";
import type { CompiledArg, CompiledLaunch, PathIssue } from "../types.js";

/**
 * Run config → `python -m verl.trainer.main_ppo` + Hydra overrides (veRL 0.9.1). The routing of every field
 * is the table in knobs.ts; this file writes the values. Rules: rewards only through the `reward.*`
 * namespace (veRL silently ignores the legacy keys), no `+` (every key emitted exists in veRL's config), no
 * key veRL would accept and then ignore.
 */

/** Names the still-rl plugin registers in veRL (python/still_rl/verl, entry point group `verl.plugins`). */
export const PLUGIN_NAMES = {
  trainer: "still3",
  rewardManager: "still",
  toolAgentLoop: "still_tool",
} as const;

/** Files a launch reads, all under the run directory. */
export function runFiles(runDir: string) {
  const dir = path.resolve(runDir);
  return {
    train: path.join(dir, "data", "train.parquet"),
    val: path.join(dir, "data", "val.parquet"),
    checkpoints: path.join(dir, "checkpoints"),
    rollouts: path.join(dir, "rollouts"),
  };
}

/**
 * A chat template that outputs the prompt messages' text unchanged: still-rl renders the whole prompt
 * (special tokens included) from prompt.template, exactly as the HF backend feeds it to the model.
 */
export const PASSTHROUGH_CHAT_TEMPLATE = "{% for message in messages %}{{ message.content }}{% endfor %}";

const LEGACY_REWARD_KEYS = /^\+?(custom_reward_function|reward_model)\./;

/** What veRL cannot honour in this config, each with its YAML path. */
export function verlRefusals(config: RunConfig): PathIssue[] {
  const out: PathIssue[] = [];
  const refuse = (p: string, message: string) => out.push({ path: p, message });
  if (config.model.chat_template !== undefined) {
    refuse(
      "model.chat_template",
      "not used on veRL: prompts are rendered by prompt.template and passed to the model unchanged",
    );
  }
  if (config.rollout.stop.length > 0) {
    refuse("rollout.stop", "veRL 0.9.1's rollout has no stop strings; remove it for backend verl");
  }
  if (config.algorithm.advantage_estimator === "gae") {
    refuse(
      "algorithm.advantage_estimator",
      "gae needs veRL's critic, which still-rl does not configure yet; use grpo, rloo or reinforce++",
    );
  }
  if (config.algorithm.kl.mode !== "none" && config.algorithm.kl.placement === "reward") {
    refuse(
      "algorithm.kl.placement",
      "the still3 trainer takes rewards and advantages from TypeScript, so veRL's in-reward KL would be lost: use placement loss",
    );
  }
  if (config.sft !== undefined) {
    refuse("sft", "SFT runs on the hf backend; veRL's SFT trainer is not wired to still train");
  }
  if (config.checkpoint.every_steps === null) {
    refuse("checkpoint.every_steps", "veRL saves only every N steps: set a number");
  }
  config.backend.verl.overrides.forEach((o, i) => {
    if (LEGACY_REWARD_KEYS.test(o)) {
      refuse(
        `backend.verl.overrides[${i}]`,
        `${o.split("=")[0]} is a legacy reward key that veRL 0.9.1 silently ignores; use reward.*`,
      );
    } else if (/^\+?(trainer\.v1\.trainer_mode|reward\.reward_manager\.)/.test(o)) {
      refuse(`backend.verl.overrides[${i}]`, "the still-rl plugin's trainer and reward manager are fixed");
    }
  });
  return out;
}

/** Benchmarks veRL validates in the run: those without their own sampling (veRL has one setting for all). */
export function inRunBenchmarks(config: RunConfig): RunConfig["eval"]["benchmarks"] {
  return config.eval.benchmarks.filter((b) => b.sampling === undefined);
}

/** A value in Hydra's override grammar: plain when it parses back as the same string, else quoted. */
export function hydraValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  if (Array.isArray(v)) return `[${v.map(hydraValue).join(",")}]`;
  const s = String(v);
  if (/^[A-Za-z_/.][A-Za-z0-9_\-/.:]*$/.test(s) && !/^(true|false|null|nan|inf)$/i.test(s)) return s;
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export interface CompileOptions {
  /** Index of the context stage this launch runs (default: the first). */
  stage?: number;
  /** A relaunch: resume from this veRL checkpoint (`global_step_<n>`) instead of checkpoint.resume. */
  resumeFrom?: string;
  /** A relaunch after a reference reset: the merged policy, loaded as actor base and reference. */
  modelPath?: string;
}

/** The launch of one veRL job for this config (call verlRefusals first: refused knobs are not compiled). */
export function compileVerl(config: RunConfig, runDir: string, opts: CompileOptions = {}): CompiledLaunch {
  const args: CompiledArg[] = [];
  const notes: string[] = [];
  const set = (key: string, value: unknown, ...from: string[]) => {
    args.push({ key, value: hydraValue(value), from });
  };
  const files = runFiles(runDir);
  const { algorithm: alg, rollout, backend, eval: ev, checkpoint: ckpt, logging } = config;
  const v = backend.verl;
  const A = "actor_rollout_ref.actor";
  const R = "actor_rollout_ref.rollout";
  const M = "actor_rollout_ref.model";

  set("trainer.v1.trainer_mode", PLUGIN_NAMES.trainer);
  set("reward.reward_manager.name", PLUGIN_NAMES.rewardManager);
  set("trainer.default_local_dir", files.checkpoints, "run_dir");

  if (opts.modelPath !== undefined) set(`${M}.path`, opts.modelPath, "algorithm.reference_reset_every");
  else set(`${M}.path`, config.model.path, "model.path");
  if (config.model.tokenizer !== undefined)
    set(`${M}.tokenizer_path`, config.model.tokenizer, "model.tokenizer");
  if (config.model.dtype !== "auto") set(`${R}.dtype`, config.model.dtype, "model.dtype");
  set(`${M}.trust_remote_code`, config.model.trust_remote_code, "model.trust_remote_code");
  set("data.trust_remote_code", config.model.trust_remote_code, "model.trust_remote_code");
  set(`${M}.custom_chat_template`, PASSTHROUGH_CHAT_TEMPLATE, "prompt.template");
  set(`${M}.enable_gradient_checkpointing`, v.gradient_checkpointing, "backend.verl.gradient_checkpointing");
  set(`${R}.seed`, config.seed, "seed");

  const trainFrom = config.data.train_files.map((_, i) => `data.train_files[${i}]`);
  set("data.train_files", files.train, ...(trainFrom.length > 0 ? trainFrom : ["data.train_files"]));
  const inRun = inRunBenchmarks(config);
  const hasVal = config.data.eval_files.length > 0 || inRun.length > 0;
  const ownSampling = ev.benchmarks.filter((b) => b.sampling !== undefined).map((b) => b.name);
  if (ownSampling.length > 0) {
    notes.push(
      `eval.benchmarks ${ownSampling.join(", ")}: own sampling settings, so not in veRL's in-run validation; evaluate them with still eval`,
    );
  }
  if (hasVal) {
    set(
      "data.val_files",
      files.val,
      ...config.data.eval_files.map((_, i) => `data.eval_files[${i}]`),
      ...ev.benchmarks.flatMap((b, i) => (b.sampling === undefined ? [`eval.benchmarks[${i}].file`] : [])),
    );
  } else {
    // veRL always builds a validation set; with no eval data it is the training set and never evaluated.
    set("data.val_files", files.train, "data.eval_files");
  }
  set("data.shuffle", config.data.shuffle, "data.shuffle");
  set("data.seed", config.data.seed, "data.seed");
  set("data.train_max_samples", config.data.max_samples ?? -1, "data.max_samples");
  set("data.max_prompt_length", rollout.max_prompt_length, "rollout.max_prompt_length");
  const stages = config.context_stages;
  const stage = opts.stage ?? 0;
  if (stages.length > 0) {
    const s = stages[stage];
    if (s === undefined) throw new Error(`no context stage ${stage}`);
    set("data.max_response_length", s.max_response_length, `context_stages[${stage}].max_response_length`);
    notes.push(
      `context_stages: ${stages.length} launches (${stages
        .map(
          (x) =>
            `${x.max_response_length} tokens${x.until_step !== undefined ? ` until step ${x.until_step}` : ""}`,
        )
        .join(", ")}); this is stage ${stage + 1}, each later one resumes from the last checkpoint`,
    );
  } else {
    set("data.max_response_length", rollout.max_response_length, "rollout.max_response_length");
  }

  set(`${R}.name`, v.rollout_engine, "backend.verl.rollout_engine");
  set(`${R}.n`, rollout.n, "rollout.n");
  set(`${R}.temperature`, rollout.temperature, "rollout.temperature");
  set(`${R}.top_p`, rollout.top_p, "rollout.top_p");
  set(`${R}.top_k`, rollout.top_k > 0 ? rollout.top_k : -1, "rollout.top_k");
  set(`${R}.tensor_model_parallel_size`, v.tensor_parallel_size, "backend.verl.tensor_parallel_size");
  set(`${R}.gpu_memory_utilization`, v.gpu_memory_utilization, "backend.verl.gpu_memory_utilization");

  const estimator = {
    grpo: "grpo",
    rloo: "rloo",
    "reinforce++": "reinforce_plus_plus",
    reinforce_baseline: "reinforce_plus_plus_baseline",
    opo: "opo",
    gae: "gae",
  }[alg.advantage_estimator];
  set("algorithm.adv_estimator", estimator, "algorithm.advantage_estimator");
  set("algorithm.norm_adv_by_std_in_grpo", alg.norm_adv_by_std, "algorithm.norm_adv_by_std");
  set("algorithm.gamma", alg.gamma, "algorithm.gamma");
  set("algorithm.lam", alg.lam, "algorithm.lam");
  set("data.train_batch_size", alg.train_batch_size, "algorithm.train_batch_size");
  set(`${A}.ppo_mini_batch_size`, alg.mini_batch_size, "algorithm.mini_batch_size");
  set(`${A}.ppo_epochs`, alg.epochs, "algorithm.epochs");
  set(`${A}.optim.lr`, alg.lr, "algorithm.lr");
  set(`${A}.optim.lr_scheduler_type`, alg.lr_schedule.type, "algorithm.lr_schedule.type");
  set(`${A}.optim.lr_warmup_steps`, alg.lr_schedule.warmup_steps, "algorithm.lr_schedule.warmup_steps");
  set(`${A}.optim.min_lr_ratio`, alg.lr_schedule.min_lr_ratio, "algorithm.lr_schedule.min_lr_ratio");
  set(`${A}.optim.clip_grad`, alg.max_grad_norm, "algorithm.max_grad_norm");
  set(`${A}.optim.weight_decay`, alg.weight_decay, "algorithm.weight_decay");
  set(`${A}.clip_ratio_low`, alg.clip_ratio_low, "algorithm.clip_ratio_low");
  set(`${A}.clip_ratio_high`, alg.clip_ratio_high, "algorithm.clip_ratio_high");
  set(`${A}.loss_agg_mode`, alg.loss_aggregation, "algorithm.loss_aggregation");
  set(`${A}.entropy_coeff`, alg.entropy_coef, "algorithm.entropy_coef");
  set(`${A}.calculate_entropy`, alg.entropy_coef > 0, "algorithm.entropy_coef");

  const kl = alg.kl;
  const inLoss = kl.mode !== "none";
  set(`${A}.use_kl_loss`, inLoss, "algorithm.kl.mode", "algorithm.kl.placement");
  set("algorithm.use_kl_in_reward", false, "algorithm.kl.placement");
  if (inLoss) {
    if (kl.mode === "fixed") set(`${A}.kl_loss_coef`, kl.coef, "algorithm.kl.coef");
    else set(`${A}.kl_loss_coef`, kl.from, "algorithm.kl.from");
    set(`${A}.kl_loss_type`, kl.estimator, "algorithm.kl.estimator");
  }
  if (kl.mode === "cosine") {
    notes.push(
      `algorithm.kl: cosine ${kl.from} → ${kl.to} over ${kl.steps} steps, set each step by the still3 trainer`,
    );
  }
  if (alg.reference_reset_every !== null) {
    notes.push(
      `algorithm.reference_reset_every: every ${alg.reference_reset_every} steps the launcher checkpoints, merges the actor (verl.model_merger) and relaunches with it as the reference`,
    );
  }
  set("trainer.total_training_steps", alg.total_steps, "algorithm.total_steps");
  set("trainer.total_epochs", alg.total_epochs, "algorithm.total_epochs");

  set(`${A}.use_dynamic_bsz`, v.use_dynamic_bsz, "backend.verl.use_dynamic_bsz");
  set(
    `${A}.ppo_max_token_len_per_gpu`,
    v.ppo_max_token_len_per_gpu,
    "backend.verl.ppo_max_token_len_per_gpu",
  );
  for (const key of [
    `${A}.ppo_micro_batch_size_per_gpu`,
    `${R}.log_prob_micro_batch_size_per_gpu`,
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu",
  ]) {
    set(key, v.micro_batch_size_per_gpu, "backend.verl.micro_batch_size_per_gpu");
  }
  set(`${A}.fsdp_config.param_offload`, v.param_offload, "backend.verl.param_offload");
  set("actor_rollout_ref.ref.fsdp_config.param_offload", v.param_offload, "backend.verl.param_offload");
  set(`${A}.fsdp_config.optimizer_offload`, v.optimizer_offload, "backend.verl.optimizer_offload");
  set("trainer.nnodes", v.nnodes, "backend.verl.nnodes");
  set("trainer.n_gpus_per_node", v.n_gpus_per_node, "backend.verl.n_gpus_per_node");

  if (config.tools.enabled) {
    set(`${R}.multi_turn.enable`, true, "tools.enabled");
    set(`${R}.agent.default_agent_loop`, PLUGIN_NAMES.toolAgentLoop, "tools.enabled");
    set(`${R}.multi_turn.max_assistant_turns`, config.tools.max_calls + 1, "tools.max_calls");
  }

  set(`${R}.val_kwargs.do_sample`, !ev.sampling.greedy, "eval.sampling.greedy");
  set(`${R}.val_kwargs.n`, ev.sampling.greedy ? 1 : ev.sampling.n, "eval.sampling.n");
  set(
    `${R}.val_kwargs.temperature`,
    ev.sampling.greedy ? 0 : ev.sampling.temperature,
    "eval.sampling.temperature",
  );
  set(`${R}.val_kwargs.top_p`, ev.sampling.top_p, "eval.sampling.top_p");
  set("trainer.test_freq", hasVal ? (ev.every_steps ?? -1) : -1, "eval.every_steps");
  set("trainer.val_before_train", hasVal && ev.before_train, "eval.before_train");
  if (hasVal && ev.sampling.max_tokens !== rollout.max_response_length) {
    notes.push(
      `eval.sampling.max_tokens (${ev.sampling.max_tokens}): veRL's in-run validation generates within the training budget; still eval uses ${ev.sampling.max_tokens}`,
    );
  }

  set(
    "trainer.logger",
    logging.loggers.filter((l) => l !== "jsonl"),
    "logging.loggers",
  );
  set("trainer.project_name", logging.project, "logging.project");
  set(
    "trainer.experiment_name",
    logging.experiment ?? config.name,
    logging.experiment !== undefined ? "logging.experiment" : "name",
  );
  set(
    "trainer.rollout_data_dir",
    logging.samples_per_step > 0 ? files.rollouts : null,
    "logging.samples_per_step",
  );

  if (ckpt.every_steps !== null) set("trainer.save_freq", ckpt.every_steps, "checkpoint.every_steps");
  set("trainer.max_actor_ckpt_to_keep", ckpt.keep_last, "checkpoint.keep_last");
  if (opts.resumeFrom !== undefined) {
    set("trainer.resume_mode", "resume_path", "context_stages", "algorithm.reference_reset_every");
    set("trainer.resume_from_path", opts.resumeFrom, "context_stages", "algorithm.reference_reset_every");
  } else if (ckpt.resume_from !== undefined) {
    set("trainer.resume_mode", "resume_path", "checkpoint.resume_from");
    set("trainer.resume_from_path", path.resolve(ckpt.resume_from), "checkpoint.resume_from");
  } else {
    set("trainer.resume_mode", ckpt.resume === "auto" ? "auto" : "disable", "checkpoint.resume");
  }
  set(
    `${A}.checkpoint.save_contents`,
    ckpt.save_hf ? ["model", "optimizer", "extra", "hf_model"] : ["model", "optimizer", "extra"],
    "checkpoint.save_hf",
  );

  v.overrides.forEach((o, i) => {
    const eq = o.indexOf("=");
    args.push({ key: o.slice(0, eq), value: o.slice(eq + 1), from: [`backend.verl.overrides[${i}]`] });
  });

  return { argv: ["-m", "verl.trainer.main_ppo", ...args.map((a) => `${a.key}=${a.value}`)], args, notes };
}

/** `--format shell`: a script a user can run by hand (with .venv-verl's python). */
export function formatShell(launch: CompiledLaunch, python = "python"): string {
  const q = (s: string) => (/^[A-Za-z0-9_\-./=:,+[\]]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`);
  const notes = launch.notes.map((n) => `# ${n}\n`).join("");
  return `#!/usr/bin/env bash\n${notes}exec ${python} ${launch.argv.slice(0, 2).join(" ")} \\\n${launch.args
    .map((a) => `  ${q(`${a.key}=${a.value}`)}`)
    .join(" \\\n")}\n`;
}

/** `--format yaml`: the overrides as a YAML list, each with the run-config paths it came from. */
export function formatYaml(launch: CompiledLaunch): string {
  const lines = ["command: python -m verl.trainer.main_ppo", "overrides:"];
  for (const a of launch.args) {
    lines.push(
      `  - ${JSON.stringify(`${a.key}=${a.value}`)}${a.from.length > 0 ? `  # ${a.from.join(", ")}` : ""}`,
    );
  }
  if (launch.notes.length > 0) lines.push("notes:", ...launch.notes.map((n) => `  - ${JSON.stringify(n)}`));
  return `${lines.join("\n")}\n`;
}
