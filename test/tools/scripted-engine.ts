import type { Completion, Engine, GenerateRequest } from "../../src/engines/engine.js";

/**
 * An Engine whose "model" is a function from the full context to the text it writes next, one token per UTF-16
 * code unit. It applies the Engine contract the loop depends on (stop strings kept in the output, maxNewTokens,
 * n samples, new tokens only) so the rollout logic can be tested exactly; the real engine is exercised by
 * test/tools/rollout-hf.test.ts.
 */
export class ScriptedEngine implements Engine {
  readonly info = {
    engine: "scripted",
    model: "script",
    device: "cpu",
    dtype: "none",
    vocabSize: 65536,
    eosTokenId: 3,
    padTokenId: 0,
  };
  readonly requests: GenerateRequest[] = [];

  constructor(private readonly model: (context: string, sample: number) => string) {}

  async tokenize(texts: string[]): Promise<Int32Array[]> {
    return texts.map((t) => Int32Array.from(t, (c) => c.charCodeAt(0)));
  }

  async detokenize(ids: Int32Array[]): Promise<string[]> {
    return ids.map((a) => String.fromCharCode(...a));
  }

  async generate(request: GenerateRequest): Promise<Completion[]> {
    this.requests.push(structuredClone(request));
    const { params } = request;
    const out: Completion[] = [];
    for (const [input, ids] of request.inputs.entries()) {
      const context = String.fromCharCode(...ids);
      for (let sample = 0; sample < params.n; sample++) {
        const wants = this.model(context, sample);
        let text = "";
        let finishReason: Completion["finishReason"] = "stop";
        let stopString: string | null = null;
        for (const ch of wants) {
          if (text.length === params.maxNewTokens) {
            finishReason = "length";
            break;
          }
          text += ch;
          stopString = params.stop.find((s) => text.endsWith(s)) ?? null;
          if (stopString !== null) break;
        }
        if (stopString === null && finishReason === "stop" && text.length === params.maxNewTokens) {
          finishReason = text.length === wants.length ? "stop" : "length";
        }
        // Like the HF engine: a response that ends on its own carries the EOS token (not in `text`).
        const tokens = Array.from(text, (c) => c.charCodeAt(0));
        if (finishReason === "stop" && stopString === null) tokens.push(this.info.eosTokenId);
        out.push({
          input,
          sample,
          tokenIds: Int32Array.from(tokens),
          text,
          finishReason,
          stopString,
          logprobs: params.returnLogprobs ? Float32Array.from(tokens, () => -0.5) : null,
        });
      }
    }
    return out;
  }

  logprobs(): never {
    throw new Error("not used");
  }
  update(): never {
    throw new Error("not used");
  }
  sftStep(): never {
    throw new Error("not used");
  }
  save(): never {
    throw new Error("not used");
  }
  load(): never {
    throw new Error("not used");
  }
  resetReference(): never {
    throw new Error("not used");
  }
  async shutdown(): Promise<void> {}
}
