/**
 * `still eval` against OpenAI-compatible servers. A dead endpoint gets a clear error (no server needed). With
 * `.venv-vllm` (vLLM's CPU build, made by `npm run setup:vllm`), it starts a real vLLM server on the tiny model and evaluates through /v1/completions and /v1/chat/completions, then through a
 * proxy in front of it that fails and stalls requests: failures are retried, what still fails is a flagged row
 * (never a lost one), and a rerun fills exactly those.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTinyModel } from "../../src/engines/tiny.js";
import type { EvalRow } from "../../src/eval/summary.js";
import { runCli } from "../helpers/cli.js";
import { requireVenv } from "../helpers/venv.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-eval-api-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = path.join(dir, "eval.yaml");
const questions = Array.from({ length: 4 }, (_, i) => ({
  id: `q${i}`,
  problem: `What is ${i} + 2?`,
  answer: String(i + 2),
}));

beforeAll(() => {
  writeFileSync(path.join(dir, "q.jsonl"), questions.map((r) => `${JSON.stringify(r)}\n`).join(""));
  writeFileSync(
    config,
    [
      "name: eval-endpoint-test",
      "model: { path: tiny:qwen2-micro }",
      "eval:",
      "  sampling: { n: 3, temperature: 1.0, top_p: 1.0, max_tokens: 16 }",
      "  k: [1, 3]",
      "  benchmarks:",
      `    - { name: q, file: ${path.join(dir, "q.jsonl")} }`,
      "",
    ].join("\n"),
  );
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const rowsOf = (out: string): EvalRow[] =>
  readFileSync(path.join(out, "samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("still eval with an endpoint that is down", () => {
  it("says the server did not answer and where", async () => {
    const port = await freePort();
    const r = await runCli([
      "eval",
      config,
      "--endpoint",
      `http://127.0.0.1:${port}`,
      "--out",
      path.join(dir, "down"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the OpenAI-compatible server at http://127.0.0.1:${port} did not answer`);
    expect(r.stderr).toContain("ECONNREFUSED");
  });
});

const vllmPython = path.resolve(".venv-vllm", "bin", "python");

describe("still eval against a real vLLM server (CPU build, .venv-vllm)", () => {
  let server: ResultPromise | undefined;
  let url = "";
  const log: string[] = [];

  beforeAll(async () => {
    requireVenv(vllmPython, "setup:vllm");
    // The default tiny model: vLLM's CPU attention kernels take head sizes from 32 up (qwen2-micro's is 16).
    const model = await buildTinyModel(path.join(dir, "tiny"), { seed: 5 });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = execa(
      vllmPython,
      [
        "-m",
        "vllm.entrypoints.openai.api_server",
        ...["--model", model, "--served-model-name", "tiny", "--host", "127.0.0.1", "--port", String(port)],
        ...[
          "--max-model-len",
          "512",
          "--gpu-memory-utilization",
          "0.1",
          "--max-num-seqs",
          "8",
          "--enforce-eager",
        ],
      ],
      {
        env: { VLLM_CPU_KVCACHE_SPACE: "1", HF_HUB_OFFLINE: "1" },
        reject: false,
        detached: true,
        all: true,
      },
    );
    server.all?.on("data", (d: Buffer) => log.push(String(d)));
    const deadline = Date.now() + 14 * 60_000;
    for (;;) {
      if (server.exitCode !== null)
        throw new Error(`vLLM exited ${server.exitCode}:\n${log.join("").slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`vLLM did not come up:\n${log.join("").slice(-3000)}`);
      try {
        if ((await fetch(`${url}/v1/models`)).ok) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 2000));
    }
  }, 15 * 60_000);

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      process.kill(-server.pid, "SIGTERM");
      const killer = setTimeout(() => server?.pid && process.kill(-server.pid, "SIGKILL"), 20_000);
      await server;
      clearTimeout(killer);
    }
  }, 60_000);

  it.each(["completions", "chat"])(
    "evaluates through /v1/%s with per-sample token counts",
    async (api) => {
      const out = path.join(dir, `vllm-${api}`);
      const r = await runCli(["eval", config, "--endpoint", url, "--api", api, "--out", out]);
      expect(r.stderr).not.toContain("failed");
      expect(r.code).toBe(0);
      const rows = rowsOf(out);
      expect(rows).toHaveLength(4 * 3);
      for (const row of rows) {
        expect(["stop", "length"]).toContain(row.finish);
        expect(row.tokens).toBeGreaterThan(0);
        expect(row.tokens).toBeLessThanOrEqual(16);
      }
      expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")).generator).toBe(
        `openai-${api}:${url}/v1 (tiny)`,
      );
      expect(r.stdout).toMatch(/\| q +\| +4 \| +3 \|/);
    },
    300_000,
  );

  it("retries failed requests, flags the ones that keep failing, and a rerun fills them", async () => {
    // Every first attempt of a request fails with 503; requests for question q3 hang past the client timeout
    // until `healthy` is set.
    const seen = new Set<string>();
    let healthy = false;
    let failures = 0;
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString();
      if (req.method === "POST" && !healthy) {
        if (body.includes("What is 3 + 2?")) return; // never answered: the client times out
        if (!seen.has(body)) {
          seen.add(body);
          failures++;
          res.writeHead(503).end("overloaded");
          return;
        }
      }
      const upstream = await fetch(`${url}${req.url}`, {
        method: req.method,
        headers: { "content-type": "application/json" },
        ...(req.method === "POST" ? { body } : {}),
      });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    try {
      const out = path.join(dir, "flaky");
      const args = ["eval", config, "--endpoint", proxyUrl, "--out", out, "--timeout", "5", "--retries", "2"];
      const first = await runCli(args);
      expect(first.code).toBe(1);
      expect(first.stderr).toContain("3 requests failed after retries");
      expect(failures).toBeGreaterThanOrEqual(9);
      const rows = rowsOf(out);
      expect(rows).toHaveLength(12);
      const flagged = rows.filter((r) => r.finish === "error");
      expect(flagged.map((r) => r.problem)).toEqual([3, 3, 3]);
      for (const r of flagged) expect(r.error).toContain("timed out after 5000 ms");
      expect(rows.filter((r) => r.finish !== "error")).toHaveLength(9);

      healthy = true;
      const second = await runCli(args);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain("3 samples generated now");
      const after = rowsOf(out);
      expect(after).toHaveLength(12);
      expect(after.filter((r) => r.finish === "error")).toHaveLength(0);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  }, 300_000);
});
