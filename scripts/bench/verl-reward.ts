/**
 * `npm run bench:verl-reward`: veRL's own reward loop (RewardLoopWorker, in process, veRL's venv) scores the
 * same DataProto of 1,024 responses of ~8 KB with (a) the naive manager and veRL's math_verify compute_score and
 * (b) the still manager → the TS reward service (correctness; the manager sends token ids, TS decodes them with
 * the tokenizer's table), in the same run. Both paths run BENCH_REPS times, interleaved; reports the median wall
 * time, samples/s and how many rewards match the known answers (the worst run).
 *
 * Options (env): BENCH_N (1024), BENCH_SIZE (8192), BENCH_REPS (3), BENCH_TOKENIZER (bpe: a byte-level BPE
 * trained on the responses, ~2.7 bytes a token, near what Qwen2.5's tokenizer gives on math text; bytes: the
 * tiny model's tokenizer, one token a byte).
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { startVerlServices } from "../../src/backends/verl/services.js";
import { runConfigSchema } from "../../src/config/index.js";
import { pythonEnv } from "../../src/pyenv/python.js";
import { packageRoot } from "../../src/util/paths.js";

const n = Number(process.env.BENCH_N ?? 1024);
const size = Number(process.env.BENCH_SIZE ?? 8192);
const python = path.join(packageRoot, ".venv-verl", "bin", "python");
const model = path.join(mkdtempSync(path.join(os.tmpdir(), "still-bench-verl-")), "tiny");
await execa(python, ["-m", "still_rl.engines.hf.tiny", "--out", model, "--layers", "1", "--hidden", "32"], {
  env: pythonEnv(),
});

const config = runConfigSchema.parse({
  model: { path: "bench" },
  backend: { type: "verl" },
  rewards: { components: [{ name: "correctness" }] },
});
const services = await startVerlServices({ config, runDir: path.dirname(model) });
try {
  const load0 = os.loadavg()[0]!.toFixed(1);
  const r = await execa(
    python,
    [path.join(import.meta.dirname, "verl_reward.py"), model, String(n), String(size)],
    {
      env: pythonEnv(services.env),
      stderr: "inherit",
    },
  );
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
    n: number;
    bytes: number;
    tokens: number;
    a_runs: number[];
    b_runs: number[];
    a_correct: number;
    b_correct: number;
    b_round_trips: number;
  };
  const load1 = os.loadavg()[0]!.toFixed(1);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const [aS, bS] = [median(out.a_runs), median(out.b_runs)];
  const row = (k: string, runs: number[], correct: number) =>
    `| ${k.padEnd(52)} | ${median(runs).toFixed(2).padStart(8)} | ${runs
      .map((s) => s.toFixed(2))
      .join(" ")
      .padEnd(
        16,
      )} | ${(out.n / median(runs)).toFixed(0).padStart(10)} | ${`${correct}/${out.n}`.padStart(11)} |`;
  console.log(
    `\n${out.n} responses, ${(out.bytes / out.n / 1024).toFixed(1)} KB / ${Math.round(out.tokens / out.n)} tokens each; ` +
      `${os.availableParallelism()} cores, load ${load0} -> ${load1}; ${out.a_runs.length} interleaved runs each\n`,
  );
  console.log(
    `| ${"veRL RewardLoopWorker.compute_score_batch".padEnd(52)} | ${"median s".padStart(8)} | ${"runs s".padEnd(16)} | ${"samples/s".padStart(10)} | ${"as expected".padStart(11)} |`,
  );
  console.log(`|${"-".repeat(54)}|${"-".repeat(10)}|${"-".repeat(18)}|${"-".repeat(12)}|${"-".repeat(13)}|`);
  console.log(row("(a) naive + veRL math_verify compute_score", out.a_runs, out.a_correct));
  console.log(
    row(`(b) still -> TS reward service (${out.b_round_trips} bridge round trip)`, out.b_runs, out.b_correct),
  );
  console.log(`\n(b) is ${(aS / bS).toFixed(1)}x faster than (a), medians (target: >= 10x)`);
} finally {
  await services.close();
}
