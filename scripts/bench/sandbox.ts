/**
 * `npm run bench:sandbox [-- --n N --sympy-n M]`: executions/s and p50/p99 latency of the code sandbox for a
 * trivial snippet and for sympy work, at concurrency 1 and 2, next to the floor: the same interpreter started
 * bare (`python -I -S -c`, site-packages on sys.path, no sandbox, no limits). Also shows `isolation: none`
 * (the boot program and rlimits without namespaces) to separate the boot cost from the namespace cost, and
 * the bwrap sandbox started on demand (`prestart: false`) next to the default pool that keeps sandboxes
 * started ahead of demand.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { resolvePython } from "../../src/pyenv/python.js";
import { SandboxPool } from "../../src/sandbox/index.js";
import { probeRuntime } from "../../src/sandbox/runtime.js";

const WORKLOADS = {
  trivial: "print(1 + 1)",
  sympy:
    "import sympy as sp\nx = sp.symbols('x')\nprint(sp.integrate(sp.sin(x) ** 2, x), sp.factorint(2**64 - 1))",
};
type Workload = keyof typeof WORKLOADS;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Row {
  mode: string;
  workload: Workload;
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The fastest execution: the least disturbed by other load on the machine. */
  min: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(
  mode: string,
  workload: Workload,
  concurrency: number,
  n: number,
  once: () => Promise<void>,
): Promise<Row> {
  await once(); // warm the page cache
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const t = performance.now();
        await once();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    mode,
    workload,
    concurrency,
    perSecond: n / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    min: latencies[0]!,
  };
}

function bare(python: string, site: string[], code: string): () => Promise<void> {
  const program = `import sys\nsys.path.extend(${JSON.stringify(site)})\n${code}`;
  return () =>
    new Promise((resolve, reject) => {
      const child = spawn(python, ["-I", "-S", "-B", "-c", program], {
        env: {},
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      child.stdout.resume();
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`bare python failed: ${err}`))));
    });
}

function pooled(pool: SandboxPool, code: string): () => Promise<void> {
  return async () => {
    const r = await pool.run(code);
    if (r.status !== "ok") throw new Error(`sandboxed run failed: ${r.status} ${r.stderr}`);
  };
}

async function main(): Promise<void> {
  const counts: Record<Workload, number> = { trivial: arg("n", 200), sympy: arg("sympy-n", 20) };
  const python = resolvePython().executable;
  const runtime = await probeRuntime(python);
  const bwrap = await SandboxPool.create({ concurrency: 2 });
  const fresh = await SandboxPool.create({ concurrency: 2, prestart: false });
  const none = await SandboxPool.create({ concurrency: 2, isolation: "none", warn: () => {} });
  const rows: Row[] = [];
  try {
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      const code = WORKLOADS[workload];
      for (const concurrency of [1, 2]) {
        const n = counts[workload];
        rows.push(
          await measure(
            "bare python (floor)",
            workload,
            concurrency,
            n,
            bare(python, runtime.sitePackages, code),
          ),
        );
        rows.push(await measure("isolation: none", workload, concurrency, n, pooled(none, code)));
        rows.push(await measure("bwrap, started on demand", workload, concurrency, n, pooled(fresh, code)));
        rows.push(await measure("bwrap sandbox (pool)", workload, concurrency, n, pooled(bwrap, code)));
      }
    }
  } finally {
    bwrap.close();
    fresh.close();
    none.close();
  }
  const floor = new Map(
    rows.filter((r) => r.mode.startsWith("bare")).map((r) => [`${r.workload}/${r.concurrency}`, r.p50]),
  );
  const header = "| workload | conc | mode | exec/s | p50 ms | p99 ms | p50 over floor ms | min ms |";
  const lines = [header, "|---|---|---|---|---|---|---|---|"];
  for (const r of rows) {
    const over = r.p50 - floor.get(`${r.workload}/${r.concurrency}`)!;
    lines.push(
      `| ${r.workload} | ${r.concurrency} | ${r.mode} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.mode.startsWith("bare") ? "—" : over.toFixed(1)} | ${r.min.toFixed(1)} |`,
    );
  }
  const [l1, l5] = os.loadavg();
  process.stdout.write(
    `${lines.join("\n")}\n\n${os.availableParallelism()} cores, load average ${l1!.toFixed(1)} (1 min) / ${l5!.toFixed(1)} (5 min) at the end; trivial n=${counts.trivial}, sympy n=${counts.sympy}.\n`,
  );
}

await main();
