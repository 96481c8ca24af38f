import { existsSync } from "node:fs";
import path from "node:path";
import { TINY_MODEL_PREFIX } from "../config/index.js";
import { buildTinyModel } from "../engines/tiny.js";
import { TINY_PRESETS } from "../engines/tiny-presets.js";
import { UserError } from "../util/errors.js";

/**
 * `tiny:<name>` models (presets in src/engines/tiny-presets.ts): built in code (random weights, byte-level
 * tokenizer) into the run directory, seeded by the run seed, so a run needs no download.
 */

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
