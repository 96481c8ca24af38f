import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from "yaml";
import { type ConfigIssue, type ConfigSource, formatPath, type PathSegment } from "./issues.js";

/** One YAML file read into plain data, with the line of every dotted path and the problems found on the way. */
export interface ParsedYaml {
  value: unknown;
  /** Dotted path → where it was written ("" is the file itself). */
  sources: Map<string, ConfigSource>;
  issues: ConfigIssue[];
}

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Parse YAML text. `${VAR}` and `${VAR:-default}` in string values are replaced from `env` (`$${` writes a
 * literal `${`); a plain (unquoted) scalar that is exactly one reference is re-read as YAML, so `n: ${N}`
 * gives a number.
 */
export function parseYaml(text: string, file: string, env: NodeJS.ProcessEnv): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const sources = new Map<string, ConfigSource>([["", { kind: "file", file, line: 1 }]]);
  const issues: ConfigIssue[] = [];
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
      message: `invalid YAML: ${err.message.split("\n")[0]}`,
    });
  }
  if (issues.length > 0) return { value: undefined, sources, issues };

  const walk = (node: unknown, path: PathSegment[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, key];
        const keyNode = pair.key as Node | null;
        sources.set(formatPath(child), { kind: "file", file, line: lineOf(keyNode?.range?.[0]) });
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
    const replaced = raw.replace(
      ENV_REF,
      (match, name: string | undefined, fallback: string | undefined, at) => {
        if (match === "$${") return "${";
        whole = at === 0 && match.length === raw.length;
        const value = env[name as string];
        if (value !== undefined && !(value === "" && fallback !== undefined)) return value;
        if (fallback !== undefined) return fallback;
        issues.push({
          source: { kind: "file", file, line },
          path: formatPath(path),
          message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
        });
        return match;
      },
    );
    if (whole && node.type === Scalar.PLAIN) {
      const reread = parseDocument(replaced).toJS();
      node.value = reread !== null && typeof reread === "object" ? replaced : reread;
    } else {
      node.value = replaced;
    }
  };

  walk(doc.contents, []);
  return { value: doc.toJS() ?? {}, sources, issues };
}
