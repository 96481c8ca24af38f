import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { printConfig, runConfigSchema } from "../../src/config/index.js";
import {
  checkpointsDir,
  listCheckpoints,
  newestIntactCheckpoint,
  saveCheckpoint,
  type TrainerState,
  verifyCheckpoint,
} from "../../src/train/checkpoint.js";
import { INITIAL_SAMPLER_STATE } from "../../src/train/sampler.js";
import { UserError } from "../../src/util/errors.js";
import { runCli } from "../helpers/cli.js";

/** Issue 13, item 13 (checkpoints): checksummed, a resume falls back to the newest intact one, no .tmp left. */

const state = (step: number): TrainerState => ({
  format: 1,
  step,
  sampler: INITIAL_SAMPLER_STATE,
  sft: { step: 0, sampler: INITIAL_SAMPLER_STATE, done: true },
  elapsedS: step,
});

/** Writes what the HF engine writes, in miniature: a model file of weights and a small JSON. */
const fakeEngine = {
  async save(dir: string) {
    mkdirSync(path.join(dir, "policy"), { recursive: true });
    writeFileSync(path.join(dir, "policy", "model.safetensors"), Buffer.alloc(4096, 7));
    writeFileSync(path.join(dir, "engine.json"), '{"format":1}\n');
  },
};

function flipBit(file: string, byte: number) {
  const b = readFileSync(file);
  b[byte] = (b[byte] ?? 0) ^ 1;
  writeFileSync(file, b);
}

async function runWithCheckpoints(n: number): Promise<string> {
  const runDir = mkdtempSync(path.join(tmpdir(), "still-ckpt-"));
  for (let step = 1; step <= n; step++) await saveCheckpoint(runDir, fakeEngine, state(step), null);
  return runDir;
}

describe("checkpoints", () => {
  it("are checksummed: a bit flip in the weights is detected", async () => {
    const runDir = await runWithCheckpoints(1);
    const [ckpt] = listCheckpoints(runDir);
    expect(await verifyCheckpoint(ckpt!)).toBeUndefined();
    flipBit(path.join(ckpt!, "engine", "policy", "model.safetensors"), 1234);
    expect(await verifyCheckpoint(ckpt!)).toBe("engine/policy/model.safetensors does not match its checksum");
  });

  it("a resume falls back to the newest intact checkpoint and says so", async () => {
    const runDir = await runWithCheckpoints(3);
    const [, second, third] = listCheckpoints(runDir);
    flipBit(path.join(third!, "trainer.json"), 5);
    const lines: string[] = [];
    expect(await newestIntactCheckpoint(runDir, (l) => lines.push(l))).toBe(second);
    expect(lines.join("\n")).toMatch(/step_000003 is damaged: trainer.json does not match its checksum/);
    expect(lines.join("\n")).toMatch(/resuming from .*step_000002/);
  });

  it("with no intact checkpoint, the error names each damaged one", async () => {
    const runDir = await runWithCheckpoints(2);
    for (const c of listCheckpoints(runDir)) flipBit(path.join(c, "engine", "engine.json"), 2);
    const err = await newestIntactCheckpoint(runDir, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /no intact checkpoint .*step_000002 \(engine\/engine.json .*step_000001/,
    );
  });

  it("a failed save (a full disk) leaves no .tmp half checkpoint and keeps the previous one", async () => {
    const runDir = await runWithCheckpoints(1);
    const full = {
      async save(dir: string) {
        await fakeEngine.save(dir);
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      },
    };
    const err = await saveCheckpoint(runDir, full, state(2), null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/cannot save checkpoint .*step_000002: ENOSPC/);
    expect(readdirSync(checkpointsDir(runDir))).toEqual(["step_000001"]);
    expect(await verifyCheckpoint(listCheckpoints(runDir)[0]!)).toBeUndefined();
  });

  it("a .tmp left by a killed save is removed by the next save", async () => {
    const runDir = await runWithCheckpoints(1);
    mkdirSync(path.join(checkpointsDir(runDir), "step_000002.tmp", "engine"), { recursive: true });
    await saveCheckpoint(runDir, fakeEngine, state(3), null);
    expect(readdirSync(checkpointsDir(runDir)).sort()).toEqual(["step_000001", "step_000003"]);
  });

  it("`still train --resume` with only damaged checkpoints exits 1 with one line", async () => {
    const runDir = await runWithCheckpoints(1);
    flipBit(path.join(listCheckpoints(runDir)[0]!, "engine", "policy", "model.safetensors"), 9);
    const config = runConfigSchema.parse({ name: "ckpt", model: { path: "tiny" } });
    writeFileSync(path.join(runDir, "config.yaml"), printConfig(config));
    const r = await runCli(["train", "--resume", runDir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^still: no intact checkpoint in .*model.safetensors does not match its checksum\)\n$/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(runDir, "checkpoints", "step_000001"))).toBe(true);
  });
});
