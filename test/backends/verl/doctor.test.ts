import { describe, expect, it } from "vitest";
import { verlDoctor } from "../../../src/backends/verl/index.js";
import { loadConfig } from "../../../src/config/index.js";

describe("still doctor for a veRL preset", () => {
  it("checks .venv-verl and says what is missing and how to get it", { timeout: 180_000 }, async () => {
    const { config } = loadConfig("configs/still3/table1/kl-cosine.yaml");
    const checks = await verlDoctor({ ...config, cluster: { type: "local" } });
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by["veRL verl"]).toMatchObject({ value: "0.9.1", ok: true });
    expect(by["veRL ray"]?.ok).toBe(true);
    expect(by["veRL still-rl plugin"]).toMatchObject({
      ok: true,
      value: "loaded from its verl.plugins entry point",
    });
    // This machine has neither vLLM nor a GPU: both fail with what to do.
    expect(by["veRL vllm"]).toMatchObject({ value: "not installed", ok: false });
    expect(by["veRL vllm"]?.fix).toMatch(/pip install "verl\[vllm\]==0\.9\.1"/);
    expect(by["veRL GPUs"]).toMatchObject({ value: "no CUDA device", ok: false });
    expect(by["veRL GPUs"]?.fix).toMatch(/asks for 8 GPU\(s\) per node \(backend\.verl\.n_gpus_per_node\)/);
  });

  it("names the missing venv and the command that makes it", async () => {
    const { config } = loadConfig("configs/still3/table1/kl-cosine.yaml");
    const checks = await verlDoctor({ ...config, python: "/nonexistent/bin/python" });
    expect(checks[0]).toMatchObject({ name: "veRL python", ok: false });
    expect(checks[0]?.fix).toMatch(/npm run setup:verl/);
  });
});
