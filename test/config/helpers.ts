import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, type ConfigIssue, type LoadOptions, loadConfig } from "../../src/config/index.js";

/** Write `files` (relative name → YAML text) into a fresh temp directory and return it. */
export function writeFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "still-config-"));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** Where an issue points, relative to `dir`: "x.yaml:3" or "--set a.b=c". */
export function where(issue: ConfigIssue, dir: string): string {
  return issue.source.kind === "file"
    ? `${path.relative(dir, issue.source.file)}:${issue.source.line}`
    : `--set ${issue.source.expr}`;
}

/** The issues loading `entry` reports (fails the test when it loads). */
export function issuesOf(dir: string, entry: string, options: LoadOptions = {}): ConfigIssue[] {
  try {
    loadConfig(path.join(dir, entry), { env: {}, ...options });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error(`${entry} loaded without errors`);
}
