import { formatDoctor, runDoctor } from "../../doctor/doctor.js";
import { defineCommand } from "../command.js";

export const doctorCommand = defineCommand({
  command: "doctor",
  describe: "Check Node, Python, torch/transformers/veRL/OpenRLHF versions, GPUs and the sandbox",
  builder: (y) => y.example("$0 doctor", "report the environment still-rl will use"),
  run: async () => {
    const report = await runDoctor();
    process.stdout.write(`${formatDoctor(report)}\n`);
    return report.checks.every((c) => c.ok) ? 0 : 1;
  },
});
