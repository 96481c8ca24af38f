import { readFileSync } from "node:fs";
import type { Argv } from "yargs";
import { loadConfig } from "../../config/index.js";
import {
  type Isolation,
  SandboxError,
  type SandboxOptions,
  SandboxPool,
  sandboxOptionsFromConfig,
} from "../../sandbox/index.js";
import { UserError } from "../../util/errors.js";
import { MAX_TIMER_MS } from "../../util/timers.js";
import { defineCommand } from "../command.js";

interface RunArgs {
  file?: string;
  code?: string;
  timeout?: number;
  config?: string;
  isolation?: Isolation;
}

function runBuilder(y: Argv) {
  return y
    .option("file", { alias: "f", type: "string", describe: "Python file to run" })
    .option("code", { alias: "c", type: "string", describe: "Python code to run" })
    .option("timeout", { alias: "t", type: "number", describe: "wall-clock limit in seconds" })
    .option("config", {
      type: "string",
      describe: "take limits and isolation from a run config's `tools` block",
    })
    .option("isolation", {
      choices: ["bwrap", "none"] as const,
      describe: "none runs WITHOUT isolation (rlimits only); default: the config's, else bwrap",
    })
    .check((a) => {
      if (a.file === undefined && a.code === undefined) throw new UserError("give --file F or --code C");
      if (a.file !== undefined && a.code !== undefined)
        throw new UserError("give --file or --code, not both");
      // Past 2^31-1 ms a Node timer fires at once: the longest limit is about 24.8 days.
      if (a.timeout !== undefined && !(a.timeout > 0 && a.timeout * 1000 <= MAX_TIMER_MS))
        throw new UserError(
          `--timeout must be a positive number of seconds up to ${Math.floor(MAX_TIMER_MS / 1000)}`,
        );
      return true;
    })
    .example("$0 sandbox run --code 'print(2**100)'", "run a snippet and print the result as JSON")
    .example("$0 sandbox run --file solve.py --timeout 5", "run a file with a 5 s limit");
}

export const sandboxCommand = defineCommand({
  command: "sandbox <action>",
  describe: "Run Python in the code sandbox (`still sandbox run --code C`)",
  builder: (y: Argv) =>
    runBuilder(
      y.positional("action", {
        choices: ["run"] as const,
        describe: "run: one snippet, printed back as {status, exitCode, stdout, stderr, truncated, ms}",
      }),
    ) as unknown as Argv<RunArgs>,
  run: async (args) => {
    let code: string;
    if (args.file !== undefined) {
      try {
        code = readFileSync(args.file, "utf8");
      } catch (err) {
        throw new UserError(`cannot read ${args.file}: ${(err as Error).message}`);
      }
    } else code = args.code ?? "";
    let options: SandboxOptions = { concurrency: 1 };
    if (args.config !== undefined) {
      const { config } = loadConfig(args.config);
      options = { ...sandboxOptionsFromConfig(config.tools, config.python), concurrency: 1 };
    }
    if (args.isolation !== undefined) options.isolation = args.isolation;
    if (args.timeout !== undefined) options.timeoutMs = args.timeout * 1000;
    let pool: SandboxPool;
    try {
      pool = await SandboxPool.create(options);
    } catch (err) {
      if (err instanceof SandboxError || err instanceof RangeError) throw new UserError(err.message);
      throw err;
    }
    try {
      const r = await pool.run(code);
      process.stdout.write(`${JSON.stringify({ ...r, ms: Math.round(r.ms * 10) / 10 })}\n`);
      return 0;
    } catch (err) {
      if (err instanceof SandboxError) throw new UserError(err.message);
      throw err;
    } finally {
      pool.close();
    }
  },
});
