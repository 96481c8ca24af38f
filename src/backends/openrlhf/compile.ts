import type { RunConfig } from "../../config/index.js";

/**
 * A run config compiled to `python -m openrlhf.cli.train_ppo_ray` flags (OpenRLHF 0.11's dotted spelling).
 * Every field of the run config is claimed by one of: a flag, the TS side (reward server, data conversion,
 * relaunch orchestration, evaluation of saved checkpoints), or a compile error naming its YAML path. Only
 * full flag names are emitted: argparse would also take abbreviations, and OpenRLHF renamed flags before.
 */

export interface CompileIssue {
  path: string;
  message: string;
}

export interface OpenrlhfCommand {
  /** Flags after `python -m openrlhf.cli.train_ppo_ray`. */
  argv: string[];
  /** Flag → the YAML paths its value came from (to report OpenRLHF's errors against the run config). */
  origins: Record<string, string[]>;
  /** YAML path → how the TS side honours it. */
  ts: Record<string, string>;
  issues: CompileIssue[];
}

/** What the launcher decides (paths of the converted data, the reward server, the checkpoint directory). */
export interface OpenrlhfTargets {
  model: string;
  trainData: string;
  rewardUrl: string;
  ckptDir: string;
  /** The tool agent module, when tools.enabled. */
  agentPath?: string;
}

export const OPENRLHF_VERSION = "0.11.2";
export const WANDB_KEY_FROM_ENV = "env:WANDB_API_KEY";
export const OPENRLHF_MODULE = "openrlhf.cli.train_ppo_ray";

/** The converted JSONL's columns: the prompt as TS rendered it, and the ground truth. */
export const DATA_KEYS = { input: "prompt", label: "answer" } as const;

/** GRPO is OpenRLHF's group_norm; without the std division it is Dr. GRPO's mean-only centring. */
function estimator(c: RunConfig): string {
  const a = c.algorithm;
  switch (a.advantage_estimator) {
    case "grpo":
      return a.norm_adv_by_std ? "group_norm" : "dr_grpo";
    case "rloo":
      return "rloo";
    case "reinforce++":
      return "reinforce";
    case "gae":
      return "gae";
  }
}

class Builder {
  readonly argv: string[] = [];
  readonly origins: Record<string, string[]> = {};
  readonly ts: Record<string, string> = {};
  readonly issues: CompileIssue[] = [];
  /** Every YAML path some rule looked at, so a test can prove no field is left unclaimed. */
  readonly claimed = new Set<string>();

  flag(name: string, value: string | number | readonly (string | number)[], ...paths: string[]): void {
    this.argv.push(name, ...(Array.isArray(value) ? value : [value]).map(String));
    this.origins[name] = paths;
    for (const p of paths) this.claimed.add(p);
  }

  on(name: string, enabled: boolean, ...paths: string[]): void {
    for (const p of paths) this.claimed.add(p);
    if (!enabled) return;
    this.argv.push(name);
    this.origins[name] = paths;
  }

  byTs(why: string, ...paths: string[]): void {
    for (const p of paths) {
      this.ts[p] = why;
      this.claimed.add(p);
    }
  }

  refuse(path: string, message: string): void {
    this.issues.push({ path, message });
    this.claimed.add(path);
  }

  claim(...paths: string[]): void {
    for (const p of paths) this.claimed.add(p);
  }
}

export function compileOpenrlhf(
  c: RunConfig,
  t: OpenrlhfTargets,
): OpenrlhfCommand & { claimed: Set<string> } {
  const b = new Builder();
  const o = c.backend.openrlhf;
  const a = c.algorithm;

  b.byTs("run directory, tracker run name", "name", "description", "run_dir", "python", "backend.type");
  b.flag("--train.seed", c.seed, "seed");

  // Model.
  b.flag("--actor.model_name_or_path", t.model, "model.path");
  if (c.model.tokenizer !== undefined)
    b.refuse("model.tokenizer", "OpenRLHF loads the tokenizer from the model directory");
  else b.claim("model.tokenizer");
  if (c.model.chat_template !== undefined)
    b.refuse("model.chat_template", "prompts are rendered from prompt.template by still-rl; remove it");
  else b.claim("model.chat_template");
  if (c.model.dtype === "float32")
    b.refuse("model.dtype", "OpenRLHF trains in bf16 or fp16 (DeepSpeed): use bfloat16 or float16");
  else b.flag("--ds.param_dtype", c.model.dtype === "float16" ? "fp16" : "bf16", "model.dtype");
  b.byTs(
    "checked before launch: OpenRLHF always loads with trust_remote_code=True, so a model with custom code is refused unless this is true",
    "model.trust_remote_code",
  );

  // Data: TS converts the files into one JSONL with the rendered prompt and the ground truth.
  b.flag("--data.prompt_dataset", t.trainData, "data.train_files");
  b.flag("--data.input_key", DATA_KEYS.input, "data.prompt_key");
  b.flag("--data.label_key", DATA_KEYS.label, "data.answer_key");
  b.byTs(
    "converted into the job's JSONL by still-rl (prompt rendered from prompt.template, answer, data source)",
    "data.prompt_key",
    "data.answer_key",
    "data.source_key",
    "prompt.template",
    "prompt.text",
  );
  if (c.data.eval_files.length > 0)
    b.refuse("data.eval_files", "held-out files are evaluated with eval.benchmarks on saved checkpoints");
  else b.claim("data.eval_files");
  if (c.data.max_samples !== null) b.flag("--data.max_samples", c.data.max_samples, "data.max_samples");
  else b.claim("data.max_samples");
  if (!c.data.shuffle) b.refuse("data.shuffle", "OpenRLHF always shuffles the prompts");
  else b.claim("data.shuffle");
  if (c.data.seed !== c.seed)
    b.refuse(
      "data.seed",
      `OpenRLHF shuffles with the run's seed (${c.seed}): set data.seed to it or remove it`,
    );
  else b.claim("data.seed");

  // Rollout.
  b.flag("--rollout.batch_size", a.train_batch_size, "algorithm.train_batch_size");
  b.flag("--rollout.n_samples_per_prompt", c.rollout.n, "rollout.n");
  b.flag("--rollout.temperature", c.rollout.temperature, "rollout.temperature");
  b.flag("--rollout.top_p", c.rollout.top_p, "rollout.top_p");
  if (c.rollout.top_k > 0) b.refuse("rollout.top_k", "OpenRLHF 0.11 has no top-k sampling flag");
  else b.claim("rollout.top_k");
  if (c.rollout.stop.length > 0)
    b.refuse(
      "rollout.stop",
      "OpenRLHF 0.11 has no stop-string flag (tool runs set their stops in the agent)",
    );
  else b.claim("rollout.stop");
  const firstBudget = c.context_stages[0]?.max_response_length ?? c.rollout.max_response_length;
  b.flag("--rollout.max_new_tokens", firstBudget, "rollout.max_response_length", "context_stages");
  b.flag("--data.max_len", c.rollout.max_prompt_length + firstBudget, "rollout.max_prompt_length");
  if (c.context_stages.length > 1)
    b.byTs(
      "each stage is a relaunch with its --rollout.max_new_tokens, resumed from the checkpoint",
      "context_stages",
    );

  // Optimisation.
  b.flag(
    "--algo.advantage.estimator",
    estimator(c),
    "algorithm.advantage_estimator",
    "algorithm.norm_adv_by_std",
  );
  if (a.advantage_estimator === "reinforce++") b.on("--algo.advantage.no_std_norm", !a.norm_adv_by_std);
  else if (a.advantage_estimator === "rloo" && !a.norm_adv_by_std) b.claim("algorithm.norm_adv_by_std");
  else if (a.advantage_estimator === "rloo" || a.advantage_estimator === "gae")
    b.refuse(
      "algorithm.norm_adv_by_std",
      `OpenRLHF's ${estimator(c)} does not divide by the group std: set false`,
    );
  b.flag("--train.batch_size", a.mini_batch_size * c.rollout.n, "algorithm.mini_batch_size", "rollout.n");
  b.flag("--train.max_epochs", a.epochs, "algorithm.epochs");
  b.flag("--actor.adam.lr", a.lr, "algorithm.lr");
  b.flag("--actor.adam.weight_decay", a.weight_decay, "algorithm.weight_decay");
  b.flag("--actor.max_norm", a.max_grad_norm, "algorithm.max_grad_norm");
  const cosine = a.lr_schedule.type === "cosine";
  b.flag(
    "--actor.lr_scheduler",
    cosine ? "cosine_with_min_lr" : "constant_with_warmup",
    "algorithm.lr_schedule.type",
  );
  b.flag(
    "--actor.min_lr_ratio",
    cosine ? a.lr_schedule.min_lr_ratio : 0,
    "algorithm.lr_schedule.min_lr_ratio",
  );
  const updatesPerStep = (a.train_batch_size / a.mini_batch_size) * a.epochs;
  if (a.lr_schedule.warmup_steps === 0)
    b.flag("--actor.lr_warmup_ratio", 0, "algorithm.lr_schedule.warmup_steps");
  else if (a.total_steps === null)
    b.refuse(
      "algorithm.lr_schedule.warmup_steps",
      "OpenRLHF takes warmup as a ratio of all optimizer steps: set algorithm.total_steps so it can be computed",
    );
  else
    b.flag(
      "--actor.lr_warmup_ratio",
      Math.min(1, a.lr_schedule.warmup_steps / (a.total_steps * updatesPerStep)),
      "algorithm.lr_schedule.warmup_steps",
      "algorithm.total_steps",
    );
  if (a.clip_ratio_low === a.clip_ratio_high)
    b.flag("--actor.eps_clip", a.clip_ratio_low, "algorithm.clip_ratio_low", "algorithm.clip_ratio_high");
  else
    b.flag(
      "--actor.eps_clip_low_high",
      [a.clip_ratio_low, a.clip_ratio_high],
      "algorithm.clip_ratio_low",
      "algorithm.clip_ratio_high",
    );
  if (a.loss_aggregation === "seq-mean-token-sum")
    b.refuse("algorithm.loss_aggregation", "OpenRLHF has token-mean and seq-mean-token-mean only");
  else b.flag("--actor.loss_agg_mode", a.loss_aggregation, "algorithm.loss_aggregation");
  if (a.entropy_coef > 0) b.flag("--actor.entropy_coef", a.entropy_coef, "algorithm.entropy_coef");
  else b.claim("algorithm.entropy_coef");
  if (a.advantage_estimator === "gae") {
    b.flag("--algo.advantage.gamma", a.gamma, "algorithm.gamma");
    b.flag("--algo.advantage.lambd", a.lam, "algorithm.lam");
  } else {
    for (const key of ["gamma", "lam"] as const) {
      if (a[key] !== 1) b.refuse(`algorithm.${key}`, "only used with advantage_estimator gae (set 1)");
      else b.claim(`algorithm.${key}`);
    }
  }

  // KL: OpenRLHF's coefficient is fixed for a launch (or adaptive, which the report does not use).
  const kl = a.kl;
  b.claim(
    "algorithm.kl.mode",
    "algorithm.kl.to",
    "algorithm.kl.from",
    "algorithm.kl.steps",
    "algorithm.kl.coef",
  );
  if (kl.mode === "none") {
    b.flag("--algo.kl.init_coef", 0, "algorithm.kl.mode");
    b.claim("algorithm.kl.estimator", "algorithm.kl.placement");
  } else if (kl.mode === "cosine") {
    b.claim("algorithm.kl.estimator", "algorithm.kl.placement");
    b.refuse(
      "algorithm.kl.mode",
      "cosine KL annealing needs a per-step coefficient: use backend verl (or fixed)",
    );
  } else {
    b.flag("--algo.kl.init_coef", kl.coef ?? 0, "algorithm.kl.coef");
    if (kl.estimator === "low_var_kl")
      b.refuse("algorithm.kl.estimator", "OpenRLHF has k1, k2 and k3 (low_var_kl is veRL's clipped k3)");
    else b.flag("--algo.kl.estimator", kl.estimator, "algorithm.kl.estimator");
    b.on("--algo.kl.use_loss", kl.placement === "loss", "algorithm.kl.placement");
  }
  if (a.reference_reset_every !== null)
    b.byTs(
      "relaunch every N steps from the saved HF policy (--ckpt.save_hf) as the new reference, resuming the optimizer",
      "algorithm.reference_reset_every",
    );
  else b.claim("algorithm.reference_reset_every");
  b.flag("--train.num_episodes", a.total_epochs, "algorithm.total_epochs");
  if (a.total_steps !== null)
    b.byTs("the launcher stops the job after the checkpoint of this step", "algorithm.total_steps");
  else b.claim("algorithm.total_steps");

  // Rewards: the TS reward service, over OpenRLHF's HTTP remote-reward contract.
  if (c.tools.enabled && t.agentPath !== undefined) {
    b.flag("--train.agent_func_path", t.agentPath, "tools.enabled");
  } else if (c.tools.enabled) {
    b.refuse("tools.enabled", "the tool agent module path is missing (set by the launcher)");
  } else {
    b.flag("--reward.remote_url", t.rewardUrl, "rewards");
  }
  b.byTs("still reward serve (HTTP /get_reward)", "rewards");
  b.byTs("the tool agent runs code in the still-rl sandbox over the bridge", "tools");
  if (c.sft !== undefined)
    b.refuse("sft", "SFT runs with backend hf (or OpenRLHF's train_sft), not in an RL job");
  else b.claim("sft");
  b.byTs(
    "still eval on each saved HF checkpoint (OpenRLHF's in-job eval takes one sampling setting)",
    "eval",
  );

  // Cluster layout.
  b.flag("--actor.num_nodes", o.actor_num_nodes, "backend.openrlhf.actor_num_nodes");
  b.flag("--actor.num_gpus_per_node", o.actor_num_gpus_per_node, "backend.openrlhf.actor_num_gpus_per_node");
  const needRef = kl.mode !== "none";
  b.claim("backend.openrlhf.ref_num_nodes", "backend.openrlhf.ref_num_gpus_per_node");
  if (needRef) {
    b.flag("--ref.num_nodes", o.ref_num_nodes, "backend.openrlhf.ref_num_nodes");
    b.flag("--ref.num_gpus_per_node", o.ref_num_gpus_per_node, "backend.openrlhf.ref_num_gpus_per_node");
  }
  b.on("--train.colocate_actor_ref", o.colocate_actor_ref && needRef, "backend.openrlhf.colocate_actor_ref");
  b.flag("--vllm.num_engines", o.vllm_num_engines, "backend.openrlhf.vllm_num_engines");
  b.flag(
    "--vllm.tensor_parallel_size",
    o.vllm_tensor_parallel_size,
    "backend.openrlhf.vllm_tensor_parallel_size",
  );
  b.flag(
    "--vllm.gpu_memory_utilization",
    o.vllm_gpu_memory_utilization,
    "backend.openrlhf.vllm_gpu_memory_utilization",
  );
  b.flag("--train.micro_batch_size", o.micro_train_batch_size, "backend.openrlhf.micro_train_batch_size");
  b.flag(
    "--rollout.micro_batch_size",
    o.micro_rollout_batch_size,
    "backend.openrlhf.micro_rollout_batch_size",
  );
  b.flag("--ds.zero_stage", o.zero_stage, "backend.openrlhf.zero_stage");
  if (!o.bf16 && c.model.dtype !== "float16")
    b.refuse("backend.openrlhf.bf16", "false needs model.dtype float16 (DeepSpeed trains in bf16 or fp16)");
  else b.claim("backend.openrlhf.bf16");
  b.flag(
    "--ds.attn_implementation",
    o.flash_attn ? "flash_attention_2" : "sdpa",
    "backend.openrlhf.flash_attn",
  );
  b.on("--ds.packing_samples", o.packing_samples, "backend.openrlhf.packing_samples");
  if (o.packing_samples && !o.flash_attn)
    b.refuse(
      "backend.openrlhf.packing_samples",
      "packing needs flash attention (backend.openrlhf.flash_attn)",
    );
  b.on(
    "--actor.gradient_checkpointing_enable",
    o.gradient_checkpointing,
    "backend.openrlhf.gradient_checkpointing",
  );
  b.claim("backend.openrlhf.extra_args");
  b.argv.push(...o.extra_args);
  for (const arg of o.extra_args)
    if (arg.startsWith("--")) b.origins[arg.split("=")[0]!] = ["backend.openrlhf.extra_args"];
  b.byTs("still-rl's other backends' settings, unused here", "backend.hf", "backend.verl");
  b.byTs("ray job submit (address, runtime_env) or a local process", "cluster");

  // Checkpoints: HF snapshots are what reference resets, stages and evaluation reload.
  b.flag("--ckpt.path", t.ckptDir, "checkpoint");
  const saveEvery = c.checkpoint.every_steps ?? -1;
  b.flag("--ckpt.save_steps", saveEvery, "checkpoint.every_steps");
  const needHf = c.checkpoint.save_hf || a.reference_reset_every !== null || c.context_stages.length > 1;
  b.on("--ckpt.save_hf", needHf, "checkpoint.save_hf");
  b.flag("--ckpt.max_num", c.checkpoint.keep_last ?? 1_000_000, "checkpoint.keep_last");
  b.on("--ckpt.load_enable", c.checkpoint.resume === "auto", "checkpoint.resume");
  if (c.checkpoint.resume_from !== undefined)
    b.refuse(
      "checkpoint.resume_from",
      "OpenRLHF resumes from --ckpt.path only: point checkpoint at that run",
    );
  else b.claim("checkpoint.resume_from");

  // Logging: OpenRLHF's own loggers.
  const loggers = c.logging.loggers;
  b.claim("logging.loggers", "logging.samples_per_step");
  if (loggers.includes("wandb")) {
    // OpenRLHF turns wandb on by a key flag and logs in with it only when WANDB_API_KEY is not set: the real key
    // travels in the job's environment, never on a command line that `ps` and the Ray dashboard show.
    b.flag("--logger.wandb.key", WANDB_KEY_FROM_ENV, "logging.loggers");
    b.flag("--logger.wandb.project", c.logging.project, "logging.project");
    b.flag("--logger.wandb.run_name", c.logging.experiment ?? c.name, "logging.experiment", "name");
  } else b.claim("logging.project", "logging.experiment");
  if (loggers.includes("tensorboard"))
    b.flag("--logger.tensorboard_dir", `${t.ckptDir}/tensorboard`, "logging.loggers");
  b.flag("--logger.logging_steps", c.logging.every_steps, "logging.every_steps");
  b.byTs("metrics.jsonl is read back from OpenRLHF's logs by the launcher", "logging.samples_per_step");

  return { argv: b.argv, origins: b.origins, ts: b.ts, issues: b.issues, claimed: b.claimed };
}

/** The YAML paths an OpenRLHF error names, from the flags it mentions. */
export function yamlPathsOf(flags: readonly string[], origins: Record<string, string[]>): string[] {
  const out = new Set<string>();
  for (const f of flags) for (const p of origins[f] ?? []) out.add(p);
  return [...out];
}
