import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { UserError } from "../util/errors.js";

/**
 * Token counts for callers that send text only. OpenRLHF's remote-reward contract carries the decoded
 * prompt + response and no token ids, while length-based rewards (RRL, QS, RS) and overlength masking need
 * the response's length in tokens and whether it ended on its own. The run's own `tokenizer.json` is read by
 * tokenizers.js (a pure-JS port of Hugging Face tokenizers) in this process: no Python round trip per request.
 */
export interface TokenCounter {
  /** Directory the tokenizer came from (for messages). */
  readonly source: string;
  /** Tokens of `text` as generated (special tokens written out in the text count as one token each). */
  count(text: string): number;
  /** The end-of-sequence token as text: a response that ends with it stopped on its own. */
  readonly eos: string | null;
}

/** A local directory, or a hub id found in the Hugging Face cache (nothing is downloaded). */
export function resolveTokenizerDir(ref: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (existsSync(path.join(ref, "tokenizer.json"))) return ref;
  if (!/^[\w.-]+\/[\w.-]+$/.test(ref)) return null;
  const hub =
    env.HF_HUB_CACHE ?? path.join(env.HF_HOME ?? path.join(homedir(), ".cache", "huggingface"), "hub");
  const snapshots = path.join(hub, `models--${ref.replace("/", "--")}`, "snapshots");
  if (!existsSync(snapshots)) return null;
  const found = readdirSync(snapshots)
    .map((s) => path.join(snapshots, s))
    .filter((d) => existsSync(path.join(d, "tokenizer.json")))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0] ?? null;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`cannot read the tokenizer file ${file}: ${(err as Error).message}`);
  }
}

function tokenText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { content?: unknown }).content === "string"
  )
    return (value as { content: string }).content;
  return null;
}

export function loadTokenCounter(ref: string): TokenCounter {
  const dir = resolveTokenizerDir(ref);
  if (dir === null) {
    throw new UserError(
      `no tokenizer.json for ${ref} (a directory, or a hub id already in the Hugging Face cache): pass --tokenizer DIR`,
    );
  }
  const tokenizerJson = readJson(path.join(dir, "tokenizer.json"));
  const configFile = path.join(dir, "tokenizer_config.json");
  const config = existsSync(configFile) ? readJson(configFile) : {};
  const tokenizer = new Tokenizer(tokenizerJson, config);
  return {
    source: dir,
    count: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length,
    eos: tokenText(config.eos_token),
  };
}
