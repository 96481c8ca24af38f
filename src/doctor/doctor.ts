import { execa } from "execa";
import type { RunConfig } from "../config/index.js";
import { type PythonInterpreter, pythonEnv, resolvePython } from "../pyenv/python.js";
import { SandboxPool } from "../sandbox/index.js";

/** One line of the doctor's report. `ok: false` with `fix` means a requirement is not met. */
export interface Check {
  name: string;
  value: string;
  ok: boolean;
  fix?: string;
}

export interface DoctorReport {
  python: PythonInterpreter;
  checks: Check[];
}

/** What a run needs from the environment; derived from its config by the caller. */
export interface Requirements {
  packages: string[];
  sandbox: boolean;
  cuda: boolean;
}

/**
 * What each backend needs from the project venv. veRL runs from its own venv
 * (.venv-verl) and OpenRLHF from .venv-openrlhf, each checked by its backend's doctor (their index.ts).
 */
const BACKEND_PACKAGES: Record<RunConfig["backend"]["type"], string[]> = {
  hf: ["torch", "transformers", "pyzmq", "msgpack"],
  verl: [],
  openrlhf: [],
};

/** Derive what a run needs from its config. */
export function requirementsFor(config: RunConfig): Requirements {
  const type = config.backend.type;
  return {
    packages: BACKEND_PACKAGES[type],
    sandbox: config.tools.enabled && config.tools.isolation === "bwrap",
    cuda: type === "hf" && config.backend.hf.device === "cuda",
  };
}

const PYTHON_PACKAGES = ["torch", "transformers", "pyzmq", "msgpack", "verl", "openrlhf", "vllm", "ray"];

interface PythonFacts {
  version: string;
  packages: Record<string, string | null>;
  cuda: { available: boolean; devices: string[] } | null;
}

/**
 * What the interpreter reports about itself, as one JSON line. Versions come from installed metadata, so
 * nothing heavy is imported except torch for CUDA.
 */
const PROBE = `
import importlib.metadata as m, json, sys
names = json.loads(sys.argv[1])
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
packages = {n: version(n) for n in names}
cuda = None
if packages.get("torch"):
    import torch
    ok = torch.cuda.is_available()
    cuda = {"available": ok, "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if ok else []}
print(json.dumps({"version": sys.version.split()[0], "packages": packages, "cuda": cuda}))
`;

/**
 * Ask the configured interpreter about itself: one short subprocess, the same interpreter and environment
 * every peer gets (pythonEnv), a deadline, and its stderr in the error when it fails.
 */
async function pythonFacts(python: PythonInterpreter): Promise<PythonFacts> {
  const r = await execa(python.executable, ["-c", PROBE, JSON.stringify(PYTHON_PACKAGES)], {
    env: pythonEnv(),
    timeout: 120_000,
    reject: false,
  });
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-3).join(" | ");
    throw new Error(r.failed && r.exitCode === undefined ? r.message : `exit code ${r.exitCode}: ${tail}`);
  }
  return JSON.parse(r.stdout) as PythonFacts;
}

/** Whether the code sandbox works: builds a real one (as a run would) and runs a snippet in it. */
async function sandboxCheck(python: string): Promise<{ ok: boolean; detail: string; memory?: string }> {
  try {
    const pool = await SandboxPool.create({ python, concurrency: 1, prestart: false });
    pool.close();
    return {
      ok: true,
      detail: "bubblewrap sandbox runs Python (user/pid/net/ipc/uts namespaces, no capabilities)",
      memory: pool.memory.detail,
    };
  } catch (err) {
    return { ok: false, detail: (err as Error).message.split("\n")[0] ?? "" };
  }
}

/** Check the environment; with requirements, mark what a run needs but lacks. */
export async function runDoctor(
  requirements?: Requirements,
  configuredPython?: string,
): Promise<DoctorReport> {
  const python = resolvePython(configuredPython);
  const checks: Check[] = [{ name: "node", value: process.versions.node, ok: true }];
  let facts: PythonFacts | undefined;
  try {
    facts = await pythonFacts(python);
    checks.push({
      name: "python",
      value: `${facts.version} (${python.executable}, ${python.source})`,
      ok: true,
    });
  } catch (err) {
    checks.push({
      name: "python",
      value: `cannot start ${python.executable}: ${err instanceof Error ? err.message : String(err)}`,
      ok: false,
      fix: "run `npm run setup`, or set STILL_PYTHON to a working interpreter",
    });
  }
  for (const name of PYTHON_PACKAGES) {
    const version = facts?.packages[name] ?? null;
    const needed = requirements?.packages.includes(name) ?? false;
    checks.push({
      name,
      value: version ?? "not installed",
      ok: version !== null || !needed,
      ...(version === null && needed
        ? {
            fix: `this run needs ${name}: install it into ${python.executable} (e.g. \`pip install ${name}\`)`,
          }
        : {}),
    });
  }
  const cuda = facts?.cuda;
  const gpuText = cuda?.available
    ? `${cuda.devices.length} GPU(s): ${cuda.devices.join(", ")}`
    : "no CUDA device";
  const cudaNeeded = requirements?.cuda ?? false;
  checks.push({
    name: "cuda",
    value: gpuText,
    ok: !cudaNeeded || Boolean(cuda?.available),
    ...(cudaNeeded && !cuda?.available
      ? { fix: "this run needs a GPU; use backend hf on CPU for small runs" }
      : {}),
  });
  const sandbox = await sandboxCheck(python.executable);
  const sandboxNeeded = requirements?.sandbox ?? false;
  checks.push({
    name: "sandbox",
    value: sandbox.detail,
    ok: sandbox.ok || !sandboxNeeded,
    ...(!sandbox.ok && sandboxNeeded
      ? { fix: "install bubblewrap (`apt-get install bubblewrap`) and allow unprivileged user namespaces" }
      : {}),
  });
  // Which memory enforcement is in effect: a cgroup per execution, or the fallback (and why).
  if (sandbox.memory !== undefined) checks.push({ name: "sandbox memory", value: sandbox.memory, ok: true });
  return { python, checks };
}

export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  return report.checks
    .map(
      (c) =>
        `${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(width)}  ${c.value}${c.fix ? `\n     fix: ${c.fix}` : ""}`,
    )
    .join("\n");
}
