import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Engine } from "../engines/engine.js";
import type { SamplerState } from "./sampler.js";

/**
 * A checkpoint is `DIR/checkpoints/step_<N>/` with the engine's state (`engine/`: model, reference,
 * optimizer, RNG) and `trainer.json`. It is written to a temporary directory and renamed, so a crash while
 * saving never leaves a half checkpoint that a resume would pick.
 */

export interface TrainerState {
  format: 1;
  /** Last completed RL step (0: none yet). */
  step: number;
  sampler: SamplerState;
  sft: { step: number; sampler: SamplerState; done: boolean };
  /** Wall time already spent, for the ETA and the final summary. */
  elapsedS: number;
}

const PREFIX = "step_";

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, "checkpoints");
}

function label(state: TrainerState): string {
  // SFT checkpoints sort before RL ones: sft_ < step_.
  return state.sft.done
    ? `${PREFIX}${String(state.step).padStart(6, "0")}`
    : `sft_${String(state.sft.step).padStart(6, "0")}`;
}

export async function saveCheckpoint(
  runDir: string,
  engine: Engine,
  state: TrainerState,
  keepLast: number | null,
): Promise<string> {
  const root = checkpointsDir(runDir);
  mkdirSync(root, { recursive: true });
  const final = path.join(root, label(state));
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await engine.save(path.join(tmp, "engine"));
  writeFileSync(path.join(tmp, "trainer.json"), `${JSON.stringify(state, null, 2)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  if (keepLast !== null) {
    for (const old of listCheckpoints(runDir).slice(0, -keepLast))
      rmSync(old, { recursive: true, force: true });
  }
  return final;
}

/** Complete checkpoints of a run, oldest first. */
export function listCheckpoints(runDir: string): string[] {
  const root = checkpointsDir(runDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^(sft|step)_\d+$/.test(d) && existsSync(path.join(root, d, "trainer.json")))
    .sort()
    .map((d) => path.join(root, d));
}

export function readTrainerState(checkpoint: string): TrainerState {
  const state = JSON.parse(readFileSync(path.join(checkpoint, "trainer.json"), "utf8")) as TrainerState;
  if (state.format !== 1)
    throw new Error(`${checkpoint}: unknown trainer state format ${String(state.format)}`);
  return state;
}
