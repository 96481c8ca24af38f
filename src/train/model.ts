import { existsSync } from "node:fs";
import path from "node:path";
import { TINY_MODEL_PREFIX } from "../config/index.js";
import { buildTinyModel, type TinyModelOptions } from "../engines/tiny.js";
import { UserError } from "../util/errors.js";

/**
 * `tiny:<name>` models: built in code (random weights, byte-level tokenizer) into the run directory, seeded by
 * the run seed, so a run needs no download. The presets are the sizes the demo and tests use.
 */
export const TINY_PRESETS: Record<string, Omit<TinyModelOptions, "seed" | "python">> = {
  /** 2 layers, hidden 128, 4 heads (2 KV), MLP 512: about 0.5 M parameters. */
  qwen2: { layers: 2, hidden: 128, heads: 4, kvHeads: 2, intermediate: 512, maxPositions: 1024 },
  /** Even smaller, for fast integration tests. */
  "qwen2-micro": { layers: 1, hidden: 32, heads: 2, kvHeads: 1, intermediate: 64, maxPositions: 512 },
};

/** The model directory the engine loads: the configured path, or the tiny model built under the run dir. */
export async function resolveModel(
  modelPath: string,
  runDir: string,
  seed: number,
  python?: string,
): Promise<string> {
  if (!modelPath.startsWith(TINY_MODEL_PREFIX)) return modelPath;
  const name = modelPath.slice(TINY_MODEL_PREFIX.length);
  const preset = TINY_PRESETS[name];
  if (preset === undefined) {
    throw new UserError(
      `model.path: unknown tiny model "${modelPath}"; expected one of ${Object.keys(TINY_PRESETS)
        .map((n) => TINY_MODEL_PREFIX + n)
        .join(", ")}`,
    );
  }
  const dir = path.join(runDir, "model");
  if (!existsSync(path.join(dir, "config.json"))) await buildTinyModel(dir, { ...preset, seed, python });
  return dir;
}
