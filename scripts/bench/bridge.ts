/**
 * `npm run bench:bridge`: the ZeroMQ bridge against a JSON-lines-over-stdio baseline, TS <-> Python.
 *   - round-trip latency of small messages (p50/p99), both directions;
 *   - throughput of a large int32 array (64 MB of token ids by default) TS->Python, Python->TS and echoed.
 * Options: --mb N (array size, default 64), --reps N (large-array repetitions, default 5),
 *          --calls N (small round trips, default 5000), --json-reps N (baseline repetitions, default 1).
 */

import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { Bridge } from "../../src/bridge/server.js";
import { spawnPeer } from "../../src/bridge/spawn.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const MB = arg("mb", 64);
const REPS = arg("reps", 5);
const CALLS = arg("calls", 5000);
const JSON_REPS = arg("json-reps", 1);
const N = (MB * 1024 * 1024) / 4;
const BYTES = N * 4;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

interface Row {
  what: string;
  bridge: string;
  json: string;
  ratio: string;
}
const rows: Row[] = [];

// ---- the bridge ----
const bridge = await Bridge.bind();
bridge.handle("ping", (p) => p);
const peer = await spawnPeer(bridge, { module: "still_rl.bridge.echo", role: "bench" });

const latencies = async (type: string) => {
  const out: number[] = [];
  for (let i = 0; i < CALLS + 500; i++) {
    const ms = await timed(() => peer.call(type, { i }, { timeoutMs: 10_000 }));
    if (i >= 500) out.push(ms * 1000);
  }
  return out;
};
const inline = await latencies("echo");
const pooled = await latencies("echo_pooled");
const fromPython = [
  ...((await peer.call(
    "call_timed",
    { type: "ping", payload: { i: 0 }, n: CALLS + 500 },
    { timeoutMs: 120_000 },
  )) as Float64Array),
].slice(500);

const ids = Int32Array.from({ length: N }, (_, i) => i % 151_936);
const bridgeTimes = { toPy: [] as number[], toTs: [] as number[], echo: [] as number[] };
await peer.call("make", { n: N }, { timeoutMs: 60_000 }); // build Python's array once, outside the timing
for (let r = 0; r < REPS; r++) {
  bridgeTimes.toPy.push(await timed(() => peer.call("nbytes", { ids }, { timeoutMs: 60_000 })));
  bridgeTimes.toTs.push(
    await timed(async () => {
      const { ids: got } = (await peer.call("make", { n: N }, { timeoutMs: 60_000 })) as { ids: Int32Array };
      if (got.length !== N || got[N - 1] !== N - 1) throw new Error("bad array from Python");
    }),
  );
  bridgeTimes.echo.push(
    await timed(async () => {
      const { ids: got } = (await peer.call("echo", { ids }, { timeoutMs: 60_000 })) as { ids: Int32Array };
      if (got.length !== N || got[N - 1] !== ids[N - 1]) throw new Error("bad echo");
    }),
  );
}
await bridge.close();

// ---- the baseline: JSON lines over the child's stdin/stdout ----
const child = execa(
  resolvePython().executable,
  [path.join(path.dirname(fileURLToPath(import.meta.url)), "json_stdio_peer.py")],
  {
    env: pythonEnv(),
    stdin: "pipe",
    stdout: "pipe",
    buffer: false,
    maxBuffer: Number.POSITIVE_INFINITY,
  },
);
const lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY })[
  Symbol.asyncIterator
]();
const ask = async (msg: unknown): Promise<unknown> => {
  child.stdin!.write(`${JSON.stringify(msg)}\n`);
  const { value } = await lines.next();
  return JSON.parse(value as string);
};
const jsonLatency: number[] = [];
for (let i = 0; i < CALLS + 500; i++) {
  const ms = await timed(() => ask({ op: "ping", i }));
  if (i >= 500) jsonLatency.push(ms * 1000);
}
const jsonTimes = { toPy: [] as number[], toTs: [] as number[], echo: [] as number[] };
await ask({ op: "make", n: 1 });
for (let r = 0; r < JSON_REPS; r++) {
  jsonTimes.toPy.push(await timed(() => ask({ op: "nbytes", ids: Array.from(ids) })));
  jsonTimes.toTs.push(
    await timed(async () => {
      const got = Int32Array.from(((await ask({ op: "make", n: N })) as { ids: number[] }).ids);
      if (got.length !== N) throw new Error("bad JSON array");
    }),
  );
  jsonTimes.echo.push(
    await timed(async () => {
      const got = Int32Array.from(
        ((await ask({ op: "echo", ids: Array.from(ids) })) as { ids: number[] }).ids,
      );
      if (got.length !== N) throw new Error("bad JSON echo");
    }),
  );
}
child.stdin!.end();
await child;

// ---- report ----
const us = (x: number) => `${x.toFixed(0)} µs`;
rows.push(
  {
    what: "small round trip p50, TS->Py (inline handler)",
    bridge: us(median(inline)),
    json: us(median(jsonLatency)),
    ratio: `${(median(jsonLatency) / median(inline)).toFixed(1)}x`,
  },
  {
    what: "small round trip p99, TS->Py (inline handler)",
    bridge: us(quantile(inline, 0.99)),
    json: us(quantile(jsonLatency, 0.99)),
    ratio: "",
  },
  {
    what: "small round trip p50, TS->Py (worker-thread handler)",
    bridge: us(median(pooled)),
    json: "",
    ratio: "",
  },
  {
    what: "small round trip p99, TS->Py (worker-thread handler)",
    bridge: us(quantile(pooled, 0.99)),
    json: "",
    ratio: "",
  },
  {
    what: "small round trip p50, Py->TS (timed in Python)",
    bridge: us(median(fromPython)),
    json: "",
    ratio: "",
  },
  {
    what: "small round trip p99, Py->TS (timed in Python)",
    bridge: us(quantile(fromPython, 0.99)),
    json: "",
    ratio: "",
  },
);
const tp = (what: string, bytes: number, b: number[], j: number[]) =>
  rows.push({
    what,
    bridge: `${mbps(bytes, median(b)).toFixed(0)} MB/s (${median(b).toFixed(0)} ms)`,
    json: `${mbps(bytes, median(j)).toFixed(0)} MB/s (${median(j).toFixed(0)} ms)`,
    ratio: `${(median(j) / median(b)).toFixed(0)}x`,
  });
tp(`${MB} MB int32 TS->Py`, BYTES, bridgeTimes.toPy, jsonTimes.toPy);
tp(`${MB} MB int32 Py->TS`, BYTES, bridgeTimes.toTs, jsonTimes.toTs);
tp(`${MB} MB int32 echo (both ways, 2x bytes)`, 2 * BYTES, bridgeTimes.echo, jsonTimes.echo);

const widths = [52, 24, 24, 8];
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `bridge benchmark: tcp loopback, ${CALLS} small calls, ${REPS}x${MB} MB (baseline ${JSON_REPS}x); medians`,
);
console.log(line(["", "ZeroMQ bridge", "JSON lines over stdio", "speedup"]));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line([r.what, r.bridge, r.json, r.ratio]));
const p50 = median(inline);
const worst = Math.min(...["toPy", "toTs"].map((k) => mbps(BYTES, median(bridgeTimes[k as "toPy"]))));
const speedup = Math.min(
  ...(["toPy", "toTs", "echo"] as const).map((k) => median(jsonTimes[k]) / median(bridgeTimes[k])),
);
console.log(
  `targets: p50 < 100 µs: ${p50 < 100 ? "met" : "MISSED"} (${p50.toFixed(0)} µs); ` +
    `>= 1 GB/s one way: ${worst >= 1000 ? "met" : "MISSED"} (${worst.toFixed(0)} MB/s); ` +
    `>= 10x JSON: ${speedup >= 10 ? "met" : "MISSED"} (${speedup.toFixed(0)}x)`,
);
