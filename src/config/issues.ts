import path from "node:path";
import { UserError } from "../util/errors.js";

/** Where a config value came from: a line of a YAML file, or a `--set` override. */
export type ConfigSource = { kind: "file"; file: string; line: number } | { kind: "set"; expr: string };

/** One problem with a config; `path` is the dotted path (`rewards.components[1].weight`), "" for the whole file. */
export interface ConfigIssue {
  source: ConfigSource;
  path: string;
  message: string;
}

/** A config that cannot be used; `issues` holds every problem found, not just the first. */
export class ConfigError extends UserError {
  override name = "ConfigError";
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.issues = issues;
  }
}

/** Paths under the cwd are shown relative to it (as the user typed them), others absolute. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

/** `FILE:LINE dotted.path: message`, or `--set a.b=c: message` for an override. */
export function formatIssue(issue: ConfigIssue): string {
  if (issue.source.kind === "set") {
    const setPath = issue.source.expr.slice(0, Math.max(0, issue.source.expr.indexOf("=")));
    const showPath = issue.path !== "" && issue.path !== normalizeDotted(setPath);
    return `--set ${truncateShown(issue.source.expr, 200)}: ${showPath ? `${issue.path}: ` : ""}${issue.message}`;
  }
  const where = `${displayPath(issue.source.file)}:${issue.source.line}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

export type PathSegment = string | number;

/** ["rewards", "components", 1, "weight"] → "rewards.components[1].weight" */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? s : `.${s}`;
  }
  return out;
}

function normalizeDotted(dotted: string): string {
  return dotted.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}

/** A value that came from an environment variable: errors show the reference, never the value. */
export class EnvReference {
  constructor(readonly text: string) {}
}

/** Longest value an error echoes: enough to recognise a typo, too short to dump a file or a token. */
const MAX_SHOWN = 60;

/** `text` cut to MAX_SHOWN characters, saying how much was left out. */
export function truncateShown(text: string, max = MAX_SHOWN): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** How a value reads in "got …". */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (value instanceof EnvReference) return `${truncateShown(value.text)} (from the environment)`;
  if (typeof value === "string") return truncateShown(JSON.stringify(value));
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** The valid key closest to a typo, if one is close enough to be what the user meant. */
export function closestKey(typo: string, valid: readonly string[]): string | undefined {
  const t = typo.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const key of valid) {
    const k = key.toLowerCase();
    const d = editDistance(t, k);
    const contains = k.length >= 2 && (t.includes(k) || k.includes(t));
    const score = contains ? Math.min(d, 1) : d;
    if (score < bestScore) {
      bestScore = score;
      best = key;
    }
  }
  const limit = Math.max(2, Math.floor(typo.length / 3));
  return bestScore <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, substitution);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
