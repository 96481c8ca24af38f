import { existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { pythonEnv } from "../../pyenv/python.js";
import { packageRoot } from "../../util/paths.js";
import { type CompileIssue, OPENRLHF_VERSION, type OpenrlhfCommand, yamlPathsOf } from "./compile.js";

/** The pinned OpenRLHF environment made by `npm run setup:openrlhf`. */
export const openrlhfVenv = path.join(packageRoot, ".venv-openrlhf");
export const openrlhfPython = path.join(openrlhfVenv, "bin", "python");

interface CheckReply {
  ok: boolean;
  errors: { flags: string[]; message: string }[];
  warnings: string[];
  args: Record<string, unknown> | null;
}

export interface CheckResult {
  issues: CompileIssue[];
  /** OpenRLHF's own warnings about the command line ("[Warning] …", "Recommend …"). */
  warnings: string[];
  /** The arguments as OpenRLHF resolved them (its defaults filled in), for inspection. */
  args: Record<string, unknown> | null;
}

/**
 * Runs OpenRLHF's own parser and post-parse checks (python/still_rl/openrlhf/check.py) on the compiled flags
 * and names each error by the run config's YAML paths that produced the flags it mentions.
 */
export async function checkOpenrlhf(command: OpenrlhfCommand, python = openrlhfPython): Promise<CheckResult> {
  if (!existsSync(python)) {
    throw new Error(
      `${python} does not exist: run \`npm run setup:openrlhf\` (OpenRLHF ${OPENRLHF_VERSION} in its own venv)`,
    );
  }
  const r = await execa(python, ["-m", "still_rl.openrlhf.check", "--", ...command.argv], {
    env: pythonEnv(),
    reject: false,
  });
  let reply: CheckReply;
  try {
    reply = JSON.parse(r.stdout) as CheckReply;
  } catch {
    const tail = r.stderr.trim().split("\n").slice(-5).join("\n  ");
    throw new Error(`OpenRLHF's check did not run (exit ${r.exitCode}):\n  ${tail}`);
  }
  const issues = reply.errors.map((e) => {
    const paths = yamlPathsOf(e.flags, command.origins);
    return { path: paths.join(", ") || "backend.openrlhf", message: `OpenRLHF: ${e.message}` };
  });
  return { issues, warnings: reply.warnings, args: reply.args };
}
