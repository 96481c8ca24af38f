import type { RunConfig } from "../../config/index.js";
import type { Check } from "../../doctor/doctor.js";
import { packageCheck, probeVenv, type VenvProbe } from "../probe.js";
import type { Backend } from "../types.js";
import { compileVerl, verlRefusals } from "./compile.js";
import { runVerl } from "./launch.js";
import { VERL_VENV, verlEnv, verlPython } from "./python.js";

/** veRL 0.9.1 (plugin mode): still-rl compiles the run config and serves the plugin from TypeScript. */
export const verlBackend: Backend = {
  type: "verl",
  refusals: verlRefusals,
  doctor: verlDoctor,
  compile: (config, runDir) => compileVerl(config, runDir),
  run: runVerl,
};

/** Pinned in python/requirements-verl.txt. */
export const VERL_VERSION = "0.9.1";

interface Probe extends VenvProbe {
  plugin_errors: string[];
}

const SETUP = "run `npm run setup:verl` (makes .venv-verl from python/requirements-verl.txt, ~3 min)";

export async function verlDoctor(config: RunConfig): Promise<Check[]> {
  let python: string;
  try {
    python = verlPython(config);
  } catch {
    return [{ name: "veRL python", value: `${VERL_VENV} missing`, ok: false, fix: SETUP }];
  }
  const probed = await probeVenv<Probe>({
    label: "veRL",
    python,
    module: "still_rl.verl.doctor",
    env: verlEnv(),
    fix: SETUP,
  });
  const { probe, checks } = probed;
  if (probe === null) return checks;
  const pkg = (name: string, need: string | true, fix: string) =>
    checks.push(packageCheck("veRL", probe, name, need, fix));
  pkg("verl", VERL_VERSION, SETUP);
  pkg("ray", true, SETUP);
  pkg("transferqueue", true, SETUP);
  pkg("pyzmq", true, SETUP);
  checks.push({
    name: "veRL still-rl plugin",
    value:
      probe.plugin_errors.length === 0
        ? "loaded from its verl.plugins entry point"
        : probe.plugin_errors.join("; "),
    ok: probe.plugin_errors.length === 0,
    ...(probe.plugin_errors.length > 0 && { fix: SETUP }),
  });
  const engine = config.backend.verl.rollout_engine;
  pkg(
    engine,
    true,
    `veRL's rollout needs ${engine} on a GPU machine: \`${python} -m pip install "verl[${engine}]==${VERL_VERSION}"\` (or use a verlai/verl image and set \`python:\` in the config)`,
  );
  const need = config.backend.verl.n_gpus_per_node;
  const gpus = probe.gpus.length;
  checks.push({
    name: "veRL GPUs",
    value: gpus === 0 ? "no CUDA device" : `${gpus}: ${probe.gpus.join(", ")}`,
    ok: config.cluster.type === "ray" || gpus >= need,
    ...(config.cluster.type !== "ray" &&
      gpus < need && {
        fix: `this run asks for ${need} GPU(s) per node (backend.verl.n_gpus_per_node); run it on a GPU machine or a Ray cluster (cluster.type ray)`,
      }),
  });
  return checks;
}
