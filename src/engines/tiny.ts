/**
 * Builds the tiny offline model (a small random Qwen2 with a byte-level tokenizer) that the demo and the tests
 * train, by running `python -m still_rl.engines.hf.tiny`. Same options and seed, same weights.
 */
import { execa } from "execa";
import { pythonEnv, resolvePython } from "../pyenv/python.js";

export interface TinyModelOptions {
  layers?: number;
  hidden?: number;
  heads?: number;
  kvHeads?: number;
  /** MLP width; default 4 × hidden. */
  intermediate?: number;
  maxPositions?: number;
  seed?: number;
  python?: string;
}

/** Writes the model into `dir` (a Hugging Face model directory) and returns `dir`. */
export async function buildTinyModel(dir: string, options: TinyModelOptions = {}): Promise<string> {
  const flags: [string, number | undefined][] = [
    ["--layers", options.layers],
    ["--hidden", options.hidden],
    ["--heads", options.heads],
    ["--kv-heads", options.kvHeads],
    ["--intermediate", options.intermediate],
    ["--max-positions", options.maxPositions],
    ["--seed", options.seed],
  ];
  const args = ["-m", "still_rl.engines.hf.tiny", "--out", dir];
  for (const [flag, value] of flags) if (value !== undefined) args.push(flag, String(value));
  const result = await execa(resolvePython(options.python).executable, args, {
    env: pythonEnv({ HF_HUB_OFFLINE: "1" }),
    extendEnv: false,
    reject: false,
  });
  if (result.exitCode !== 0) {
    const tail = String(result.stderr).trim().split("\n").slice(-10).join("\n  ");
    throw new Error(`building the tiny model in ${dir} failed (exit ${result.exitCode}):\n  ${tail}`);
  }
  return dir;
}
