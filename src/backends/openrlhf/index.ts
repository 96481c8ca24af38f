import { existsSync } from "node:fs";
import path from "node:path";
import type { RunConfig } from "../../config/index.js";
import type { Check } from "../../doctor/doctor.js";
import { pythonEnv } from "../../pyenv/python.js";
import { packageRoot } from "../../util/paths.js";
import { packageCheck, probeVenv, type VenvProbe } from "../probe.js";
import type { Backend, CompiledLaunch } from "../types.js";
import { openrlhfPython } from "./check.js";
import {
  compileOpenrlhf,
  OPENRLHF_MODULE,
  OPENRLHF_VERSION,
  type OpenrlhfCommand,
  type OpenrlhfTargets,
} from "./compile.js";
import { runOpenrlhf } from "./launch.js";

/** OpenRLHF 0.11.2: still-rl compiles the run config to train_ppo_ray flags and serves rewards and tools. */
export const openrlhfBackend: Backend = {
  type: "openrlhf",
  refusals: (config) => compileOpenrlhf(config, openrlhfTargets(config, "runs/_")).issues,
  doctor: openrlhfDoctor,
  compile: (config, runDir) => compiledLaunch(compileOpenrlhf(config, openrlhfTargets(config, runDir))),
  run: runOpenrlhf,
};

/** The tool agent OpenRLHF loads by path (`--train.agent_func_path`). */
export const AGENT_PATH = path.join(packageRoot, "python", "still_rl", "openrlhf", "agent.py");

/** `still reward serve`'s default address: a compiled command works next to `still reward serve --config …`. */
export const DEFAULT_REWARD_URL = "http://127.0.0.1:5000/get_reward";

/** Where a launch in `runDir` puts what OpenRLHF reads and writes. */
export function openrlhfTargets(
  config: RunConfig,
  runDir: string,
  rewardUrl = DEFAULT_REWARD_URL,
): OpenrlhfTargets {
  const dir = path.resolve(runDir);
  return {
    model: config.model.path,
    trainData: path.join(dir, "data", "train.jsonl"),
    rewardUrl,
    ckptDir: path.join(dir, "ckpt"),
    ...(config.tools.enabled && { agentPath: AGENT_PATH }),
  };
}

/** The compiled flags in the shape every backend's compile returns (`key value` pairs, their YAML paths). */
export function compiledLaunch(command: OpenrlhfCommand): CompiledLaunch {
  const args: CompiledLaunch["args"] = [];
  const argv = command.argv;
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    const next = argv[i + 1];
    const values: string[] = [];
    while (next !== undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith("--"))
      values.push(argv[++i]!);
    args.push({ key, value: values.join(" "), from: command.origins[key] ?? [] });
  }
  const notes = Object.entries(command.ts).map(([p, why]) => `${p}: ${why}`);
  return { argv: ["-m", OPENRLHF_MODULE, ...argv], args, notes };
}

/** `still config compile --backend openrlhf`: the command as a script. */
export function formatOpenrlhfShell(launch: CompiledLaunch, python = "python"): string {
  const q = (s: string) => (/^[A-Za-z0-9_\-./=:,+@]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`);
  const notes = launch.notes.map((n) => `# ${n}\n`).join("");
  const lines = launch.args.map(
    (a) => `  ${[a.key, ...(a.value === "" ? [] : a.value.split(" "))].map(q).join(" ")}`,
  );
  return `#!/usr/bin/env bash\n${notes}exec ${python} ${launch.argv.slice(0, 2).join(" ")} \\\n${lines.join(" \\\n")}\n`;
}

/** `--format yaml`: each flag with the run-config paths it came from. */
export function formatOpenrlhfYaml(launch: CompiledLaunch): string {
  const lines = [`command: python -m ${OPENRLHF_MODULE}`, "flags:"];
  for (const a of launch.args) {
    const from = a.from.length > 0 ? `  # ${a.from.join(", ")}` : "";
    lines.push(`  ${JSON.stringify(a.key)}: ${a.value === "" ? "true" : JSON.stringify(a.value)}${from}`);
  }
  if (launch.notes.length > 0) lines.push("notes:", ...launch.notes.map((n) => `  - ${JSON.stringify(n)}`));
  return `${lines.join("\n")}\n`;
}

interface Probe extends VenvProbe {
  agent_error: string | null;
}

const SETUP = "run `npm run setup:openrlhf` (makes .venv-openrlhf from python/requirements-openrlhf.txt)";

/** What a GPU launch adds to .venv-openrlhf (OpenRLHF 0.11.2's own pins). */
const GPU_PACKAGES: Record<string, string> = {
  vllm: "vllm==0.29.0",
  deepspeed: "deepspeed==0.19.6",
  ray: '"ray[default]==2.55.0"',
  "flash-attn": "flash-attn==2.8.3 --no-build-isolation",
};

export async function openrlhfDoctor(config: RunConfig): Promise<Check[]> {
  const python = config.python ?? openrlhfPython;
  if (!existsSync(python)) {
    return [{ name: "OpenRLHF python", value: `${python} missing`, ok: false, fix: SETUP }];
  }
  const probed = await probeVenv<Probe>({
    label: "OpenRLHF",
    python,
    module: "still_rl.openrlhf.doctor",
    env: pythonEnv(),
    fix: SETUP,
  });
  const { probe, checks } = probed;
  if (probe === null) return checks;
  const pkg = (name: string, need: string | true, fix: string) =>
    checks.push(packageCheck("OpenRLHF", probe, name, need, fix));
  pkg("openrlhf", OPENRLHF_VERSION, SETUP);
  for (const name of ["torch", "transformers", "aiohttp", "pyzmq", "msgpack"]) pkg(name, true, SETUP);
  if (config.tools.enabled) {
    checks.push({
      name: "OpenRLHF tool agent",
      value: probe.agent_error ?? `imports (${path.relative(packageRoot, AGENT_PATH)})`,
      ok: probe.agent_error === null,
      ...(probe.agent_error !== null && { fix: SETUP }),
    });
  }
  for (const [name, spec] of Object.entries(GPU_PACKAGES)) {
    if (name === "flash-attn" && !config.backend.openrlhf.flash_attn) continue;
    pkg(
      name,
      true,
      `a GPU launch of OpenRLHF needs ${name}: \`${python} -m pip install ${spec}\` on the GPU machine (it does not install on a CPU-only one)`,
    );
  }
  const o = config.backend.openrlhf;
  const need = Math.max(o.actor_num_gpus_per_node, o.vllm_num_engines * o.vllm_tensor_parallel_size);
  const gpus = probe.gpus.length;
  checks.push({
    name: "OpenRLHF GPUs",
    value: gpus === 0 ? "no CUDA device" : `${gpus}: ${probe.gpus.join(", ")}`,
    ok: config.cluster.type === "ray" || gpus >= need,
    ...(config.cluster.type !== "ray" &&
      gpus < need && {
        fix: `this run asks for ${need} GPU(s) on one node (backend.openrlhf actor/vLLM layout); run it on a GPU machine or a Ray cluster (cluster.type ray)`,
      }),
  });
  return checks;
}
