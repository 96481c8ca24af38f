import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readParquet } from "../../../src/data/parquet.js";
import { runCli } from "../../helpers/cli.js";
import { gone } from "../../helpers/processes.js";
import { startRayHead, type TestRayHead } from "../../helpers/ray.js";
import { tinyModel, verlPython } from "./helpers.js";

/**
 * `still train` with backend verl, end to end on a machine without a GPU: data conversion, config
 * composition, plugin loading and the bridge handshake happen for real, then veRL's resource check reports
 * the missing GPU — one clear error, exit 1, and no process of the run left behind. Locally, and through
 * `ray job submit` to a Ray head this test starts.
 */

let model: string;
let dir: string;

/** A 2-core machine: TransferQueue's controller and storage units each hold a Ray CPU. */
const LOCAL_RAY = ["ray_kwargs.ray_init.num_cpus=16"];

function writeConfig(name: string, extra: string, overrides: string[] = []): string {
  const data = path.join(dir, "train.jsonl");
  writeFileSync(
    data,
    Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ problem: `What is ${i} + ${i}?`, answer: String(2 * i) }),
    )
      .join("\n")
      .concat("\n"),
  );
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
model:
  path: ${model}
data:
  train_files: [${data}]
prompt:
  template: r1_zero_short
rollout:
  n: 2
  max_prompt_length: 256
  max_response_length: 64
algorithm:
  train_batch_size: 4
  mini_batch_size: 4
  total_steps: 2
rewards:
  components:
    - name: correctness
checkpoint:
  every_steps: 1
logging:
  loggers: [console, jsonl]
backend:
  type: verl
  verl:
    n_gpus_per_node: 1
    tensor_parallel_size: 1
    use_dynamic_bsz: false
    overrides:
${overrides.map((o) => `      - ${o}\n`).join("")}      - transfer_queue.backend.SimpleStorage.num_data_storage_units=1
      - data.dataloader_num_workers=0
${extra}`,
  );
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "still-verl-launch-"));
  model = await tinyModel();
}, 300_000);

function expectConvertedData(runDir: string) {
  const rows = readParquet(path.join(runDir, "data", "train.parquet"));
  expect(rows).toHaveLength(8);
  const row = rows[3] as Record<string, unknown>;
  const prompt = row.prompt as { role: string; content: string }[];
  expect(prompt).toHaveLength(1);
  expect(prompt[0]?.role).toBe("user");
  expect(prompt[0]?.content).toMatch(/^A conversation between User and Assistant[\s\S]*What is 3 \+ 3\?/);
  expect(row.reward_model).toMatchObject({ ground_truth: "6" });
  expect(row.extra_info).toMatchObject({ index: 3, split: "train" });
  expect(row.agent_name).toBe("single_turn_agent");
}

describe("still train with backend verl (no GPU here)", () => {
  it("locally: gets to veRL's GPU check, reports it clearly, leaves nothing running", {
    timeout: 900_000,
  }, async () => {
    const runDir = path.join(dir, "run-local");
    const r = await runCli(["train", writeConfig("local", "", LOCAL_RAY), "--out", runDir]);
    const log = readFileSync(path.join(runDir, "verl.log"), "utf8");
    expect(log).toMatch(/still-rl preflight: verl 0\.9\.1, still-rl plugin loaded/);
    expect(log).toMatch(/still-rl preflight: bridge handshake ok \(tcp:\/\/127\.0\.0\.1:\d+, CURVE\)/);
    expect(log).toMatch(/\[validate_config\] All configuration checks passed/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /veRL needs 1 GPU\(s\) \(backend\.verl\.nnodes 1 × n_gpus_per_node 1\) but the Ray cluster has 0/,
    );
    expect(r.stderr).toMatch(/last lines of .*verl\.log/);
    expectConvertedData(runDir);
    expect(existsSync(path.join(runDir, "hydra", ".hydra", "overrides.yaml"))).toBe(true);
    expect(await gone("STILL_RUN_DIR", path.resolve(runDir), 30_000)).toEqual([]);
  });

  describe("through ray job submit", () => {
    let address = "";
    let head: TestRayHead | undefined;
    beforeAll(async () => {
      head = await startRayHead(path.join(path.dirname(verlPython()), "ray"), 16);
      address = head.address;
    }, 600_000);
    afterAll(() => head?.stop(), 60_000);

    it("submits the job with the bridge env, reports the missing GPU, leaves no job process", {
      timeout: 900_000,
    }, async () => {
      const runDir = path.join(dir, "run-ray");
      const file = writeConfig("ray", `cluster:\n  type: ray\n  address: ${address}\n`);
      const r = await runCli(["train", file, "--out", runDir]);
      expect(existsSync(path.join(runDir, "verl.log")), r.stderr).toBe(true);
      const log = readFileSync(path.join(runDir, "verl.log"), "utf8");
      expect(log).toMatch(/still-rl preflight: bridge handshake ok \(tcp:\/\/[\d.]+:\d+, CURVE\)/);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/veRL needs 1 GPU\(s\).*but the Ray cluster has 0/);
      expect(r.stderr).toMatch(/Ray job still-\w+-\w+ on http:\/\/127\.0\.0\.1:\d+: FAILED/);
      expectConvertedData(runDir);
      expect(await gone("STILL_RUN_DIR", path.resolve(runDir), 60_000)).toEqual([]);
      // The CURVE secret reached the job only through its runtime env, never its command line.
      const secret = /STILL_BRIDGE_SECRET_KEY/.test(log);
      expect(secret).toBe(false);
      expect(existsSync(path.join(runDir, "metrics.jsonl"))).toBe(false);
    });
  });
});
