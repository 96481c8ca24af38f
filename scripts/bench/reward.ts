/**
 * `npm run bench:reward`: a Python client (pyzmq, the project's environment) sends 16,384 responses of ~32 KB
 * with ground truths to the TS reward service over the bridge; reports samples/s, MB/s and end-to-end time,
 * and, in the same run, the same rewards computed in Python the way veRL does by default (Math-Verify parse +
 * verify per sample, in one process) on a subset. Rewards: correctness (binary) + 0.5 × RRA, plus the
 * keyword-ratio metrics the service always logs.
 *
 * Options (env): BENCH_N (16384), BENCH_SIZE (32768), BENCH_BATCH (256), BENCH_INFLIGHT (4), BENCH_PY_N (512),
 * BENCH_THREADS (worker threads; default the machine's cores).
 */
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { runConfigSchema } from "../../src/config/index.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { serveRewards } from "../../src/rewards/service.js";

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const n = env("BENCH_N", 16384);
const size = env("BENCH_SIZE", 32768);

const plan = planFromConfig(
  runConfigSchema.parse({
    model: { path: "bench" },
    rewards: { components: [{ name: "correctness" }, { name: "reasoning_action", weight: 0.5 }] },
  }),
);
const threads = process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined;
const service = await serveRewards(plan, {
  http: false,
  zmq: { endpoint: "tcp://127.0.0.1:*" },
  signals: false,
  ...(threads !== undefined && { threads }),
});
try {
  const client = path.join(import.meta.dirname, "reward_client.py");
  const child = execa(
    resolvePython().executable,
    [
      client,
      "--endpoint",
      service.bridge!.endpoint,
      ...["--n", String(n), "--size", String(size)],
      ...["--batch", String(env("BENCH_BATCH", 256)), "--inflight", String(env("BENCH_INFLIGHT", 4))],
      ...["--python-n", String(env("BENCH_PY_N", 512))],
    ],
    { env: pythonEnv(), stderr: "inherit" },
  );
  // The service's CPU time (all its threads) between the client's first send and its last reply.
  let cpu0: NodeJS.CpuUsage | undefined;
  let serviceCpuS = 0;
  let load = "";
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === "start") {
        cpu0 = process.cpuUsage();
        load = os.loadavg()[0]!.toFixed(1);
      } else if (line === "end" && cpu0) {
        const d = process.cpuUsage(cpu0);
        serviceCpuS = (d.user + d.system) / 1e6;
        load += ` -> ${os.loadavg()[0]!.toFixed(1)}`;
      } else if (line.startsWith("{")) {
        buffered = `${line}\n${buffered}`;
        break;
      }
    }
  });
  await child;
  const r = JSON.parse(buffered.trim().split("\n").at(-1)!) as Record<string, number>;
  const mb = r.bytes! / 1e6;
  const tsRate = r.n! / r.ts_s!;
  const pyRate = r.py_n! / r.py_s!;
  const cpuBound = (2 * mb) / (serviceCpuS + r.client_cpu!);
  const row = (k: string, a: string, b: string) =>
    `| ${k.padEnd(40)} | ${a.padStart(14)} | ${b.padStart(20)} |`;
  const lines = [
    row("", "TS service", "Python (veRL way)"),
    `|${"-".repeat(42)}|${"-".repeat(16)}|${"-".repeat(22)}|`,
    row("samples", String(r.n), `${r.py_n} (subset)`),
    row("data (MB)", mb.toFixed(1), (r.py_bytes! / 1e6).toFixed(1)),
    row(
      "end-to-end time (s)",
      r.ts_s!.toFixed(2),
      `${r.py_s!.toFixed(2)} (${(r.n! / pyRate).toFixed(0)} for all)`,
    ),
    row("samples/s", tsRate.toFixed(0), pyRate.toFixed(1)),
    row("MB/s", (mb / r.ts_s!).toFixed(1), (r.py_bytes! / 1e6 / r.py_s!).toFixed(2)),
    row("speed-up (samples/s)", `${(tsRate / pyRate).toFixed(1)}x`, "1x"),
    row(
      "CPU s: service / Python client",
      `${serviceCpuS.toFixed(2)} / ${r.client_cpu!.toFixed(2)}`,
      r.py_cpu!.toFixed(2),
    ),
    row(
      "MB per CPU-second (service + client)",
      (mb / (serviceCpuS + r.client_cpu!)).toFixed(1),
      (r.py_bytes! / 1e6 / r.py_cpu!).toFixed(2),
    ),
    row("CPU-bound MB/s on 2 idle cores", cpuBound.toFixed(1), ""),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.stdout.write(
    `rewards equal on the Python subset: ${r.agree}/${r.py_n}; service threads: ${threads ?? os.availableParallelism()}; ` +
      `batch ${env("BENCH_BATCH", 256)} x ${env("BENCH_INFLIGHT", 4)} in flight; machine load ${load} (1-min avg, ` +
      `${os.availableParallelism()} cores); data generation ${r.gen_s!.toFixed(1)} s (not timed)\n`,
  );
} finally {
  await service.stop();
}
