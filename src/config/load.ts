import { readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { Document, parse as parseYamlValue, Scalar } from "yaml";
import type { z } from "zod";
import {
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  closestKey,
  describeValue,
  displayPath,
  EnvReference,
  formatPath,
  type PathSegment,
} from "./issues.js";
import { type RunConfig, runConfigSchema } from "./schema/index.js";
import { acceptsNull, expectsString, validKeysAt } from "./schema-path.js";
import { type EnvTemplate, FORBIDDEN_KEYS, parseYaml } from "./yaml-source.js";

export interface LoadOptions {
  /** `a.b=c` overrides applied after the files, in order; values are YAML (`[a, b]` is a list). */
  set?: string[];
  /** Environment for `${VAR}` (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: RunConfig;
  /** Where each dotted path of the merged YAML was written (the last file or --set that wrote it). */
  sources: Map<string, ConfigSource>;
  /** Dotted paths whose value came from an environment variable, with the `${VAR}` text written there. */
  templates: Map<string, EnvTemplate>;
}

type Plain = Record<string, unknown>;

interface Layer {
  value: Plain;
  sources: Map<string, ConfigSource>;
  templates: Map<string, EnvTemplate>;
}

/** A config file is a few KiB; anything far larger is a mistake (or an attack on the parser). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Pseudo-filesystems whose "files" are process state (environment, memory), never configs. */
const REFUSED_ROOTS = ["/proc", "/sys", "/dev"];

/** `${VAR}` text per config loaded here, so that printing a config never writes a secret's value. */
const configTemplates = new WeakMap<object, Map<string, EnvTemplate>>();

/**
 * Load a run config: read the YAML, resolve `extends` (paths relative to the file; a list merges in order),
 * interpolate `${ENV}`, apply `--set` overrides, validate against the schema. Throws a ConfigError listing
 * every problem, each with its file, line and dotted path.
 */
export function loadConfig(file: string, options: LoadOptions = {}): LoadedConfig {
  const issues: ConfigIssue[] = [];
  const abs = path.resolve(file);
  const read: Reader = { env: options.env ?? process.env, issues, seen: new Map() };
  const layer = readLayer(abs, [], read, undefined);
  // A missing or broken file in the extends chain: the schema's verdict on the rest would only add noise.
  if (layer === undefined) throw new ConfigError(issues);
  issues.push(...applyOverrides(layer, options.set ?? []));

  const parsed = runConfigSchema.safeParse(layer.value);
  if (!parsed.success) {
    const reported = new Set(issues.map((i) => i.path));
    for (const issue of schemaIssues(parsed.error.issues, layer)) {
      if (!reported.has(issue.path)) issues.push(issue);
    }
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(sortIssues(issues));
  configTemplates.set(parsed.data, layer.templates);
  return { config: parsed.data, sources: layer.sources, templates: layer.templates };
}

/**
 * The fully resolved config (defaults filled in) as YAML that validates on its own. A value that came from
 * an environment variable is written as the `${VAR}` reference, not its value: this text goes into run
 * directories and reports, and loading it again reads the variable again.
 */
export function printConfig(config: RunConfig): string {
  const doc = new Document(config);
  for (const [dotted, template] of configTemplates.get(config) ?? []) {
    const at = parseDottedPath(dotted);
    if (at === undefined || !doc.hasIn(at)) continue;
    const node = new Scalar(template.text);
    node.type = template.plain ? Scalar.PLAIN : Scalar.QUOTE_DOUBLE;
    doc.setIn(at, node);
  }
  return doc.toString({ lineWidth: 0 });
}

/** `loadConfig` then `printConfig`. */
export function resolveConfigText(file: string, options: LoadOptions = {}): string {
  return printConfig(loadConfig(file, options).config);
}

interface Reader {
  env: NodeJS.ProcessEnv;
  issues: ConfigIssue[];
  /** Every file read so far: a diamond of extends reads (and merges) each file once. */
  seen: Map<string, Layer | undefined>;
}

/** Read one file and everything it extends; undefined when a file of the chain cannot be used. */
function readLayer(
  file: string,
  stack: string[],
  read: Reader,
  from: { source: ConfigSource; path: string } | undefined,
): Layer | undefined {
  const { issues } = read;
  const where: ConfigSource = from?.source ?? { kind: "file", file, line: 1 };
  const at = from?.path ?? "";
  if (stack.includes(file)) {
    const cycle = [...stack.slice(stack.indexOf(file)), file].map(displayPath).join(" -> ");
    issues.push({ source: where, path: at, message: `cyclic extends: ${cycle}` });
    return undefined;
  }
  if (read.seen.has(file)) return read.seen.get(file);
  const layer = readNewLayer(file, stack, read, where, at);
  read.seen.set(file, layer);
  return layer;
}

/** The text of a config file; refuses what is not a regular file of a sane size (never echoing its content). */
function readConfigText(
  file: string,
  where: ConfigSource,
  at: string,
  issues: ConfigIssue[],
): string | undefined {
  const refuse = (message: string) => {
    issues.push({ source: where, path: at, message });
    return undefined;
  };
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return refuse(`file not found: ${displayPath(file)}`);
  }
  if (REFUSED_ROOTS.some((root) => real === root || real.startsWith(`${root}/`))) {
    return refuse(
      `${displayPath(file)} is not a config file (${real} is under ${real.split("/").slice(0, 2).join("/")})`,
    );
  }
  const stat = statSync(real);
  if (!stat.isFile()) return refuse(`${displayPath(file)} is not a regular file`);
  if (stat.size > MAX_CONFIG_BYTES) {
    return refuse(
      `${displayPath(file)} is ${stat.size} bytes; a config file may be at most ${MAX_CONFIG_BYTES}`,
    );
  }
  try {
    return readFileSync(real, "utf8");
  } catch (err) {
    return refuse(`cannot read ${displayPath(file)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

function readNewLayer(
  file: string,
  stack: string[],
  read: Reader,
  where: ConfigSource,
  at: string,
): Layer | undefined {
  const { issues } = read;
  const text = readConfigText(file, where, at, issues);
  if (text === undefined) return undefined;
  const parsed = parseYaml(text, file, read.env);
  if (parsed.issues.length > 0 && parsed.value === undefined) {
    issues.push(...parsed.issues);
    return undefined;
  }
  issues.push(...parsed.issues);
  if (!isPlain(parsed.value)) {
    issues.push({
      source: { kind: "file", file, line: 1 },
      path: "",
      message: `expected a mapping of config keys, got ${describeValue(parsed.value)}`,
    });
    return undefined;
  }
  const { extends: parents, ...own } = parsed.value;
  const self: Layer = {
    value: own,
    sources: withoutPath(parsed.sources, "extends"),
    templates: withoutPath(parsed.templates, "extends"),
  };
  if (parents === undefined) return mergeLayers(emptyLayer(), self);

  const extendsSource = parsed.sources.get("extends") as ConfigSource;
  const list = typeof parents === "string" ? [parents] : parents;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === "string" && p !== "")) {
    issues.push({
      source: extendsSource,
      path: "extends",
      message: `expected a file path or a list of file paths, got ${describeValue(parents)}`,
    });
    return undefined;
  }
  let merged = emptyLayer();
  let ok = true;
  (list as string[]).forEach((parent, i) => {
    const at = formatPath(["extends", ...(Array.isArray(parents) ? [i] : [])]);
    const from = { source: parsed.sources.get(at) ?? extendsSource, path: at };
    const layer = readLayer(path.resolve(path.dirname(file), parent), [...stack, file], read, from);
    if (layer === undefined) ok = false;
    else merged = mergeLayers(merged, layer);
  });
  if (!ok) return undefined;
  return mergeLayers(merged, self);
}

/**
 * Deep merge: mappings merge key by key, anything else (lists included) is replaced by the later layer. A
 * later `key: null` removes the inherited value where null is not a value of its own (as in Helm), so a
 * preset can drop e.g. `algorithm.kl.coef` when it switches `kl.mode` to none.
 */
function emptyLayer(): Layer {
  return { value: {}, sources: new Map(), templates: new Map() };
}

function mergeLayers(base: Layer, over: Layer): Layer {
  const sources = new Map(base.sources);
  const templates = new Map(base.templates);
  const merge = (a: unknown, b: unknown, at: PathSegment[]): unknown => {
    const key = formatPath(at);
    if (isPlain(a) && isPlain(b)) {
      const out: Plain = { ...a };
      for (const [k, v] of Object.entries(b)) {
        if (v === null && !acceptsNull(runConfigSchema, [...at, k], out)) {
          delete out[k];
          replaceSources(sources, formatPath([...at, k]), over.sources);
          replaceSources(templates, formatPath([...at, k]), over.templates);
        } else {
          out[k] = k in a ? merge(a[k], v, [...at, k]) : take(v, [...at, k]);
        }
      }
      const own = over.sources.get(key);
      if (own) sources.set(key, own);
      return out;
    }
    return take(b, at);
  };
  const take = (value: unknown, at: PathSegment[]) => {
    const key = formatPath(at);
    replaceSources(sources, key, over.sources);
    replaceSources(templates, key, over.templates);
    return value;
  };
  const value = merge(base.value, over.value, []) as Plain;
  return { value, sources, templates };
}

/** Drop every entry at or under `key` and copy the ones `from` has there. */
function replaceSources<T>(into: Map<string, T>, key: string, from: Map<string, T>) {
  for (const k of [...into.keys()]) if (isUnder(k, key)) into.delete(k);
  for (const [k, v] of from) if (isUnder(k, key)) into.set(k, v);
}

function isUnder(candidate: string, key: string): boolean {
  return (
    candidate === key || candidate.startsWith(`${key}.`) || candidate.startsWith(`${key}[`) || key === ""
  );
}

function withoutPath<T>(sources: Map<string, T>, key: string): Map<string, T> {
  return new Map([...sources].filter(([k]) => !isUnder(k, key) || k === ""));
}

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `a.b[0].c` or `a.b.0.c` → ["a", "b", 0, "c"]; undefined when malformed. */
export function parseDottedPath(dotted: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  for (const part of dotted.split(".")) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)?((?:\[\d+\])*)$/.exec(part);
    if (m?.[1] === undefined && /^\d+$/.test(part)) {
      segments.push(Number(part));
      continue;
    }
    if (!m || (m[1] === undefined && m[2] === "")) return undefined;
    if (m[1] !== undefined && FORBIDDEN_KEYS.has(m[1])) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    for (const idx of m[2]?.matchAll(/\[(\d+)\]/g) ?? []) segments.push(Number(idx[1]));
  }
  return segments.length > 0 && typeof segments[0] === "string" ? segments : undefined;
}

function applyOverrides(layer: Layer, exprs: string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const expr of exprs) {
    const source: ConfigSource = { kind: "set", expr };
    const eq = expr.indexOf("=");
    const segments = eq > 0 ? parseDottedPath(expr.slice(0, eq)) : undefined;
    if (segments === undefined) {
      issues.push({ source, path: "", message: "expected KEY=VALUE with a dotted key, e.g. rollout.n=8" });
      continue;
    }
    const text = expr.slice(eq + 1);
    const value = overrideValue(text, expectsString(runConfigSchema, segments, layer.value));
    if (value instanceof Error) {
      issues.push({ source, path: "", message: `invalid YAML value: ${value.message.split("\n")[0]}` });
      continue;
    }
    const key = formatPath(segments);
    if (value === null && !acceptsNull(runConfigSchema, segments, layer.value)) {
      deleteIn(layer.value, segments);
    } else {
      const problem = setIn(layer.value, segments, value);
      if (problem) {
        issues.push({ source, path: formatPath(problem.at), message: problem.message });
        continue;
      }
    }
    // A dropped key keeps the --set as its source, so "missing required field" points at the override.
    for (const k of [...layer.sources.keys()]) if (isUnder(k, key)) layer.sources.delete(k);
    for (const k of [...layer.templates.keys()]) if (isUnder(k, key)) layer.templates.delete(k);
    layer.sources.set(key, source);
  }
  return issues;
}

/**
 * The value of `--set key=TEXT`: TEXT read as YAML, except where the schema wants a string — then TEXT as
 * written (`name=001`, `prompt.text=Q: {question}`), unless it is the null literal that drops the key.
 */
function overrideValue(text: string, wantsString: boolean): unknown {
  if (wantsString) return /^(null|Null|NULL|~)$/.test(text) ? null : text;
  try {
    return parseYamlValue(text);
  } catch (err) {
    return err as Error;
  }
}

function deleteIn(root: Plain, segments: PathSegment[]) {
  const parent = valueAt(root, segments.slice(0, -1));
  if (isPlain(parent)) delete parent[segments[segments.length - 1] as string];
}

function setIn(
  root: Plain,
  segments: PathSegment[],
  value: unknown,
): { at: PathSegment[]; message: string } | undefined {
  let node: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i] as PathSegment;
    const container = node as Plain | unknown[];
    let child = (container as Record<PathSegment, unknown>)[seg];
    if (child === undefined || child === null) {
      if (Array.isArray(container)) {
        return { at: segments.slice(0, i + 1), message: `no item ${seg} (the list has ${container.length})` };
      }
      child = typeof segments[i + 1] === "number" ? [] : {};
      (container as Plain)[seg as string] = child;
    }
    const next = segments[i + 1];
    if (typeof next === "number" ? !Array.isArray(child) : !isPlain(child)) {
      return {
        at: segments.slice(0, i + 1),
        message: `cannot set ${typeof next === "number" ? `item ${next}` : `"${next}"`} inside ${describeValue(child)}`,
      };
    }
    node = child;
  }
  const last = segments[segments.length - 1] as PathSegment;
  if (Array.isArray(node)) {
    if (typeof last !== "number" || last > node.length) {
      return { at: segments, message: `no item ${String(last)} (the list has ${node.length})` };
    }
    node[last] = value;
  } else {
    (node as Plain)[last as string] = value;
  }
  return undefined;
}

/** zod issues → config issues with our wording, a file and a line. */
function schemaIssues(zodIssues: z.core.$ZodIssue[], layer: Layer): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const push = (at: PathSegment[], message: string) =>
    out.push({ source: sourceOf(layer.sources, at), path: formatPath(at), message });
  for (const issue of zodIssues) {
    const at = issue.path as PathSegment[];
    const value = shownValue(layer, at);
    switch (issue.code) {
      case "unrecognized_keys": {
        const valid = validKeysAt(runConfigSchema, at, layer.value);
        for (const key of issue.keys) {
          const near = closestKey(key, valid);
          const hint = near
            ? ` (did you mean "${near}"?)`
            : valid.length > 0
              ? ` (valid keys: ${valid.join(", ")})`
              : "";
          push([...at, key], `unknown key "${key}"${hint}`);
        }
        break;
      }
      case "invalid_type":
        push(
          at,
          value === undefined
            ? `missing required field (expected ${typeName(issue.expected)})`
            : `expected ${typeName(issue.expected)}, got ${describeValue(value)}`,
        );
        break;
      case "invalid_value":
        push(at, `expected ${oneOf(issue.values)}, got ${describeValue(value)}`);
        break;
      case "invalid_union": {
        const values = unionValues(issue);
        if (values.length > 0) {
          push(
            at,
            value === undefined
              ? `missing required field (expected ${oneOf(values)})`
              : `expected ${oneOf(values)}, got ${describeValue(value)}`,
          );
        } else {
          push(
            at,
            `expected ${issue.message.replace(/^Invalid input:?\s*/i, "") || "a valid value"}, got ${describeValue(value)}`,
          );
        }
        break;
      }
      case "too_small":
      case "too_big":
        push(at, `${bound(issue)}, got ${sizeOf(value, issue.origin)}`);
        break;
      case "invalid_format":
      case "custom":
        push(at, issue.code === "custom" ? issue.message : `${issue.message}, got ${describeValue(value)}`);
        break;
      default:
        push(at, `${issue.message}, got ${describeValue(value)}`);
    }
  }
  return out;
}

function typeName(expected: string): string {
  return expected === "object" ? "a mapping" : expected === "array" ? "a list" : expected;
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === "string" ? v : String(v)));
  return shown.length === 1 ? `${JSON.stringify(values[0])}` : `one of ${shown.join("|")}`;
}

function unionValues(issue: z.core.$ZodIssueInvalidUnion): unknown[] {
  const withOptions = issue as unknown as { options?: unknown[] };
  if (withOptions.options) return withOptions.options;
  const values: unknown[] = [];
  for (const branch of issue.errors) {
    for (const inner of branch) {
      if (inner.code === "invalid_value" && inner.path.length === 0) values.push(...inner.values);
      else return [];
    }
  }
  return values;
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const limit = small
    ? (issue as z.core.$ZodIssueTooSmall).minimum
    : (issue as z.core.$ZodIssueTooBig).maximum;
  const n = Number(limit);
  if (issue.origin === "array")
    return `expected ${small ? "at least" : "at most"} ${n} item${n === 1 ? "" : "s"}`;
  if (issue.origin === "string") {
    return small && n === 1
      ? "expected a non-empty string"
      : `expected ${small ? "at least" : "at most"} ${n} characters`;
  }
  const op = small ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
  return `expected a number ${op} ${n}`;
}

function sizeOf(value: unknown, origin: string): string {
  if (origin === "array" && Array.isArray(value)) return `${value.length}`;
  if (origin === "string" && typeof value === "string") return JSON.stringify(value);
  return describeValue(value);
}

/** The value at `at` as an error may show it: a value from the environment shows as its `${VAR}` text. */
function shownValue(layer: Layer, at: PathSegment[]): unknown {
  for (let n = at.length; n >= 0; n--) {
    const template = layer.templates.get(formatPath(at.slice(0, n)));
    if (template !== undefined) return new EnvReference(template.text);
  }
  return valueAt(layer.value, at);
}

function valueAt(root: unknown, at: PathSegment[]): unknown {
  let node = root;
  for (const seg of at) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PathSegment, unknown>)[seg];
  }
  return node;
}

/** The source of the deepest written path at or above `at`. */
function sourceOf(sources: Map<string, ConfigSource>, at: PathSegment[]): ConfigSource {
  for (let n = at.length; n >= 0; n--) {
    const s = sources.get(formatPath(at.slice(0, n)));
    if (s) return s;
  }
  return sources.get("") as ConfigSource;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const rank = (i: ConfigIssue) => (i.source.kind === "file" ? 0 : 1);
  return [...issues].sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (a.source.kind === "file" && b.source.kind === "file") {
      return a.source.file === b.source.file ? a.source.line - b.source.line : 0;
    }
    return 0;
  });
}
