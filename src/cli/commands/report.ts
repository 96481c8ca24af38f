import path from "node:path";
import { writeReport } from "../../report/report.js";
import { defineCommand } from "../command.js";

export const reportCommand = defineCommand({
  command: "report <dirs..>",
  describe:
    "Write a self-contained report.html for run directories (charts per metric, runs overlaid) and `still eval` " +
    "output directories (an evaluation section)",
  builder: (y) =>
    y
      .positional("dirs", {
        type: "string",
        array: true,
        demandOption: true,
        describe: "run or eval directories",
      })
      .option("out", {
        type: "string",
        describe: "output file (default: report.html in the first run directory)",
      })
      .example("$0 report runs/demo", "one run")
      .example("$0 report runs/kl-none runs/kl-cosine --out ablation.html", "overlay two runs")
      .example("$0 report runs/eval/eval-still3-math", "an evaluation's summary and graded samples"),
  run: async ({ dirs, out }) => {
    const file = await writeReport(dirs, out ?? path.join(dirs[0]!, "report.html"));
    process.stdout.write(`${file}\n`);
    return 0;
  },
});
