import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli as run } from "../helpers/cli.js";

let dir: string;
let config: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "still-reward-"));
  config = path.join(dir, "run.yaml");
  const reward = path.join(import.meta.dirname, "fixtures", "concise.ts");
  await writeFile(
    config,
    [
      "model: { path: m }",
      "rewards:",
      "  components:",
      "    - { name: correctness }",
      `    - { name: custom, path: ${JSON.stringify(reward)}, weight: 0.5, params: { budget: 100 } }`,
      "  group_strategies: [orm]",
      "",
    ].join("\n"),
  );
});

describe("still reward test", () => {
  it("reports a user reward's first error with the sample's line and the stack, once per reward", async () => {
    const typoConfig = path.join(dir, "typo.yaml");
    const reward = path.join(import.meta.dirname, "fixtures", "typo.ts");
    await writeFile(
      typoConfig,
      `model: { path: m }\nrewards:\n  components:\n    - { name: correctness }\n    - { name: custom, path: ${JSON.stringify(reward)} }\n`,
    );
    const input = path.join(dir, "typo-in.jsonl");
    const rows = [1, 2, 3].map((n) => ({ prompt: "1+1?", response: `\\boxed{${n}}`, ground_truth: "2" }));
    await writeFile(input, `\n${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const r = await run(["reward", "test", "--config", typoConfig, "--input", input]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(3);
    expect(r.stdout).toContain('"typo.error":1');
    // One report for the reward, naming the first sample (line 2: the file starts with a blank line).
    expect(r.stderr.match(/reward typo on sample/g)).toHaveLength(1);
    expect(r.stderr).toContain(`reward typo on sample 1 (${input}:2) threw TypeError`);
    expect(r.stderr).toMatch(/\n\s+at .*typo\.ts/);
    expect(r.stderr).toContain("3 of 3 samples failed in typo");
  });

  it("prints each input line with reward, components and, for grouped lines, advantage/included/reason", async () => {
    const input = path.join(dir, "in.jsonl");
    const lines = [
      { prompt: "6*7?", response: "\\boxed{42}", ground_truth: "42", response_tokens: 20, group: "a", id: 7 },
      { prompt: "6*7?", response: "\\boxed{41}", ground_truth: "42", response_tokens: 60, group: "a" },
      {
        prompt: "6*7?",
        response: "6*7 is",
        ground_truth: 42,
        response_tokens: 100,
        truncated: true,
        group: "a",
      },
      { prompt: "1+1?", response: "", ground_truth: "2" },
    ];
    await writeFile(input, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n\n`);
    const r = await run(["reward", "test", "--config", config, "--input", input]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(out[0]).toMatchObject({ ...lines[0], reward: 1 + 0.5 * 0.8, included: true, reason: "included" });
    expect(out[0].components).toMatchObject({ correctness: 1, concise: 0.8, acc: 1 });
    expect(out[0].advantage).toBeCloseTo(Math.SQRT1_2, 4);
    expect(out[1]).toMatchObject({ reward: 0.5 * 0.4, included: true });
    expect(out[2]).toMatchObject({
      included: false,
      advantage: 0,
      reason: "orm: truncated at the length limit",
    });
    // No group: no advantage fields. Empty response: no box, correctness 0.
    expect(Object.keys(out[3]).sort()).toEqual([
      "components",
      "ground_truth",
      "prompt",
      "response",
      "reward",
    ]);
    expect(out[3].components.correctness).toBe(0);
  });

  it("reports every bad line with file:line and the field, and scores nothing", async () => {
    const input = path.join(dir, "bad.jsonl");
    await writeFile(
      input,
      [
        '{"prompt": "p", "response": "r", "ground_truth": "1"}',
        '{"prompt": "p", "response": "r"}',
        "{oops",
        '{"prompt": "p", "response": 5, "ground_truth": "1"}',
        '{"prompt": "p", "response": "r", "ground_truth": "1", "truncated": "yes"}',
      ].join("\n"),
    );
    const r = await run(["reward", "test", "--config", config, "--input", input]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${input}:2: missing "ground_truth"`);
    expect(r.stderr).toContain(`${input}:3: not valid JSON`);
    expect(r.stderr).toContain(`${input}:4: "response" must be a string, got number`);
    expect(r.stderr).toContain(`${input}:5: "truncated" must be true or false, got "yes"`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing input file is a one-line error", async () => {
    const r = await run(["reward", "test", "--config", config, "--input", path.join(dir, "nope.jsonl")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*nope\.jsonl: ENOENT/);
  });
});

describe("still reward serve", () => {
  it("serves HTTP and exits 0 on SIGTERM", async () => {
    const cli = path.join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
    const entry = `import(${JSON.stringify(cli)}).then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`;
    const child = execa(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        entry,
        "reward",
        "serve",
        "--config",
        config,
        "--port",
        "0",
        "--threads",
        "1",
      ],
      { reject: false, all: true },
    );
    let log = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.all!.on("data", (d: Buffer) => {
        log += d.toString();
        const m = /HTTP (http:\/\/\S+)\/get_reward/.exec(log);
        if (m) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`serve exited early:\n${log}`)));
    });
    const res = await fetch(`${url}/get_reward`, {
      method: "POST",
      body: JSON.stringify({ query: ["\\boxed{3}"], labels: ["3"] }),
    });
    expect(((await res.json()) as { rewards: number[] }).rewards[0]).toBe(1.5); // no response_tokens over HTTP: the user reward sees none
    child.kill("SIGTERM");
    const done = await child;
    expect(done.exitCode).toBe(0);
    expect(done.all).toMatch(/SIGTERM, finishing in-flight requests[\s\S]*stopped/);
  });
});
