/**
 * Named tiny models for `model.path: tiny:<name>` (hf backend): builder options for buildTinyModel, so a config
 * names a size instead of carrying builder flags.
 */
import { TINY_MODEL_PREFIX } from "../config/index.js";
import type { TinyModelOptions } from "./tiny.js";

export const TINY_PRESETS: Record<string, Omit<TinyModelOptions, "seed" | "python">> = {
  /** 2 layers, hidden 128, 4 heads (2 KV), MLP 512: about 0.5 M parameters (the demo's). */
  qwen2: { layers: 2, hidden: 128, heads: 4, kvHeads: 2, intermediate: 512, maxPositions: 1024 },
  /** Hidden 64 (otherwise the builder's defaults): the tool demo's model (learns its copy task in CPU minutes). */
  "qwen2-small": { hidden: 64 },
  /** Even smaller, for fast integration tests. */
  "qwen2-micro": { layers: 1, hidden: 32, heads: 2, kvHeads: 1, intermediate: 64, maxPositions: 512 },
};

/** The builder options of a `tiny:<name>` model path; throws naming the known presets. */
export function tinyPreset(modelPath: string): TinyModelOptions {
  const name = modelPath.startsWith(TINY_MODEL_PREFIX) ? modelPath.slice(TINY_MODEL_PREFIX.length) : null;
  const preset = name === null ? undefined : TINY_PRESETS[name];
  if (!preset) {
    const known = Object.keys(TINY_PRESETS).map((k) => `${TINY_MODEL_PREFIX}${k}`);
    throw new Error(`unknown tiny model "${modelPath}" (known: ${known.join(", ")})`);
  }
  return preset;
}
