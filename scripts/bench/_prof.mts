import { decodePayload, encodePayload } from "../../src/bridge/codec.js";
import { runConfigSchema } from "../../src/config/index.js";
import { scoreBuiltins } from "../../src/rewards/analyze.js";
import { compileKeywords } from "../../src/rewards/keywords.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { RewardScorer } from "../../src/rewards/scorer.js";
import { samplesFromScoreRequest, scoreReply } from "../../src/rewards/zmq.js";

const plan = planFromConfig(
  runConfigSchema.parse({
    model: { path: "b" },
    rewards: { components: [{ name: "correctness" }, { name: "reasoning_action", weight: 0.5 }] },
  }),
);
const S = [
  "Let me compute the sum of the first terms carefully, keeping track of every carry.",
  "Wait, that does not look right; let me verify the previous step again.",
  "However, the constraint on n means we must also consider the boundary case.",
  "Hmm, the butterfly theorem might help here, but the rebuttal is that the chord is not fixed.",
  "Therefore $a^2 + b^2 = c^2$ holds and the triangle is right-angled at $C$.",
];
const N = 256;
const texts: Buffer[] = [];
for (let i = 0; i < N; i++) {
  let t = "";
  while (t.length < 32700) t += S[(i * 7 + t.length) % 5] + " ";
  texts.push(Buffer.from(t + " The final answer is $\\boxed{42}$."));
}
const all = Buffer.concat(texts);
const offs = new Int32Array(N + 1);
let o = 0;
texts.forEach((t, i) => {
  o += t.length;
  offs[i + 1] = o;
});
const mb = all.length / 1e6;
const kw = compileKeywords(plan.keywordSets);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let rep = 0; rep < 5; rep++) {
  const enc = encodePayload({
    responses_utf8: new Uint8Array(all),
    response_offsets: offs,
    ground_truths: Array(N).fill("42"),
    response_tokens: new Int32Array(N).fill(8000),
  });
  let c = cpu();
  const payload = decodePayload(enc.payload, enc.buffers);
  const tDec = cpu() - c;
  c = cpu();
  const samples = samplesFromScoreRequest(payload);
  const tParse = cpu() - c;
  c = cpu();
  for (const s of samples) scoreBuiltins(s, plan, kw);
  const tScore = cpu() - c;
  c = cpu();
  for (const s of samples) kw.countBytes(s.response as Uint8Array);
  const tScan = cpu() - c;
  console.log(
    `per ${mb.toFixed(1)} MB: decode ${tDec.toFixed(1)} ms, parse+SAB ${tParse.toFixed(1)} ms, builtins ${tScore.toFixed(1)} ms (scan alone ${tScan.toFixed(1)} ms) => builtins ${((mb / tScore) * 1000).toFixed(0)} MB/cpu-s`,
  );
}
const scorer = await RewardScorer.start(plan, { threads: 2 });
for (let rep = 0; rep < 5; rep++) {
  const enc = encodePayload({
    responses_utf8: new Uint8Array(all),
    response_offsets: offs,
    ground_truths: Array(N).fill("42"),
    response_tokens: new Int32Array(N).fill(8000),
  });
  const c = cpu();
  const t = performance.now();
  const samples = samplesFromScoreRequest(decodePayload(enc.payload, enc.buffers));
  const out = await scorer.score(samples);
  scoreReply(out, false);
  console.log(
    `pool: wall ${(performance.now() - t).toFixed(1)} ms, process cpu ${(cpu() - c).toFixed(1)} ms`,
  );
}
await scorer.close();
