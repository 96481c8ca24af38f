import type { Argv } from "yargs";
import { loadConfig } from "../../config/index.js";
import { planFromConfig } from "../../rewards/plan.js";
import { testRewards } from "../../rewards/reward-test.js";
import { serveRewards } from "../../rewards/service.js";
import { loadTokenCounter, resolveTokenizerDir, type TokenCounter } from "../../rewards/tokens.js";
import { defineCommand } from "../command.js";

const withConfig = <T>(y: Argv<T>) =>
  y
    .option("config", {
      type: "string",
      demandOption: true,
      describe: "Run config (YAML) whose rewards block is used",
    })
    .option("set", {
      type: "string",
      array: true,
      default: [] as string[],
      describe: "Override a config value, e.g. --set rewards.deadline_ms=2000 (repeatable)",
    });

const testCommand = defineCommand({
  command: "test",
  describe: "Score a JSONL file of samples and print each line with its reward, components and advantages",
  builder: (y) =>
    withConfig(y)
      .option("input", {
        type: "string",
        demandOption: true,
        describe: "JSONL: prompt, response, ground_truth, ...",
      })
      .example("$0 reward test --config my.yaml --input samples.jsonl", "check a reward before a run"),
  run: async ({ config, set, input }) => {
    const plan = planFromConfig(loadConfig(config, { set }).config);
    for (const line of await testRewards(plan, input)) process.stdout.write(`${line}\n`);
    return 0;
  },
});

const serveCommand = defineCommand({
  command: "serve",
  describe: "Serve the config's rewards to trainers: OpenRLHF's HTTP contract and ZeroMQ batches",
  builder: (y) =>
    withConfig(y)
      .option("host", { type: "string", default: "127.0.0.1", describe: "HTTP address to bind" })
      .option("port", { type: "number", default: 5000, describe: "HTTP port (0: any free port)" })
      .option("zmq", {
        type: "string",
        describe: "Also bind a ZeroMQ ROUTER for batched `score` requests, e.g. tcp://127.0.0.1:5555",
      })
      .option("peer-env", {
        type: "string",
        describe:
          "With --zmq: write the environment reward workers need (endpoint; CURVE keys off loopback) to this file",
      })
      .option("threads", { type: "number", describe: "Threads for verification and built-in rewards" })
      .option("max-body-mb", { type: "number", default: 64, describe: "Largest accepted HTTP body" })
      .option("tokenizer", {
        type: "string",
        describe:
          "Tokenizer directory (or cached hub id) for HTTP requests, which carry text only: exact response token counts and truncation (default: the config's model when available)",
      })
      .example(
        "$0 reward serve --config my.yaml --port 5000",
        "then: openrlhf ... --reward.remote_url http://127.0.0.1:5000/get_reward",
      ),
  run: async ({ config, set, host, port, zmq, peerEnv, threads, maxBodyMb, tokenizer }) => {
    const run = loadConfig(config, { set }).config;
    const plan = planFromConfig(run);
    const tokens = httpTokenCounter(tokenizer, run.model.tokenizer ?? run.model.path);
    const service = await serveRewards(plan, {
      http: { host, port, maxBodyBytes: Math.round(maxBodyMb * 1024 * 1024), ...(tokens && { tokens }) },
      ...(zmq !== undefined && {
        zmq: { endpoint: zmq, ...(peerEnv !== undefined && { peerEnvFile: peerEnv }) },
      }),
      ...(threads !== undefined && { threads }),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stderr.write(
      tokens
        ? `reward service: HTTP token counts from ${tokens.source}\n`
        : "reward service: no tokenizer found for the config's model: HTTP response lengths are estimated from characters and nothing counts as truncated (pass --tokenizer DIR)\n",
    );
    await service.stopped;
    return 0;
  },
});

/** An explicit --tokenizer must load; the config's model is used when its tokenizer is on this machine. */
function httpTokenCounter(explicit: string | undefined, fromConfig: string): TokenCounter | undefined {
  if (explicit !== undefined) return loadTokenCounter(explicit);
  return resolveTokenizerDir(fromConfig) === null ? undefined : loadTokenCounter(fromConfig);
}

export const rewardCommand = defineCommand({
  command: "reward",
  describe: "Test rewards on samples, or serve them to a trainer",
  builder: (y) => y.example("$0 reward test --config my.yaml --input samples.jsonl", "score samples"),
  subcommands: [testCommand, serveCommand],
});
