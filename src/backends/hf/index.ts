import type { RunConfig } from "../../config/index.js";
import { runDoctor } from "../../doctor/doctor.js";
import { train } from "../../train/trainer.js";
import type { Backend } from "../types.js";
import { runHfOnRay } from "./ray.js";

/** The built-in Hugging Face engine: the TypeScript driver loop (src/train/trainer.ts) owns the run. */
export const hfBackend: Backend = {
  type: "hf",
  // The driver loop honours every knob of the schema (its own refusals are schema or trainer errors).
  refusals: () => [],
  doctor: async (config: RunConfig) => {
    const report = await runDoctor(
      {
        packages: ["torch", "transformers", "pyzmq", "msgpack"],
        sandbox: config.tools.enabled && config.tools.isolation === "bwrap",
        cuda: config.backend.hf.device === "cuda",
      },
      config.python,
    );
    return report.checks;
  },
  run: (opts) =>
    opts.config.cluster.type === "ray"
      ? runHfOnRay(opts)
      : train({
          config: opts.config,
          runDir: opts.runDir,
          resume: opts.resume,
          ...(opts.resumeFrom !== undefined && { resumeFrom: opts.resumeFrom }),
          progress: opts.progress,
          signal: opts.signal,
        }),
};
