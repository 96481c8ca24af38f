import { execa } from "execa";
import type { Check } from "../doctor/doctor.js";

/** What a framework venv's doctor module (`python -m still_rl.<framework>.doctor`) prints as its last line. */
export interface VenvProbe {
  python: string;
  packages: Record<string, string | null>;
  gpus: string[];
}

/**
 * Runs a framework venv's doctor module: the parsed probe with a check for the interpreter, or the one failed
 * check (the interpreter would not start or answered nonsense) with its last stderr lines.
 */
export async function probeVenv<P extends VenvProbe>(opts: {
  label: string;
  python: string;
  module: string;
  env: NodeJS.ProcessEnv;
  fix: string;
}): Promise<{ probe: P; checks: Check[] } | { probe: null; checks: Check[] }> {
  const r = await execa(opts.python, ["-m", opts.module], { env: opts.env, reject: false, timeout: 120_000 });
  try {
    const probe = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as P;
    return {
      probe,
      checks: [{ name: `${opts.label} python`, value: `${probe.python} (${opts.python})`, ok: true }],
    };
  } catch {
    const tail = `${r.stderr}`.trim().split("\n").slice(-5).join(" | ");
    const value = `${opts.python} failed (exit ${r.exitCode}): ${tail}`;
    return { probe: null, checks: [{ name: `${opts.label} python`, value, ok: false, fix: opts.fix }] };
  }
}

/** A check that a package is installed (`need: true`) or at exactly the version `need`. */
export function packageCheck(
  label: string,
  probe: VenvProbe,
  name: string,
  need: string | true,
  fix: string,
): Check {
  const v = probe.packages[name] ?? null;
  const ok = v !== null && (need === true || v === need);
  return {
    name: `${label} ${name}`,
    value: v ?? "not installed",
    ok,
    ...(!ok && { fix: v === null ? fix : `expected ${name} ${need}, found ${v}: ${fix}` }),
  };
}
