import type { RunConfig } from "../config/index.js";
import type { Check } from "../doctor/doctor.js";
import type { ProgressSink } from "../train/progress.js";
import type { TrainResult } from "../train/trainer.js";

/**
 * One training backend (the HF driver loop, veRL, OpenRLHF) behind one small interface: `still train`,
 * `still doctor` and `still config compile` only talk to this. Everything backend-specific lives in the
 * backend's own folder.
 */
export interface Backend {
  type: RunConfig["backend"]["type"];
  /**
   * Knobs of this config the backend cannot honour, each naming its YAML path. A run with any is refused
   * before anything starts.
   */
  refusals(config: RunConfig): PathIssue[];
  /** Environment checks a run of this config needs (doctor), beyond the ones every run needs. */
  doctor(config: RunConfig): Promise<Check[]>;
  /** The launch command of an external framework; absent for the built-in driver loop. */
  compile?(config: RunConfig, runDir: string): CompiledLaunch;
  /** Run training to the end (or to the abort, at a step boundary). */
  run(opts: BackendRunOptions): Promise<TrainResult>;
}

/** A problem with one value of the run config: `path` is its dotted YAML path (`rollout.stop`). */
export interface PathIssue {
  path: string;
  message: string;
}

export interface BackendRunOptions {
  config: RunConfig;
  runDir: string;
  /** Continue from the newest checkpoint in `runDir`. */
  resume: boolean;
  /** Continue from this checkpoint directory instead. */
  resumeFrom?: string;
  progress: ProgressSink;
  /** Ctrl-C: stop cleanly (a step boundary for the driver loop, the job for an external framework). */
  signal: AbortSignal;
}

/** One `key=value` of an external launcher, with the YAML path(s) of the run config it came from. */
export interface CompiledArg {
  key: string;
  value: string;
  /** YAML paths that produced it; empty for what every launch sets (the plugin, the run's files). */
  from: string[];
}

export interface CompiledLaunch {
  /** argv of the launch, interpreter excluded (e.g. `-m verl.trainer.main_ppo`, then `key=value`…). */
  argv: string[];
  args: CompiledArg[];
  /** What the config asks that the launcher, the plugin or a relaunch does instead of a framework key. */
  notes: string[];
}
