/**
 * Named tiny models for `model.path: tiny:<name>` (hf backend): builder options for buildTinyModel, so a config
 * names a size instead of carrying builder flags.
 */
import { TINY_MODEL_PREFIX } from "../config/index.js";
import type { TinyModelOptions } from "./tiny.js";

export const TINY_PRESETS: Record<string, TinyModelOptions> = {
  /** The builder's defaults: 2 layers, hidden 128, 4 heads, 2 KV heads. */
  qwen2: {},
  /** Hidden 64: the tool demo's model (trains its copy task in a few CPU minutes). */
  "qwen2-small": { hidden: 64 },
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
