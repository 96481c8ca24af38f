import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { type RewardService, serveRewards } from "../../src/rewards/service.js";

const fixtures = path.join(import.meta.dirname, "fixtures");
const plan = (rewards: unknown) =>
  planFromConfig(runConfigSchema.parse({ model: { path: "m" }, rewards }), fixtures);

async function post(url: string, body: string | object, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("reward service over HTTP (OpenRLHF remote reward contract)", () => {
  let service: RewardService;
  let url: string;
  beforeAll(async () => {
    service = await serveRewards(
      plan({ components: [{ name: "correctness", variant: "still_1p5b" }, { name: "reasoning_action" }] }),
      { http: { port: 0, maxBodyBytes: 100_000 }, threads: 1, signals: false },
    );
    url = service.http!.url;
  });
  afterAll(() => service.stop());

  it("answers OpenRLHF's request shape with rewards, scores and extra_logs", async () => {
    const prompt = "<｜User｜>6*7?<｜Assistant｜>";
    const r = await post(`${url}/get_reward`, {
      query: [`${prompt}Wait, \\boxed{42}`, `${prompt}\\boxed{41}`, `${prompt}no idea`],
      prompts: [prompt, prompt, prompt],
      labels: ["42", "42", "42"],
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["extra_logs", "rewards", "scores"]);
    // still_1p5b + RRA: correct with one action, boxed wrong, no box.
    expect(r.body.rewards).toEqual([1 + (1 / 20 + 1), -1 + -1, -2 + -1]);
    expect(r.body.scores).toEqual([1, 0, 0]);
    const logs = r.body.extra_logs as Record<string, number[]>;
    expect(logs.correctness).toEqual([1, -1, -2]);
    expect(logs["reasoning_action.actions"]).toEqual([1, 0, 0]);
  });

  it.each([
    ["malformed JSON", "{not json", 400, /malformed JSON/],
    ["not an object", "[1, 2]", 400, /expected a JSON object/],
    ["missing labels (OpenRLHF 0.5 sends query only)", { query: ["a"] }, 400, /missing "labels".*label_key/],
    ["wrong types", { query: [1], labels: ["1"] }, 400, /"query"\[0\] must be a string/],
    ["length mismatch", { query: ["a", "b"], labels: ["1"] }, 400, /same length/],
  ])("%s -> %i", async (_, body, status, message) => {
    const r = await post(`${url}/get_reward`, body);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatch(message);
  });

  it("refuses a huge body with 413 and stays up", async () => {
    const r = await post(`${url}/get_reward`, { query: ["x".repeat(200_000)], labels: ["1"] });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/exceeds the 100000-byte limit/);
    const again = await post(`${url}/get_reward`, { query: ["\\boxed{1}"], labels: ["1"] });
    expect(again.status).toBe(200);
  });

  it("health, unknown routes and methods", async () => {
    const h = await fetch(`${url}/health`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: "ok", in_flight: 0 });
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/get_reward`)).status).toBe(405);
  });
});

describe("graceful shutdown", () => {
  it("lets in-flight requests finish, then refuses connections", async () => {
    const service = await serveRewards(plan({ components: [{ name: "custom", path: "slow.ts" }] }), {
      http: { port: 0 },
      threads: 1,
      signals: false,
    });
    const url = service.http!.url;
    const inflight = post(`${url}/get_reward`, { query: ["a"], labels: ["1"] });
    await new Promise((r) => setTimeout(r, 100));
    expect(service.http!.inFlight).toBe(1);
    const stopping = service.stop();
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(r.body.rewards).toEqual([0.25]);
    await stopping;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

describe("reward service over ZeroMQ (bridge `score`)", () => {
  it("scores batches from several Python peers at once, with group strategies", async () => {
    const service = await serveRewards(
      plan({ components: [{ name: "correctness" }], group_strategies: ["orm"] }),
      { http: false, zmq: { endpoint: "tcp://127.0.0.1:*" }, threads: 1, signals: false },
    );
    try {
      const script = `
import json, sys
from concurrent.futures import ThreadPoolExecutor
from still_rl.rewards import RewardClient

def run(k):
    with RewardClient(sys.argv[1]) as c:
        out = c.score(["\\\\boxed{42}", "\\\\boxed{7}", "cut"], ["42", "42", "42"],
                      response_tokens=[10, 10, 99], truncated=[False, False, True], groups=["p", "p", "p"])
        return {"rewards": out["rewards"].tolist(), "included": out["included"].tolist(),
                "reasons": out["reasons"], "acc": out["components"]["acc"].tolist(),
                "advantages": [round(a * 2 ** 0.5, 4) for a in out["advantages"].tolist()]}

with ThreadPoolExecutor(3) as ex:
    print(json.dumps(list(ex.map(run, range(3)))))
try:
    RewardClient(sys.argv[1]).score(["x"], [None])
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
import os
os.environ["STILL_BRIDGE_ENDPOINT"] = sys.argv[1]
from still_rl.rewards import compute_score   # veRL's custom_reward_function entry point
r = compute_score("aime24", "so \\\\boxed{42}", "42", {"response_tokens": 12})
print(json.dumps({"score": r["score"], "acc": r["acc"], "length_tokens": r["length_tokens"]}))
with RewardClient(sys.argv[1]) as c:   # packed UTF-8: multi-byte text before, between and after the answers
    out = c.score(["Ça — \\\\boxed{42}", "", "日本 \\\\boxed{7} é", "ascii \\\\boxed{42}"], ["42", "42", "7", "41"])
    print(json.dumps(out["components"]["acc"].tolist() + out["components"]["answered"].tolist()))
`;
      const { stdout } = await execa(resolvePython().executable, ["-c", script, service.bridge!.endpoint], {
        env: pythonEnv(),
      });
      const [json, error, verl, utf8] = stdout.trim().split("\n");
      const results = JSON.parse(json!) as Record<string, unknown>[];
      expect(results).toHaveLength(3);
      for (const r of results) {
        expect(r).toEqual({
          rewards: [1, 0, 0],
          included: [1, 1, 0],
          reasons: ["included", "included", "orm: truncated at the length limit"],
          acc: [1, 0, 0],
          advantages: [1, -1, 0], // ±1/√2, scaled by √2
        });
      }
      expect(error).toMatch(/RemoteError.*"ground_truths"\[0\] must be a string or a number/);
      expect(JSON.parse(verl!)).toEqual({ score: 1, acc: 1, length_tokens: 12 });
      expect(JSON.parse(utf8!)).toEqual([1, 0, 1, 0, 1, 0, 1, 1]);
    } finally {
      await service.stop();
    }
  });
});

describe("fault test over ZeroMQ", () => {
  it("a reward throwing on 10% and hanging on 1% of a batch: flagged fallbacks within the deadline, service up", async () => {
    const service = await serveRewards(
      plan({
        components: [{ name: "correctness" }, { name: "custom", path: "faulty.ts" }],
        fallback_score: -1,
        deadline_ms: 300,
      }),
      { http: false, zmq: { endpoint: "tcp://127.0.0.1:*" }, threads: 1, signals: false },
    );
    try {
      const script = `
import json, sys, time
from still_rl.rewards import RewardClient
with RewardClient(sys.argv[1]) as c:
    n = 300
    t = time.monotonic()
    out = c.score(["\\\\boxed{42}"] * n, ["42"] * n, extra=[{"id": i} for i in range(n)], timeout=20)
    elapsed = time.monotonic() - t
    r = out["rewards"].tolist()
    comp = out["components"]
    again = c.score(["\\\\boxed{42}"], ["42"], extra=[{"id": 1}], timeout=20)["rewards"].tolist()
    flag = lambda k: [0 if x != x else x for x in comp[k].tolist()]   # NaN: the sample has no such flag
    print(json.dumps({"elapsed": elapsed, "rewards": r, "timeout": flag("faulty.timeout"),
                      "error": flag("faulty.error"), "again": again}))
`;
      const { stdout } = await execa(resolvePython().executable, ["-c", script, service.bridge!.endpoint], {
        env: pythonEnv(),
      });
      const r = JSON.parse(stdout) as {
        elapsed: number;
        rewards: number[];
        timeout: number[];
        error: number[];
        again: number[];
      };
      const ids = [...Array(300).keys()];
      const hang = ids.filter((i) => i % 100 === 99);
      const fail = ids.filter((i) => i % 100 !== 99 && i % 10 === 0);
      const ok = ids.filter((i) => i % 100 !== 99 && i % 10 !== 0);
      expect(hang.map((i) => [r.rewards[i], r.timeout[i]])).toEqual(hang.map(() => [-1, 1]));
      expect(fail.map((i) => [r.rewards[i], r.error[i]])).toEqual(fail.map(() => [-1, 1]));
      expect(new Set(ok.map((i) => r.rewards[i]))).toEqual(new Set([1.5]));
      expect(r.elapsed).toBeLessThan(20);
      expect(r.again).toEqual([1.5]);
      expect(service.scorer.restarts).toBe(3);
    } finally {
      await service.stop();
    }
  });

  it("a score request nested 50k deep fails alone: the service answers the next one (issue 13 item 3)", async () => {
    const service = await serveRewards(
      plan({
        components: [
          { name: "correctness" },
          { name: "custom", path: "concise.ts", params: { budget: 100 } },
        ],
      }),
      { http: false, zmq: { endpoint: "tcp://127.0.0.1:*" }, threads: 1, signals: false },
    );
    try {
      // The Python encoder refuses such depth, so the request's bytes are spliced together by hand.
      const script = `
import json, sys, msgpack
import still_rl.bridge.peer as peer_module
from still_rl.rewards import RewardClient
deep = b"\\x91" * 50000 + b"\\x01"
skeleton = msgpack.packb({"responses": ["\\\\boxed{42}"] * 3, "ground_truths": ["42"] * 3,
                          "extra": [{"x": "DEEP"}, {"x": "DEEP"}, {}]})
hostile = skeleton.replace(msgpack.packb("DEEP"), deep)
encode = peer_module.encode_payload
peer_module.encode_payload = lambda v: (hostile, []) if v == "hostile" else encode(v)
with RewardClient(sys.argv[1]) as c:
    try:
        c._peer.request("score", "hostile", timeout=20)
        error = None
    except Exception as e:
        error = str(e)
    again = c.score(["\\\\boxed{42}", "41"], ["42", "42"], timeout=20)["rewards"].tolist()
    print(json.dumps({"error": error, "again": again}))
`;
      const { stdout } = await execa(resolvePython().executable, ["-c", script, service.bridge!.endpoint], {
        env: pythonEnv(),
      });
      const r = JSON.parse(stdout) as { error: string | null; again: number[] };
      expect(r.error).toMatch(/nested deeper than 64 levels/);
      expect(r.again).toHaveLength(2);
      expect(r.again[0]).toBeGreaterThan(r.again[1]!);
    } finally {
      await service.stop();
    }
  });

  it("writes the environment remote reward workers need, keys included on an authenticated bind", async () => {
    const envFile = path.join(mkdtempSync(path.join(tmpdir(), "still-peer-env-")), "peer.env");
    const service = await serveRewards(plan({ components: [{ name: "correctness" }] }), {
      http: false,
      zmq: { endpoint: "tcp://127.0.0.1:*", requireAuth: true, peerEnvFile: envFile },
      threads: 1,
      signals: false,
    });
    try {
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const env = Object.fromEntries(
        readFileSync(envFile, "utf8")
          .trim()
          .split("\n")
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      expect(Object.keys(env).sort()).toEqual([
        "STILL_BRIDGE_ENDPOINT",
        "STILL_BRIDGE_PUBLIC_KEY",
        "STILL_BRIDGE_ROLE",
        "STILL_BRIDGE_SECRET_KEY",
        "STILL_BRIDGE_SERVER_KEY",
      ]);
      const script = `
from still_rl.rewards import RewardClient
with RewardClient() as c:
    print(c.score(["\\\\boxed{42}", "\\\\boxed{41}"], ["42", "42"], timeout=20)["rewards"].tolist())
`;
      const { stdout } = await execa(resolvePython().executable, ["-c", script], { env: pythonEnv(env) });
      expect(stdout.trim()).toBe("[1.0, 0.0]");
    } finally {
      await service.stop();
    }
  });
});
