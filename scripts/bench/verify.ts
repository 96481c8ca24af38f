/**
 * Answer-verifier benchmark: single-thread pairs/s and p50/p99 latency on MATH-500-derived pairs (answers boxed at
 * the end of ~1.5 KB responses), Math-Verify on the same pairs in the same run, and the batch API's speed-up.
 * Run: npm run bench:verify [-- --seconds 3]
 */

import { availableParallelism, cpus } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { readJsonl } from "../../src/util/jsonl.js";
import { VerifierPool } from "../../src/verify/pool.js";
import { verify } from "../../src/verify/verify.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = path.join(root, "data");
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 3;

function response(answer: string, i: number): string {
  const filler =
    "We start by writing down what is given and what is asked. Let $x$ be the unknown quantity; the conditions give an equation in $x$ that we simplify step by step, checking each manipulation. ";
  let body = "";
  while (body.length < 1400) body += filler.replace("$x$", `$x_{${i % 7}}$`);
  return `${body}Therefore the answer is $\\boxed{${answer}}$.`;
}

const answers = readJsonl<{ answer: string }>(path.join(dataDir, "benchmarks/math500.jsonl")).map(
  (l) => l.value.answer,
);
// Half the pairs are correct (own answer), half wrong (the answer of the problem 250 places on).
const pairs: [string, string][] = answers.flatMap((a, i) => [
  [a, response(a, i)] as [string, string],
  [a, response(answers[(i + 250) % answers.length]!, i)] as [string, string],
]);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Latencies of every pair over repeated passes; the rate is the best pass (load on a shared box only slows). */
function timeOurs(): { latencies: number[]; verdicts: boolean[]; rate: number } {
  for (let k = 0; k < 3; k++) for (const [g, r] of pairs) verify(g, r); // warm-up: JIT
  const latencies: number[] = [];
  let verdicts: boolean[] = [];
  let best = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const v: boolean[] = [];
    const start = performance.now();
    for (const [g, r] of pairs) {
      const t0 = performance.now();
      v.push(verify(g, r).correct);
      latencies.push(performance.now() - t0);
    }
    best = Math.max(best, pairs.length / ((performance.now() - start) / 1000));
    verdicts = v;
  }
  return { latencies, verdicts, rate: best };
}

async function timeMathVerify(): Promise<{ latencies: number[]; verdicts: boolean[] }> {
  const py = resolvePython();
  const script = path.join(root, "scripts/bench/verify_math_verify.py");
  const { stdout } = await execa(py.executable, [script, "1"], {
    input: JSON.stringify(pairs),
    env: pythonEnv(),
    maxBuffer: 1 << 28,
  });
  const r = JSON.parse(stdout) as { latencies_ms: number[]; verdicts: boolean[] };
  return { latencies: r.latencies_ms, verdicts: r.verdicts };
}

async function timePool(threads: number, items: { gold: string; response: string }[]): Promise<number> {
  const pool = new VerifierPool({ threads });
  try {
    await pool.verifyMany(items.slice(0, 4000)); // start-up and JIT outside the timing
    let best = 0;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      await pool.verifyMany(items);
      best = Math.max(best, items.length / ((performance.now() - t0) / 1000));
    }
    return best;
  } finally {
    await pool.close();
  }
}

const ours = timeOurs();
const mv = await timeMathVerify();
const agree = ours.verdicts.filter((v, i) => v === mv.verdicts[i]).length;
const rate = (xs: number[]) => xs.length / (xs.reduce((a, b) => a + b, 0) / 1000);
const oursRate = ours.rate;
const mvRate = rate(mv.latencies);

const batch = Array.from({ length: 40 }, () => pairs.map(([gold, r]) => ({ gold, response: r }))).flat();
const t1 = await timePool(1, batch);
const t2 = await timePool(2, batch);
// Pairs that need identity testing (~0.1-0.5 ms each), where worker time dominates message passing.
const heavy = Array.from({ length: 4000 }, (_, i) => ({
  gold: `(x+${(i % 9) + 1})^{${20 + (i % 20)}}(y-${(i % 5) + 1})^{3}`,
  response: response(`(y-${(i % 5) + 1})^{3}(${(i % 9) + 1}+x)^{${20 + (i % 20)}}`, i),
}));
const h1 = await timePool(1, heavy);
const h2 = await timePool(2, heavy);

const row = (name: string, r: number, xs: number[], verdicts: boolean[]) =>
  `| ${name} | ${r.toFixed(0)} | ${quantile(xs, 0.5).toFixed(3)} | ${quantile(xs, 0.99).toFixed(3)} | ${xs.reduce((m, x) => Math.max(m, x), 0).toFixed(2)} | ${verdicts.filter(Boolean).length}/${verdicts.length} |`;
console.log(
  `verify bench: ${pairs.length} MATH-500 pairs (${pairs.length / 2} correct, ${pairs.length / 2} wrong), ~1.5 KB responses`,
);
console.log(
  `machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, node ${process.version}\n`,
);
console.log("| verifier (1 thread) | pairs/s | p50 ms | p99 ms | max ms | accepted |");
console.log("|---|---|---|---|---|---|");
console.log(row("still-rl verify()", oursRate, ours.latencies, ours.verdicts));
console.log(row("Math-Verify 0.9.0 (Python)", mvRate, mv.latencies, mv.verdicts));
console.log(
  `\nspeed-up vs Math-Verify: ${(oursRate / mvRate).toFixed(0)}x; verdicts agree on ${agree}/${pairs.length}`,
);
console.log(
  "\n| batch API (VerifierPool) | 1 worker, pairs/s | 2 workers, pairs/s | speed-up |\n|---|---|---|---|",
);
console.log(
  `| MATH-500 pairs (${batch.length}) | ${t1.toFixed(0)} | ${t2.toFixed(0)} | ${(t2 / t1).toFixed(2)}x |`,
);
console.log(
  `| identity-test pairs (${heavy.length}) | ${h1.toFixed(0)} | ${h2.toFixed(0)} | ${(h2 / h1).toFixed(2)}x |`,
);
const diff = ours.verdicts.flatMap((v, i) =>
  v === mv.verdicts[i]
    ? []
    : [
        `  ${JSON.stringify(pairs[i]![0])} vs ${JSON.stringify(pairs[i]![1].slice(-60))}: ours ${v}, Math-Verify ${mv.verdicts[i]}`,
      ],
);
if (diff.length) console.log(`\nverdict differences:\n${diff.join("\n")}`);
