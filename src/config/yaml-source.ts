import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from "yaml";
import {
  type ConfigIssue,
  type ConfigSource,
  formatPath,
  type PathSegment,
  truncateShown,
} from "./issues.js";

/** One YAML file read into plain data, with the line of every dotted path and the problems found on the way. */
export interface ParsedYaml {
  value: unknown;
  /** Dotted path → where it was written ("" is the file itself). */
  sources: Map<string, ConfigSource>;
  issues: ConfigIssue[];
  /**
   * Dotted path → the scalar as written, for values that took an environment variable: errors and saved
   * configs show `${VAR}`, never the value (it may be a token).
   */
  templates: Map<string, EnvTemplate>;
}

export interface EnvTemplate {
  text: string;
  /** Written unquoted: a whole `${VAR}` is then re-read as YAML (`n: ${N}` gives a number). */
  plain: boolean;
}

/** Keys that would reach an object's prototype when the config is merged or overridden. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Parse YAML text. `${VAR}` and `${VAR:-default}` in string values are replaced from `env` (`$${` writes a
 * literal `${`); a plain (unquoted) scalar that is exactly one reference is re-read as YAML, so `n: ${N}`
 * gives a number.
 */
export function parseYaml(text: string, file: string, env: NodeJS.ProcessEnv): ParsedYaml {
  const sources = new Map<string, ConfigSource>([["", { kind: "file", file, line: 1 }]]);
  const templates = new Map<string, EnvTemplate>();
  try {
    return parseChecked(text, file, env, sources, templates);
  } catch (err) {
    // Alias bombs (the parser's alias budget) and nesting deep enough to exhaust the stack land here.
    const why =
      err instanceof RangeError
        ? "nested too deeply"
        : /alias/i.test((err as Error).message)
          ? "too many alias expansions (a YAML bomb?)"
          : (err as Error).message.split("\n")[0];
    return {
      value: undefined,
      sources,
      templates,
      issues: [{ source: { kind: "file", file, line: 1 }, path: "", message: `invalid YAML: ${why}` }],
    };
  }
}

function parseChecked(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  sources: Map<string, ConfigSource>,
  templates: Map<string, EnvTemplate>,
): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issues: ConfigIssue[] = [];
  let forbidden = false;
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;

  const errorLines = new Set<number>();
  for (const err of doc.errors) {
    // One error per line: the parser often reports a single mistake from several angles.
    const line = lineOf(err.pos[0]);
    if (errorLines.has(line)) continue;
    errorLines.add(line);
    issues.push({
      source: { kind: "file", file, line },
      path: "",
      message: `invalid YAML: ${truncateShown(err.message.split("\n")[0] ?? "", 200)}`,
    });
  }
  if (issues.length > 0) return { value: undefined, sources, templates, issues };

  const walk = (node: unknown, path: PathSegment[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, key];
        const keyNode = pair.key as Node | null;
        const source: ConfigSource = { kind: "file", file, line: lineOf(keyNode?.range?.[0]) };
        if (FORBIDDEN_KEYS.has(key)) {
          issues.push({ source, path: formatPath(path), message: `"${key}" is not allowed as a key` });
          forbidden = true;
          continue;
        }
        sources.set(formatPath(child), source);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = [...path, i];
        sources.set(formatPath(child), {
          kind: "file",
          file,
          line: lineOf((item as Node | null)?.range?.[0]),
        });
        walk(item, child);
      });
    } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("${")) {
      interpolate(node, path);
    }
  };

  const interpolate = (node: Scalar, path: PathSegment[]) => {
    const raw = node.value as string;
    const line = lineOf(node.range?.[0]);
    let whole = false;
    let fromEnv = false;
    const replaced = raw.replace(
      ENV_REF,
      (match, name: string | undefined, fallback: string | undefined, at) => {
        if (match === "$${") return "${";
        whole = at === 0 && match.length === raw.length;
        const value = env[name as string];
        if (value !== undefined && !(value === "" && fallback !== undefined)) {
          fromEnv = true;
          return value;
        }
        if (fallback !== undefined) return fallback;
        issues.push({
          source: { kind: "file", file, line },
          path: formatPath(path),
          message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
        });
        return match;
      },
    );
    if (fromEnv) templates.set(formatPath(path), { text: raw, plain: node.type === Scalar.PLAIN });
    if (whole && node.type === Scalar.PLAIN) {
      const reread = parseDocument(replaced).toJS();
      node.value = reread !== null && typeof reread === "object" ? replaced : reread;
    } else {
      node.value = replaced;
    }
  };

  walk(doc.contents, []);
  const value: unknown = doc.toJS() ?? {};
  // A file with a forbidden key goes no further: its data never reaches a merge.
  return { value: forbidden ? undefined : value, sources, templates, issues };
}
