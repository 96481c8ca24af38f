import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { startHttpRewardServer } from "../../src/rewards/http.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { RewardScorer } from "../../src/rewards/scorer.js";
import { serveRewards } from "../../src/rewards/service.js";
import { UserError } from "../../src/util/errors.js";
import { runCli } from "../helpers/cli.js";

/** Issue 13, items 6–11 (reward side). */

const fixtures = path.join(import.meta.dirname, "fixtures");
const plan = (rewards: unknown) =>
  planFromConfig(runConfigSchema.parse({ model: { path: "m" }, rewards }), fixtures);
const custom = (file: string, weight = 1) => ({ name: "custom", path: file, weight });
const sample = (id: number) => ({
  prompt: "",
  response: "\\boxed{1}",
  groundTruth: "1",
  truncated: false,
  extra: { id },
});
const TOKEN = "t0k3n-for-tests-0123456789";

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("non-finite rewards and components (item 11)", () => {
  it("get the fallback and a flag, and never reach OpenRLHF as null", async () => {
    const p = plan({
      components: [{ name: "correctness" }, custom("nonfinite.ts", 10)],
      fallback_score: -0.5,
    });
    const scorer = await RewardScorer.start(p, { threads: 1, userThreads: 1 });
    try {
      const [ok, nan, overflow] = await scorer.score([sample(0), sample(1), sample(2)]);
      expect(ok!.reward).toBe(1 + 10 * 0.25);
      expect(ok!.components.nonfinite).toBeUndefined();
      expect(nan!.reward).toBe(-0.5);
      expect(nan!.components).toMatchObject({
        nonfinite: 1,
        "wild.nan.nonfinite": 1,
        "wild.inf.nonfinite": 1,
      });
      expect(overflow!.reward).toBe(-0.5);
      expect(overflow!.components.nonfinite).toBe(1);
      for (const s of [ok, nan, overflow])
        for (const v of Object.values(s!.components)) expect(Number.isFinite(v)).toBe(true);

      const http = await startHttpRewardServer(scorer, { port: 0 });
      try {
        const res = await fetch(`${http.url}/get_reward`, {
          method: "POST",
          body: JSON.stringify({ query: ["\\boxed{1}"], labels: ["1"] }),
        });
        expect(res.status).toBe(200);
        expect(await res.text()).not.toContain("null");
      } finally {
        await http.close();
      }
    } finally {
      await scorer.close();
    }
  });

  it("a user reward named like a built-in component is a clear error", async () => {
    const err = await rejection(
      RewardScorer.start(plan({ components: [custom("named-acc.ts")] }), { threads: 1 }),
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/named "acc", like a built-in component/);
  });

  it("two user rewards with one name are a clear error", async () => {
    const err = await rejection(
      RewardScorer.start(plan({ components: [custom("concise.ts"), custom("concise.ts")] }), { threads: 1 }),
    );
    expect(err.message).toMatch(/both named "concise"/);
  });
});

describe("user rewards that fail while loading (item 10)", () => {
  it.each([
    ["load-spins.ts", "spins"],
    ["load-waits.ts", "waits"],
  ])(
    "%s (%s) fails the start within the load timeout, naming the file",
    async (file) => {
      const started = Date.now();
      const err = await rejection(
        RewardScorer.start(plan({ components: [custom(file)] }), { threads: 1, userLoadTimeoutMs: 4000 }),
      );
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(new RegExp(`${file} did not finish loading within 4 s`));
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    30_000,
  );

  it("one that throws exits 1 with one line under both `reward serve` and `reward test`", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "still-load-"));
    const config = path.join(dir, "run.yaml");
    writeFileSync(
      config,
      `model: { path: m }\nrewards:\n  components:\n    - { name: custom, path: ${JSON.stringify(path.join(fixtures, "load-throws.ts"))} }\n`,
    );
    const input = path.join(dir, "in.jsonl");
    writeFileSync(input, `${JSON.stringify({ prompt: "", response: "x", ground_truth: "1" })}\n`);
    for (const argv of [
      ["reward", "serve", "--config", config, "--port", "0", "--threads", "1"],
      ["reward", "test", "--config", config, "--input", input],
    ]) {
      const r = await runCli(argv);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^still: cannot load reward .*load-throws\.ts: reward table missing\n$/);
    }
  }, 60_000);
});

describe("HTTP off loopback needs a bearer token (item 7)", () => {
  const p = plan({ components: [{ name: "correctness" }] });

  it("a non-loopback bind without a token is refused, saying what to do", async () => {
    const scorer = await RewardScorer.start(p, { threads: 1 });
    try {
      const err = await rejection(startHttpRewardServer(scorer, { host: "0.0.0.0", port: 0 }));
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(/reachable from other hosts.*STILL_REWARD_TOKEN/);
    } finally {
      await scorer.close();
    }
  });

  it("with a token, requests without it get 401 and requests with it are scored", async () => {
    const scorer = await RewardScorer.start(p, { threads: 1 });
    const http = await startHttpRewardServer(scorer, { host: "0.0.0.0", port: 0, token: TOKEN });
    try {
      const url = `http://127.0.0.1:${new URL(http.url).port}`;
      const body = JSON.stringify({ query: ["\\boxed{1}"], labels: ["1"] });
      for (const authorization of [undefined, "Bearer wrong", `Basic ${TOKEN}`]) {
        const res = await fetch(`${url}/get_reward`, {
          method: "POST",
          body,
          headers: authorization === undefined ? {} : { authorization },
        });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe("Bearer");
      }
      expect((await fetch(`${url}/health`)).status).toBe(401);
      const ok = await fetch(`${url}/get_reward`, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { rewards: number[] }).rewards).toEqual([1]);
    } finally {
      await http.close();
      await scorer.close();
    }
  });

  it("the CLI refuses --host 0.0.0.0 without a token with one line", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "still-auth-"));
    const config = path.join(dir, "run.yaml");
    writeFileSync(config, "model: { path: m }\nrewards:\n  components:\n    - { name: correctness }\n");
    const r = await runCli([
      "reward",
      "serve",
      "--config",
      config,
      "--host",
      "0.0.0.0",
      "--port",
      "0",
      "--threads",
      "1",
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/Authorization: Bearer/);
  }, 30_000);
});

describe("shutdown and deadlines (items 8, 9)", () => {
  const p = plan({ components: [{ name: "correctness" }] });

  it("stop() completes while a client is stalled mid-body", async () => {
    const service = await serveRewards(p, {
      http: { port: 0, closeGraceMs: 300 },
      threads: 1,
      signals: false,
    });
    const { port } = new URL(service.http!.url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.on("error", () => {});
    socket.write('POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"query":');
    await expect.poll(() => service.http!.inFlight).toBe(1);
    const started = Date.now();
    await service.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    socket.destroy();
  }, 20_000);

  it("a deadline past 2^31-1 ms is not an instant timeout", async () => {
    const scorer = await RewardScorer.start(p, { threads: 1 });
    try {
      const [s] = await scorer.score([sample(0)], { deadlineMs: 2 ** 31 + 1000 });
      expect(s!.components.timeout).toBeUndefined();
      expect(s!.reward).toBe(1);
      const http = await startHttpRewardServer(scorer, { port: 0, requestDeadlineMs: 2 ** 32 });
      try {
        const res = await fetch(`${http.url}/get_reward`, {
          method: "POST",
          body: JSON.stringify({ query: ["\\boxed{1}"], labels: ["1"] }),
        });
        expect(((await res.json()) as { rewards: number[] }).rewards).toEqual([1]);
      } finally {
        await http.close();
      }
    } finally {
      await scorer.close();
    }
  });

  it("rewards.deadline_ms past 2^31-1 is a config error", () => {
    const parsed = runConfigSchema.safeParse({ model: { path: "m" }, rewards: { deadline_ms: 2 ** 31 } });
    expect(parsed.success).toBe(false);
  });
});

describe("the CURVE key file (--peer-env, item 6)", () => {
  it("is created 0600 even over a 0644 file, and replaces a symlink instead of following it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "still-peerenv-"));
    const existing = path.join(dir, "peer.env");
    writeFileSync(existing, "old\n");
    chmodSync(existing, 0o644);
    const victim = path.join(dir, "victim.txt");
    writeFileSync(victim, "do not touch\n");
    chmodSync(victim, 0o644);
    const link = path.join(dir, "link.env");
    symlinkSync(victim, link);
    for (const file of [existing, link]) {
      const service = await serveRewards(plan({ components: [{ name: "correctness" }] }), {
        http: false,
        zmq: { endpoint: "tcp://127.0.0.1:0", requireAuth: true, peerEnvFile: file },
        threads: 1,
        signals: false,
      });
      await service.stop();
      const st = lstatSync(file);
      expect(st.isFile()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8")).toMatch(/STILL_BRIDGE_SECRET_KEY|SECRET/);
    }
    expect(readFileSync(victim, "utf8")).toBe("do not touch\n");
    expect(statSync(victim).mode & 0o777).toBe(0o644);
  }, 30_000);
});
