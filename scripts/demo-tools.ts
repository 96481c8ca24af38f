/**
 * The tool demo: `npm run demo:tools [-- CONFIG]` (default configs/demo-tools.yaml). Writes the generated
 * traces and held-out problems where the config's sft/eval blocks expect them, builds the tiny model, starts
 * the HF engine and the sandbox pool, fine-tunes, and prints held-out accuracy with and without tool execution.
 * Exits 1 when the gap is under 30 points.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../src/config/index.js";
import { startHfEngine } from "../src/engines/hf.js";
import { buildTinyModel } from "../src/engines/tiny.js";
import { tinyPreset } from "../src/engines/tiny-presets.js";
import { SandboxPool, sandboxOptionsFromConfig } from "../src/sandbox/index.js";
import { DEMO_DATA_DEFAULTS, runToolDemo, writeDemoData } from "../src/tools/demo.js";

const file = process.argv[2] ?? "configs/demo-tools.yaml";
let config: ReturnType<typeof loadConfig>["config"];
try {
  config = loadConfig(file).config;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const log = (m: string) => console.log(`[${seconds()}s] ${m}`);

const trainFile = config.sft?.train_files[0];
const testFile = config.eval.benchmarks[0]?.file;
if (!trainFile || !testFile) {
  console.error(`${file}: the demo needs sft.train_files and eval.benchmarks`);
  process.exit(1);
}
writeDemoData(trainFile, testFile, {
  ...DEMO_DATA_DEFAULTS,
  seed: config.seed,
  dialect: config.tools.dialect,
});
log(`wrote ${trainFile} and ${testFile}`);

const dir = mkdtempSync(path.join(os.tmpdir(), "still-demo-tools-"));
const sandbox = await SandboxPool.create(sandboxOptionsFromConfig(config.tools, config.python));
try {
  await buildTinyModel(dir, { ...tinyPreset(config.model.path), seed: config.seed });
  const engine = await startHfEngine({ model: dir, threads: 1 });
  try {
    log(`engine up (${config.model.path} on ${engine.info.device}), sandbox isolation ${sandbox.isolation}`);
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
      `SFT ${r.sftSteps} steps ${r.sftSeconds.toFixed(0)} s, eval ${r.evalSeconds.toFixed(0)} s, total ${seconds()} s`,
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
