import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { samplesFromOpenRlhf } from "../../src/rewards/http.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { type RewardService, serveRewards } from "../../src/rewards/service.js";
import { loadTokenCounter, resolveTokenizerDir, type TokenCounter } from "../../src/rewards/tokens.js";

const TEXTS = [
  "Hello World",
  "The answer is \\boxed{42}.",
  "日本語のテキスト 123456 and ünïcödé",
  "  leading spaces\n\nnewlines\tand tabs  ",
  "Wait, let me verify: 7*6 = 42. However, alternatively...",
  "<|endoftext|>",
  "x<|endoftext|>y",
  "",
];

describe("token counts for text-only callers (OpenRLHF's HTTP contract)", () => {
  let dir: string;
  let tokens: TokenCounter;
  beforeAll(async () => {
    dir = await buildTinyModel(path.join(mkdtempSync(path.join(tmpdir(), "still-tokens-")), "model"));
    tokens = loadTokenCounter(dir);
  }, 120_000);

  it("counts exactly what the Python tokenizer of the run counts", async () => {
    const script =
      "import json,sys\nfrom transformers import AutoTokenizer\nt=AutoTokenizer.from_pretrained(sys.argv[1])\n" +
      "print(json.dumps([len(t(s, add_special_tokens=False)['input_ids']) for s in json.loads(sys.argv[2])]))";
    const r = await execa(resolvePython().executable, ["-c", script, dir, JSON.stringify(TEXTS)], {
      env: pythonEnv({ HF_HUB_OFFLINE: "1" }),
    });
    expect(TEXTS.map((t) => tokens.count(t))).toEqual(JSON.parse(r.stdout));
  });

  it("reads the end-of-sequence token from the tokenizer config", () => {
    expect(tokens.eos).toBe("<|endoftext|>");
  });

  it("finds a hub id in the Hugging Face cache and nothing else", () => {
    const hub = mkdtempSync(path.join(tmpdir(), "still-hub-"));
    expect(resolveTokenizerDir("org/model", { HF_HUB_CACHE: hub })).toBeNull();
    expect(resolveTokenizerDir("tiny:qwen2", { HF_HUB_CACHE: hub })).toBeNull();
    expect(resolveTokenizerDir(dir, {})).toBe(dir);
    expect(() => loadTokenCounter("/nonexistent/tokenizer")).toThrow(/pass --tokenizer DIR/);
  });

  it("gives OpenRLHF samples their token count and truncation flag", () => {
    const prompt = "Q: 6*7? A: ";
    const [done, cut] = samplesFromOpenRlhf(
      {
        query: [`${prompt}\\boxed{42}<|endoftext|>`, `${prompt}Let me add 6 seven times: 6, 12`],
        prompts: [prompt, prompt],
        labels: ["42", "42"],
      },
      tokens,
    );
    expect(done).toMatchObject({
      truncated: false,
      responseTokens: tokens.count("\\boxed{42}<|endoftext|>"),
    });
    expect(cut).toMatchObject({
      truncated: true,
      responseTokens: tokens.count("Let me add 6 seven times: 6, 12"),
    });
  });

  describe("over HTTP, a length-based reward uses the exact count", () => {
    let service: RewardService;
    beforeAll(async () => {
      const config = runConfigSchema.parse({
        model: { path: "m" },
        rollout: { max_response_length: 100 },
        rewards: { components: [{ name: "length" }] },
      });
      service = await serveRewards(planFromConfig(config), {
        http: { port: 0, tokens },
        threads: 1,
        signals: false,
      });
    });
    afterAll(() => service.stop());

    it("scores RRL with L = tokens of the response", async () => {
      const prompt = "Q: 6*7? A: ";
      const response = "six times seven is \\boxed{42}<|endoftext|>";
      const res = await fetch(`${service.http!.url}/get_reward`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: [prompt + response], prompts: [prompt], labels: ["42"] }),
      });
      const body = (await res.json()) as { rewards: number[] };
      // RRL: L / L_max + 1 for a correct answer.
      expect(body.rewards[0]).toBeCloseTo(tokens.count(response) / 100 + 1, 10);
      expect(tokens.count(response)).not.toBe(Math.ceil(response.length / 4));
    });
  });
});
