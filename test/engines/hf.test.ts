/**
 * The HF engine from TypeScript with a real Python peer and a tiny random Qwen2 built in a temp dir.
 * One engine serves the suite; every test starts from the same checkpoint (beforeEach loads it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeadlineError, PeerLostError, RemoteError } from "../../src/bridge/errors.js";
import type {
  Completion,
  KlEstimator,
  LossAggregation,
  PolicySample,
  SamplingParams,
  UpdateOptions,
} from "../../src/engines/engine.js";
import { type HfEngine, startHfEngine } from "../../src/engines/hf.js";
import { buildTinyModel } from "../../src/engines/tiny.js";

const work = mkdtempSync(path.join(tmpdir(), "still-hf-"));
const modelDir = path.join(work, "tiny");
const initial = path.join(work, "initial");
let engine: HfEngine;
let prompts: Int32Array[];

const sampling = (over: Partial<SamplingParams> = {}): SamplingParams => ({
  n: 1,
  temperature: 1,
  topP: 1,
  topK: 0,
  maxNewTokens: 16,
  stop: [],
  seed: 0,
  returnLogprobs: true,
  ...over,
});

const updateOptions = (over: Partial<UpdateOptions> = {}): UpdateOptions => ({
  lr: 1e-2,
  clipRatioLow: 0.2,
  clipRatioHigh: 0.28,
  klCoef: 0,
  klEstimator: "low_var_kl",
  entropyCoef: 0,
  lossAggregation: "token-mean",
  maxGradNorm: 1,
  miniBatchSize: 0,
  epochs: 1,
  seed: 0,
  ...over,
});

function policyBatch(
  cs: Completion[],
  advantage: number,
  extra: { mask?: (c: Completion) => Uint8Array; ref?: Float32Array[] } = {},
): PolicySample[] {
  return cs.map((c, i) => ({
    promptIds: prompts[c.input]!,
    responseIds: c.tokenIds,
    lossMask: extra.mask ? extra.mask(c) : new Uint8Array(c.tokenIds.length).fill(1),
    advantages: new Float32Array(c.tokenIds.length).fill(advantage),
    oldLogprobs: c.logprobs as Float32Array,
    refLogprobs: extra.ref ? extra.ref[i]! : null,
  }));
}

const seqs = (cs: Completion[]) => cs.map((c) => ({ promptIds: prompts[c.input]!, responseIds: c.tokenIds }));
/** The only completion of a one-input, one-sample request. */
const only = (cs: Completion[]): Completion => {
  expect(cs.length).toBe(1);
  return cs[0]!;
};
const total = (xs: Float32Array[]) => xs.reduce((s, x) => s + x.reduce((a, b) => a + b, 0), 0);

beforeAll(async () => {
  await buildTinyModel(modelDir, { layers: 2, hidden: 64, heads: 4, kvHeads: 2, seed: 3 });
  engine = await startHfEngine({ model: modelDir, threads: 1 });
  prompts = await engine.tokenize(["Question: what is 6 times 7?\nAnswer:", "Say hi."]);
  await engine.save(initial);
});

beforeEach(async () => {
  await engine.load(initial);
});

afterAll(async () => {
  await engine?.shutdown();
  rmSync(work, { recursive: true, force: true });
});

describe("HfEngine: text and info", () => {
  it("reports the model and round-trips text through token ids", async () => {
    expect(engine.info).toMatchObject({ engine: "hf", device: "cpu", dtype: "float32", vocabSize: 260 });
    const texts = ["plain ascii", "tabs\tand\nnewlines", "ünïcødé ✓", "<|im_start|>user\nhi<|im_end|>"];
    const ids = await engine.tokenize(texts);
    expect(ids.every((x) => x instanceof Int32Array)).toBe(true);
    expect(ids[3]![0]).not.toBe(ids[0]![0]);
    expect(ids[3]!.length).toBeLessThan(texts[3]!.length); // chat markers are single tokens
    expect(await engine.detokenize(ids)).toEqual(texts);
  });
});

describe("HfEngine: generate", () => {
  it("stops at maxNewTokens with finish reason length", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling({ maxNewTokens: 7, n: 2 }) });
    for (const c of cs) {
      expect(c.finishReason).toBe("length");
      expect(c.tokenIds.length).toBe(7);
      expect(c.logprobs?.length).toBe(7);
      expect(c.stopString).toBeNull();
    }
  });

  it("returns n samples per input, in order, reproducible for a seed", async () => {
    const req = { inputs: prompts, params: sampling({ n: 3, maxNewTokens: 12, seed: 5 }) };
    const a = await engine.generate(req);
    const b = await engine.generate(req);
    const c = await engine.generate({ ...req, params: { ...req.params, seed: 6 } });
    expect(a.map((x) => [x.input, x.sample])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect(b.map((x) => [...x.tokenIds])).toEqual(a.map((x) => [...x.tokenIds]));
    expect(c.map((x) => [...x.tokenIds])).not.toEqual(a.map((x) => [...x.tokenIds]));
    expect(new Set(a.map((x) => x.tokenIds.join(","))).size).toBe(6);
  });

  it("stops right after the first stop string and keeps it", async () => {
    const free = only(
      await engine.generate({ inputs: [prompts[0]!], params: sampling({ maxNewTokens: 48, seed: 9 }) }),
    );
    const text = free.text;
    // A two-character stop string taken from the free run (token ids are not character codes: decode them).
    const pieces = await engine.detokenize([...free.tokenIds].map((t) => Int32Array.of(t)));
    const printable = (p: string | undefined) => p !== undefined && /^[!-~]$/.test(p);
    let k = 4;
    while (k + 1 < pieces.length && !(printable(pieces[k]) && printable(pieces[k + 1]))) k++;
    expect(k + 1).toBeLessThan(pieces.length);
    const stop = `${pieces[k]}${pieces[k + 1]}`;
    const end = text.indexOf(stop) + stop.length;
    const c = only(
      await engine.generate({
        inputs: [prompts[0]!],
        params: sampling({ maxNewTokens: 48, seed: 9, stop: ["never-appears", stop] }),
      }),
    );
    expect(c.finishReason).toBe("stop");
    expect(c.stopString).toBe(stop);
    expect(c.text).toBe(text.slice(0, end));
    expect([...c.tokenIds]).toEqual([...free.tokenIds.slice(0, c.tokenIds.length)]);
    expect(c.tokenIds.length).toBeLessThan(free.tokenIds.length);
  });

  it("continues from a prefix (greedy continuation equals the rest of the greedy run)", async () => {
    const greedy = sampling({ temperature: 0, maxNewTokens: 20 });
    const full = only(await engine.generate({ inputs: [prompts[1]!], params: greedy }));
    const input = Int32Array.from([...prompts[1]!, ...full.tokenIds.slice(0, 8)]);
    const rest = only(await engine.generate({ inputs: [input], params: { ...greedy, maxNewTokens: 12 } }));
    expect([...rest.tokenIds]).toEqual([...full.tokenIds.slice(8)]);
  });

  it("searches stop strings in the new text only, not in the prefix", async () => {
    const marked = (await engine.tokenize(["Say hi. [[DONE]]"]))[0]!;
    const params = sampling({ maxNewTokens: 6, stop: ["[[DONE]]"] });
    const c = only(await engine.generate({ inputs: [marked], params }));
    expect(c.finishReason).toBe("length");
    expect(c.tokenIds.length).toBe(6);
  });

  it("returns the log-probs that scoring recomputes", async () => {
    const cs = await engine.generate({
      inputs: prompts,
      params: sampling({ n: 2, maxNewTokens: 10, temperature: 0.7 }),
    });
    const scored = await engine.logprobs(seqs(cs), "policy", { temperature: 0.7 });
    cs.forEach((c, i) => {
      const recomputed = scored[i]!;
      expect(recomputed.length).toBe(c.tokenIds.length);
      const worst = Math.max(...(c.logprobs ?? []).map((lp, j) => Math.abs(lp - recomputed[j]!)));
      expect(worst).toBeLessThan(1e-4);
    });
  });

  it("rejects token ids outside the vocabulary and keeps serving", async () => {
    const bad = engine.generate({ inputs: [Int32Array.of(1, 2, 999)], params: sampling() });
    await expect(bad).rejects.toBeInstanceOf(RemoteError);
    await expect(bad).rejects.toThrow(/outside \[0, 260\)/);
    expect((await engine.generate({ inputs: prompts, params: sampling({ maxNewTokens: 2 }) })).length).toBe(
      2,
    );
  });
});

describe("HfEngine: update", () => {
  it("raises the log-probs of the sampled tokens for a positive advantage and lowers them for a negative one", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling({ n: 4 }) });
    const before = total(await engine.logprobs(seqs(cs), "policy"));
    const up = await engine.update(policyBatch(cs, 1), updateOptions());
    expect(up.steps).toBe(1);
    expect(up.gradNorm).toBeGreaterThan(0);
    const raised = total(await engine.logprobs(seqs(cs), "policy"));
    await engine.load(initial);
    await engine.update(policyBatch(cs, -1), updateOptions());
    const lowered = total(await engine.logprobs(seqs(cs), "policy"));
    expect(raised).toBeGreaterThan(before);
    expect(lowered).toBeLessThan(before);
  });

  it("gives masked tokens no gradient", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling({ n: 4 }) });
    const ref = await engine.logprobs(seqs(cs), "reference");
    const mask = (c: Completion) => Uint8Array.from(c.tokenIds, (_, j) => j % 2);
    const opts = updateOptions({ klCoef: 0.5, klEstimator: "k3", entropyCoef: 0.01 });
    const run = async (batch: PolicySample[]) => {
      await engine.load(initial);
      await engine.update(batch, opts);
      return engine.logprobs(seqs(cs), "policy");
    };
    const clean = await run(policyBatch(cs, 1, { mask, ref }));
    // Wild values at masked positions only: the update must not see them.
    const poisoned = policyBatch(cs, 1, { mask, ref }).map((s) => {
      const advantages = s.advantages.map((a, j) => (s.lossMask[j] ? a : 1e6));
      const oldLogprobs = s.oldLogprobs.map((a, j) => (s.lossMask[j] ? a : -50));
      const refLogprobs = s.refLogprobs?.map((a, j) => (s.lossMask[j] ? a : 0)) ?? null;
      return { ...s, advantages, oldLogprobs, refLogprobs };
    });
    expect(await run(poisoned)).toEqual(clean);
    // The same change at one trained position does change the result (the comparison can fail).
    const touched = policyBatch(cs, 1, { mask, ref });
    touched[0]!.advantages[1] = -5;
    expect(await run(touched)).not.toEqual(clean);
    // A batch with every token masked has no gradient at all.
    await engine.load(initial);
    const none = await engine.update(
      policyBatch(cs, 1, { mask: (c) => new Uint8Array(c.tokenIds.length) }),
      updateOptions(),
    );
    expect(none.gradNorm).toBe(0);
  });

  it("computes the KL estimators against the reference, and resetReference makes the KL zero", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling({ n: 4 }) });
    const refAtStart = await engine.logprobs(seqs(cs), "reference");
    const first = await engine.update(
      policyBatch(cs, 1, { ref: refAtStart }),
      updateOptions({ klCoef: 0.1 }),
    );
    expect(first.kl).toBeCloseTo(0, 6); // policy == reference before the first step
    for (let i = 0; i < 3; i++) await engine.update(policyBatch(cs, 1), updateOptions({ lr: 3e-2 }));
    const estimators: KlEstimator[] = ["k1", "k2", "k3", "low_var_kl"];
    const kls: Record<string, number> = {};
    const fresh = await engine.logprobs(seqs(cs), "policy");
    const base = policyBatch(cs, 0, { ref: refAtStart }).map((s, i) => ({ ...s, oldLogprobs: fresh[i]! }));
    await engine.save(path.join(work, "moved"));
    for (const klEstimator of estimators) {
      await engine.load(path.join(work, "moved"));
      kls[klEstimator] = (await engine.update(base, updateOptions({ klCoef: 0.1, klEstimator, lr: 0 }))).kl;
    }
    expect(kls.k1).toBeGreaterThan(0); // the policy moved towards its samples: log p > log p_ref on them
    expect(kls.k2).toBeGreaterThan(0);
    expect(kls.k3).toBeGreaterThan(0);
    expect(kls.low_var_kl).toBeCloseTo(kls.k3!, 6); // no clamp reached
    // Reset: reference := policy, and the KL the update measures is zero again.
    await engine.load(path.join(work, "moved"));
    const policyLp = await engine.logprobs(seqs(cs), "policy");
    expect(await engine.logprobs(seqs(cs), "reference")).not.toEqual(policyLp);
    await engine.resetReference();
    const refLp = await engine.logprobs(seqs(cs), "reference");
    expect(refLp).toEqual(policyLp);
    const after = await engine.update(
      policyBatch(cs, 0, { ref: refLp }).map((s, i) => ({ ...s, oldLogprobs: policyLp[i]! })),
      updateOptions({ klCoef: 0.1, klEstimator: "k3", lr: 0 }),
    );
    expect(after.kl).toBeCloseTo(0, 6);
  });

  it("splits mini-batches and epochs, and each loss aggregation runs", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling({ n: 4 }) });
    const stats = await engine.update(policyBatch(cs, 1), updateOptions({ miniBatchSize: 3, epochs: 2 }));
    expect(stats.steps).toBe(6); // ceil(8 / 3) mini-batches × 2 epochs
    expect(stats.clipFraction).toBeGreaterThanOrEqual(0);
    const modes: LossAggregation[] = ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean"];
    const losses: number[] = [];
    for (const lossAggregation of modes) {
      await engine.load(initial);
      const s = await engine.update(policyBatch(cs, 1), updateOptions({ lossAggregation }));
      expect(Number.isFinite(s.loss)).toBe(true);
      losses.push(s.pgLoss);
    }
    // Ratio 1 on-policy: token-mean and seq-mean-token-mean give -A = -1; seq-mean-token-sum gives -(tokens per seq).
    const meanLength = cs.reduce((s, c) => s + c.tokenIds.length, 0) / cs.length;
    expect(losses[0]).toBeCloseTo(-1, 4);
    expect(losses[2]).toBeCloseTo(-1, 4);
    expect(losses[1]).toBeCloseTo(-meanLength, 3);
  });

  it("rejects a batch whose arrays disagree in length, naming the field", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling() });
    const batch = policyBatch(cs, 1);
    batch[1]!.advantages = new Float32Array(3);
    await expect(engine.update(batch, updateOptions())).rejects.toThrow(
      /batch\[1\]\.advantages has 3 entries/,
    );
  });
});

describe("HfEngine: sftStep, save/load", () => {
  it("lowers the SFT loss over a few steps", async () => {
    const answer = (await engine.tokenize([" 42. The answer is 42."]))[0]!;
    const batch = prompts.map((p) => ({ promptIds: p, responseIds: answer }));
    const first = await engine.sftStep(batch, { lr: 1e-2, maxGradNorm: 1, miniBatchSize: 0 });
    let last = first;
    for (let i = 0; i < 4; i++)
      last = await engine.sftStep(batch, { lr: 1e-2, maxGradNorm: 1, miniBatchSize: 0 });
    expect(first.tokens).toBe(2 * answer.length);
    expect(last.loss).toBeLessThan(first.loss - 0.5);
  });

  it("save, load and continue gives bit-identical next steps", async () => {
    const cs = await engine.generate({ inputs: prompts, params: sampling({ n: 4 }) });
    const opts = updateOptions({ miniBatchSize: 3, epochs: 2, seed: 4, entropyCoef: 0.01 });
    await engine.update(policyBatch(cs, 1), opts);
    await engine.sftStep([{ promptIds: prompts[0]!, responseIds: prompts[1]! }], {
      lr: 1e-3,
      maxGradNorm: 1,
      miniBatchSize: 0,
    });
    const ckpt = path.join(work, "resume");
    await engine.save(ckpt);
    const next = async () => {
      const stats = await engine.update(policyBatch(cs, -0.5), opts);
      const gen = await engine.generate({ inputs: prompts, params: sampling({ n: 2, seed: 8 }) });
      return { stats, tokens: gen.map((c) => [...c.tokenIds]), lps: gen.map((c) => c.logprobs) };
    };
    const a = await next();
    await engine.load(initial);
    await engine.load(ckpt);
    const b = await next();
    expect(b.stats).toEqual(a.stats);
    expect(b.tokens).toEqual(a.tokens);
    expect(b.lps).toEqual(a.lps);
  });
});

describe("HfEngine: deadlines and a dead engine", () => {
  it("abandons a generate past its deadline and stays usable; reports kill -9 mid-generate with the signal", async () => {
    const victim = await startHfEngine({
      model: modelDir,
      threads: 1,
      name: "victim",
      requestTimeoutMs: 1500,
    });
    const pid = victim.pid;
    const prompt = (await victim.tokenize(["go"]))[0]!;
    // Long enough to outlast the deadline even on a quiet machine: a random tiny model often emits EOS early,
    // so only many samples keep it generating for seconds.
    const long = sampling({ n: 256, maxNewTokens: 3000 });
    await expect(victim.generate({ inputs: [prompt], params: long })).rejects.toBeInstanceOf(DeadlineError);
    // One request at a time: this answers promptly only if the cancelled generate stopped sampling.
    const t0 = Date.now();
    expect((await victim.tokenize(["ok"]))[0]!.length).toBe(2);
    expect(Date.now() - t0).toBeLessThan(3000);

    const started = Date.now();
    const pending = victim.generate({ inputs: [prompt], params: long });
    setTimeout(() => process.kill(pid, "SIGKILL"), 300);
    const error = await pending.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PeerLostError);
    expect((error as PeerLostError).exit?.signal).toBe("SIGKILL");
    expect((error as Error).message).toMatch(/SIGKILL/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(() => process.kill(pid, 0)).toThrow();
    await victim.shutdown();
  });
});

describe("HfEngine: shutdown", () => {
  // Last in the file: it ends the shared engine.
  it("ends the engine process, and later calls fail clearly", async () => {
    const pid = engine.pid;
    await engine.shutdown();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(engine.tokenize(["x"])).rejects.toThrow(/after shutdown/);
    await engine.shutdown();
  });
});
