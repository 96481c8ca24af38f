/**
 * The tool demo: `npm run demo:tools [-- CONFIG]` (default configs/demo-tools.yaml). Builds the tiny model,
 * starts the HF engine and a bubblewrap sandbox pool, fine-tunes on generated traces and prints held-out
 * accuracy with and without tool execution. Exits 1 when the gap is under 30 points.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { startHfEngine } from "../src/engines/hf.js";
import { buildTinyModel } from "../src/engines/tiny.js";
import { SandboxPool } from "../src/sandbox/index.js";
import { demoToolsConfigSchema, runToolDemo } from "../src/tools/demo.js";

const file = process.argv[2] ?? "configs/demo-tools.yaml";
const parsed = demoToolsConfigSchema.safeParse(parse(readFileSync(file, "utf8")));
if (!parsed.success) {
  for (const issue of parsed.error.issues)
    console.error(`${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  process.exit(1);
}
const config = parsed.data;
const started = performance.now();
const log = (m: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);

const dir = mkdtempSync(path.join(os.tmpdir(), "still-demo-tools-"));
const sandbox = await SandboxPool.create({
  isolation: config.tools.isolation,
  concurrency: config.tools.sandbox.pool_size,
  timeoutMs: config.tools.sandbox.timeout_ms,
});
try {
  const m = config.model;
  await buildTinyModel(dir, {
    hidden: m.hidden,
    layers: m.layers,
    heads: m.heads,
    kvHeads: m.kv_heads,
    seed: config.seed,
  });
  const engine = await startHfEngine({ model: dir, threads: 1 });
  try {
    log(`engine up: ${engine.info.model} on ${engine.info.device}; sandbox isolation ${sandbox.isolation}`);
    const r = await runToolDemo(engine, sandbox, config, { log });
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log("");
    console.log(`held-out problems          ${r.withTool.total}`);
    console.log(
      `with tool execution        ${pct(r.withTool.accuracy)}  (${r.withTool.toolCalls} sandbox calls)`,
    );
    console.log(`without tool execution     ${pct(r.withoutTool.accuracy)}`);
    console.log(`gap                        ${r.gapPoints.toFixed(1)} points (target >= 30)`);
    console.log(
      `SFT ${config.sft.steps} steps ${r.sftSeconds.toFixed(0)} s, eval ${r.evalSeconds.toFixed(0)} s, total ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    console.log(`example with tool:    ${JSON.stringify(r.withTool.examples[0])}`);
    console.log(`example without tool: ${JSON.stringify(r.withoutTool.examples[0])}`);
    process.exitCode = r.gapPoints >= 30 ? 0 : 1;
  } finally {
    await engine.shutdown();
  }
} finally {
  sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
