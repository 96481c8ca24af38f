/**
 * `npm run bench:bridge`: the ZeroMQ bridge against a JSON-lines-over-stdio baseline, TS <-> Python.
 *   - round-trip latency of small messages (p50/p99), both directions;
 *   - throughput of a large int32 array (64 MB of token ids by default) TS->Python, Python->TS and echoed.
 * The bridge is measured over the private unix socket that spawned peers use and over loopback TCP (what
 * peers on other hosts use, minus the network). A bare ZeroMQ echo over a unix socket (no protocol) shows
 * what the transport itself costs a small round trip, apart from the bridge's own work.
 * Options: --mb N (array size, default 64), --reps N (large-array repetitions, default 5),
 *          --calls N (small round trips, default 5000), --json-reps N (baseline repetitions, default 1).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import * as zmq from "zeromq";
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
const WARMUP = 500;
const N = (MB * 1024 * 1024) / 4;
const BYTES = N * 4;
const ids = Int32Array.from({ length: N }, (_, i) => i % 151_936);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};
const median = (xs: number[]) => quantile(xs, 0.5);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Latencies in µs; large-array times in ms. */
interface Measured {
  inline: number[];
  pooled: number[];
  fromPython: number[];
  toPy: number[];
  toTs: number[];
  echo: number[];
}

function check(got: Int32Array, what: string) {
  if (got.length !== N || got[N - 1] !== ids[N - 1] || got[12_345] !== ids[12_345])
    throw new Error(`bad ${what}`);
}

async function measureBridge(transport: "ipc" | "tcp"): Promise<Measured> {
  const bridge = await Bridge.bind();
  try {
    bridge.handle("ping", (p) => p);
    const peer = await spawnPeer(bridge, {
      module: "still_rl.bridge.echo",
      role: "bench",
      env: transport === "tcp" ? { STILL_BRIDGE_ENDPOINT: bridge.connectEndpoint } : {},
    });
    const latencies = async (type: string) => {
      const out: number[] = [];
      for (let i = 0; i < CALLS + WARMUP; i++) {
        const ms = await timed(() => peer.call(type, { i }, { timeoutMs: 10_000 }));
        if (i >= WARMUP) out.push(ms * 1000);
      }
      return out;
    };
    const m: Measured = {
      inline: await latencies("echo"),
      pooled: await latencies("echo_pooled"),
      fromPython: [
        ...((await peer.call(
          "call_timed",
          { type: "ping", payload: { i: 0 }, n: CALLS + WARMUP },
          { timeoutMs: 300_000 },
        )) as Float64Array),
      ].slice(WARMUP),
      toPy: [],
      toTs: [],
      echo: [],
    };
    await peer.call("make", { n: N }, { timeoutMs: 60_000 }); // Python builds its array once, untimed
    for (let r = 0; r < REPS; r++) {
      m.toPy.push(
        await timed(async () => {
          if ((await peer.call("nbytes", { ids }, { timeoutMs: 60_000 })) !== BYTES)
            throw new Error("bad nbytes");
        }),
      );
      m.toTs.push(
        await timed(async () => {
          const { ids: got } = (await peer.call("make", { n: N }, { timeoutMs: 60_000 })) as {
            ids: Int32Array;
          };
          if (got.length !== N || got[N - 1] !== N - 1) throw new Error("bad array from Python");
        }),
      );
      m.echo.push(
        await timed(async () =>
          check(
            ((await peer.call("echo", { ids }, { timeoutMs: 60_000 })) as { ids: Int32Array }).ids,
            "echo",
          ),
        ),
      );
    }
    return m;
  } finally {
    await bridge.close();
  }
}

/** The baseline: the same operations as JSON lines over the child's stdin/stdout. */
async function measureJson(): Promise<Measured> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "json_stdio_peer.py");
  const child = execa(resolvePython().executable, [script], {
    env: pythonEnv(),
    stdin: "pipe",
    stdout: "pipe",
    buffer: false,
  });
  const lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  const ask = async (msg: unknown): Promise<unknown> => {
    child.stdin!.write(`${JSON.stringify(msg)}\n`);
    const { value } = await lines.next();
    return JSON.parse(value as string);
  };
  const inline: number[] = [];
  for (let i = 0; i < CALLS + WARMUP; i++) {
    const ms = await timed(() => ask({ op: "ping", i }));
    if (i >= WARMUP) inline.push(ms * 1000);
  }
  const m: Measured = { inline, pooled: [], fromPython: [], toPy: [], toTs: [], echo: [] };
  for (let r = 0; r < JSON_REPS; r++) {
    m.toPy.push(
      await timed(async () => {
        if ((await ask({ op: "nbytes", ids: Array.from(ids) })) !== BYTES) throw new Error("bad nbytes");
      }),
    );
    m.toTs.push(
      await timed(async () => {
        const got = Int32Array.from(((await ask({ op: "make", n: N })) as { ids: number[] }).ids);
        if (got.length !== N || got[N - 1] !== N - 1) throw new Error("bad JSON array");
      }),
    );
    m.echo.push(
      await timed(async () =>
        check(
          Int32Array.from(((await ask({ op: "echo", ids: Array.from(ids) })) as { ids: number[] }).ids),
          "JSON echo",
        ),
      ),
    );
  }
  child.stdin!.end();
  await child;
  return m;
}

/** The floor: the same small round trips as bare ZeroMQ frames to a Python DEALER that echoes them. */
async function measureZmqFloor(): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "still-bench-"));
  const router = new zmq.Router();
  const endpoint = `ipc://${dir}/floor.sock`;
  await router.bind(endpoint);
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "zmq_echo_peer.py");
  const child = execa(resolvePython().executable, [script, endpoint], { env: pythonEnv(), stdio: "inherit" });
  try {
    const [identity] = await router.receive();
    const message = Buffer.from(JSON.stringify({ i: 0 }));
    const out: number[] = [];
    for (let i = 0; i < CALLS + WARMUP; i++) {
      const ms = await timed(async () => {
        await router.send([identity!, message]);
        await router.receive();
      });
      if (i >= WARMUP) out.push(ms * 1000);
    }
    await router.send([identity!, Buffer.from("stop")]);
    await child;
    return out;
  } finally {
    router.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ipc = await measureBridge("ipc");
const tcp = await measureBridge("tcp");
const json = await measureJson();
const floor = await measureZmqFloor();

const us = (xs: number[], q: number) => (xs.length ? `${quantile(xs, q).toFixed(0)} µs` : "n/a");
const rate = (bytes: number, xs: number[]) =>
  xs.length ? `${(bytes / 1e6 / (median(xs) / 1000)).toFixed(0)} MB/s (${median(xs).toFixed(0)} ms)` : "n/a";
const rows: string[][] = [
  [
    "small round trip p50, TS->Py, inline handler",
    us(ipc.inline, 0.5),
    us(tcp.inline, 0.5),
    us(json.inline, 0.5),
  ],
  [
    "small round trip p99, TS->Py, inline handler",
    us(ipc.inline, 0.99),
    us(tcp.inline, 0.99),
    us(json.inline, 0.99),
  ],
  ["small round trip p50, bare ZeroMQ echo (no protocol)", us(floor, 0.5), "", ""],
  ["small round trip p99, bare ZeroMQ echo (no protocol)", us(floor, 0.99), "", ""],
  ["small round trip p50, TS->Py, worker-thread handler", us(ipc.pooled, 0.5), us(tcp.pooled, 0.5), ""],
  ["small round trip p99, TS->Py, worker-thread handler", us(ipc.pooled, 0.99), us(tcp.pooled, 0.99), ""],
  ["small round trip p50, Py->TS (timed in Python)", us(ipc.fromPython, 0.5), us(tcp.fromPython, 0.5), ""],
  ["small round trip p99, Py->TS (timed in Python)", us(ipc.fromPython, 0.99), us(tcp.fromPython, 0.99), ""],
  [`${MB} MB int32 TS->Py`, rate(BYTES, ipc.toPy), rate(BYTES, tcp.toPy), rate(BYTES, json.toPy)],
  [`${MB} MB int32 Py->TS`, rate(BYTES, ipc.toTs), rate(BYTES, tcp.toTs), rate(BYTES, json.toTs)],
  [
    `${MB} MB int32 echo (2x bytes moved)`,
    rate(2 * BYTES, ipc.echo),
    rate(2 * BYTES, tcp.echo),
    rate(2 * BYTES, json.echo),
  ],
];
const widths = [52, 26, 26, 26];
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `bridge benchmark: ${CALLS} small calls after ${WARMUP} warm-up; ${REPS}x ${MB} MB on the bridge, ${JSON_REPS}x on JSON; medians`,
);
console.log(line(["", "bridge, ipc (spawned peer)", "bridge, tcp loopback", "JSON lines over stdio"]));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(r));

const p50 = median(ipc.inline);
const ratio = p50 / median(json.inline);
const worstMBps = BYTES / 1e6 / (Math.max(median(ipc.toPy), median(ipc.toTs)) / 1000);
const speedup = Math.min(
  median(json.toPy) / median(ipc.toPy),
  median(json.toTs) / median(ipc.toTs),
  median(json.echo) / median(ipc.echo),
);
console.log(
  `small round trip p50, bridge (ipc) / JSON lines over stdio: ${ratio.toFixed(1)}x ` +
    `(target <= 1x ${ratio <= 1 ? "met" : "MISSED"}); bare ZeroMQ / JSON lines: ` +
    `${(median(floor) / median(json.inline)).toFixed(1)}x; bridge / bare ZeroMQ: ${(p50 / median(floor)).toFixed(1)}x`,
);
console.log(
  `targets (ipc): p50 < 100 µs ${p50 < 100 ? "met" : "MISSED"} (${p50.toFixed(0)} µs); ` +
    `>= 1 GB/s each way ${worstMBps >= 1000 ? "met" : "MISSED"} (slower direction ${worstMBps.toFixed(0)} MB/s); ` +
    (Number.isNaN(speedup)
      ? ">= 10x JSON: not measured (--json-reps 0)"
      : `>= 10x JSON on large arrays ${speedup >= 10 ? "met" : "MISSED"} (smallest ratio ${speedup.toFixed(0)}x)`),
);
