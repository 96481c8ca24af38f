import { getBackend } from "../../backends/index.js";
import { loadConfig } from "../../config/index.js";
import { formatDoctor, requirementsFor, runDoctor } from "../../doctor/doctor.js";
import { defineCommand } from "../command.js";

export const doctorCommand = defineCommand({
  command: "doctor",
  describe: "Check Node, Python, torch/transformers/veRL/OpenRLHF versions, GPUs and the sandbox",
  builder: (y) =>
    y
      .option("config", { type: "string", describe: "a run config: fail when something it needs is missing" })
      .example("$0 doctor", "report the environment still-rl will use")
      .example("$0 doctor --config configs/still3/still3-1.5b.yaml", "check what that run needs"),
  run: async (args) => {
    const config = args.config === undefined ? undefined : loadConfig(args.config).config;
    const report = await runDoctor(config && requirementsFor(config), config?.python);
    // A framework backend's own environment (.venv-verl, .venv-openrlhf) comes after the project's.
    if (config !== undefined && config.backend.type !== "hf") {
      report.checks.push(...(await getBackend(config.backend.type).doctor(config)));
    }
    process.stdout.write(`${formatDoctor(report)}\n`);
    return report.checks.every((c) => c.ok) ? 0 : 1;
  },
});
