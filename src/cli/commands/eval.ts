import path from "node:path";
import { loadConfig } from "../../config/index.js";
import { benchmarksFor, startGenerator, verifyOptionsFor } from "../../eval/from-config.js";
import { progressBar } from "../../eval/progress.js";
import { type EvalOnRayOptions, evalOnRay } from "../../eval/ray.js";
import { checkSettings, runEval, SAMPLES_FILE, SUMMARY_FILE } from "../../eval/run.js";
import { formatSummary } from "../../eval/summary.js";
import { UserError } from "../../util/errors.js";
import { defineCommand } from "../command.js";

export const evalCommand = defineCommand({
  command: "eval <config>",
  describe:
    "Evaluate a checkpoint (built-in HF engine) or a served model (OpenAI-compatible endpoint) on the config's " +
    "benchmarks: pass@1 over k samples, pass@k, maj@k, lengths of correct vs incorrect answers; resumable; " +
    "with cluster.type: ray, as a Ray job",
  builder: (y) =>
    y
      .positional("config", {
        type: "string",
        demandOption: true,
        describe: "YAML config with an eval block",
      })
      .option("model", {
        type: "string",
        describe: "HF model or run directory (default: model.path); with --endpoint, the served model name",
      })
      .option("endpoint", {
        type: "string",
        describe: "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1",
      })
      .option("api", {
        choices: ["completions", "chat"] as const,
        default: "completions" as const,
        describe: "endpoint API: completions (prompt rendered with the config's template) or chat",
      })
      .option("benchmarks", {
        type: "string",
        array: true,
        describe:
          "benchmark names (the config's, or bundled: math500 aime24 aime25 hmmt_feb25 omni_math_rule) or files",
      })
      .option("out", {
        type: "string",
        describe: "output directory (default runs/eval/<config name>; on Ray, this path on the job's node)",
      })
      .option("limit", { type: "number", describe: "only the first N problems of each benchmark" })
      .option("set", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "override a config value",
      })
      .option("concurrency", { type: "number", default: 8, describe: "endpoint requests in flight" })
      .option("retries", { type: "number", default: 3, describe: "retries of a failed endpoint request" })
      .option("timeout", { type: "number", default: 600, describe: "seconds per endpoint request" })
      .option("batch-size", { type: "number", default: 8, describe: "problems per HF engine call" })
      .example("$0 eval configs/eval/still3-math.yaml --model runs/demo", "a trained checkpoint, HF engine")
      .example(
        "$0 eval configs/eval/still3-1.5b.yaml --endpoint http://127.0.0.1:8000/v1 --benchmarks aime24",
        "a vLLM server",
      )
      .example(
        "$0 eval configs/eval/still3-math.yaml --set cluster.type=ray cluster.address=http://127.0.0.1:8265",
        "as a Ray job on the cluster of that job server (`npm run build` first; see docs/ray.md)",
      ),
  run: async (args) => {
    const { config } = loadConfig(args.config, { set: args.set });
    const names = args.benchmarks?.flatMap((b) => b.split(","));
    const outDir = args.out ?? path.join("runs", "eval", config.name);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (config.cluster.type === "ray") {
      return evalOnRayCommand({ ...args, config, benchmarks: names, outDir, onLine: log });
    }
    const benchmarks = benchmarksFor(config, names);
    const settings = {
      model: args.model ?? (args.endpoint === undefined ? config.model.path : null),
      endpoint: args.endpoint ?? null,
      api: args.endpoint === undefined ? null : args.api,
      prompt: config.prompt,
      benchmarks: benchmarks.map((b) => ({
        name: b.name,
        file: b.file,
        decoding: b.decoding,
        tools: b.tools,
      })),
      limit: args.limit ?? null,
      seed: config.seed,
    };
    checkSettings(outDir, settings);
    const generator = await startGenerator(config, {
      model: args.model,
      endpoint: args.endpoint,
      api: args.api,
      concurrency: args.concurrency,
      retries: args.retries,
      timeoutMs: args.timeout * 1000,
      batchSize: args.batchSize,
      outDir,
      onLog: log,
    });
    try {
      const result = await runEval({
        benchmarks,
        generator,
        ks: config.eval.k,
        outDir,
        seed: config.seed,
        verify: verifyOptionsFor(config),
        limit: args.limit,
        settings,
        progress: progressBar(process.stderr),
      });
      process.stdout.write(`${formatSummary(result.summaries)}\n`);
      const errors = result.summaries.reduce((a, s) => a + s.errors, 0);
      log(
        `${result.generated} samples generated now; rows: ${path.join(outDir, SAMPLES_FILE)}, summary: ${path.join(outDir, SUMMARY_FILE)}` +
          (errors > 0
            ? `\n${errors} requests failed after retries (flagged rows); rerun the same command to retry them`
            : ""),
      );
      return errors > 0 ? 1 : 0;
    } finally {
      await generator.close();
    }
  },
});

/** Exit status of an evaluation stopped by Ctrl-C (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

/** `still eval` with `cluster.type: ray`: one Ray job, its log streamed back, Ctrl-C stops it. */
async function evalOnRayCommand(o: Omit<EvalOnRayOptions, "signal">): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.stderr.write("\ninterrupted again: exiting without waiting for the job to stop\n");
      process.exit(EXIT_INTERRUPTED);
    }
    o.onLine("\ninterrupt: stopping the Ray job (Ctrl-C again to quit now)");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    const r = await evalOnRay({ ...o, signal: controller.signal });
    const where = r.here ? "" : ` on the cluster node that ran job ${r.submissionId}`;
    if (controller.signal.aborted) {
      o.onLine(
        `Ray job ${r.submissionId}: stopped; the rows written so far are in ${r.outDir}${where}: rerun the same command to resume`,
      );
      return EXIT_INTERRUPTED;
    }
    if (!r.ok) {
      throw new UserError(r.failure);
    }
    if (r.summaries !== null) process.stdout.write(`${formatSummary(r.summaries)}\n`);
    o.onLine(
      `Ray job ${r.submissionId}: SUCCEEDED; rows: ${path.join(r.outDir, SAMPLES_FILE)}, summary: ${path.join(r.outDir, SUMMARY_FILE)}${where}`,
    );
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
