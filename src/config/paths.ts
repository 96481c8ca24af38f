import path from "node:path";
import { type ConfigSource, formatPath, type PathSegment } from "./issues.js";
import { type LoadedConfig, type LoadOptions, loadConfig as loadYaml, printConfig } from "./load.js";
import type { RunConfig } from "./schema/index.js";

/**
 * One rule for relative paths in a run config: a path is relative to the YAML file that wrote it (as `extends:`
 * is), a path given with `--set` is relative to the current directory. Every data, SFT, benchmark and reward
 * file comes back absolute, so a run reads the same files from any directory and its saved config.yaml
 * (in the run directory) still points at them. Names with a scheme (`synthetic:max3/train`) are not files.
 */

/**
 * The config's file paths, each resolved by the rule above, in place: printConfig knows a loaded config by
 * identity (it writes values that came from `${VAR}` back as the reference, never the value).
 */
export function resolveConfigPaths(loaded: LoadedConfig, cwd: string = process.cwd()): RunConfig {
  const { config, sources } = loaded;
  const at = (segments: PathSegment[], value: string) => {
    const resolved = resolveFrom(sourceOf(sources, segments), value, cwd);
    // A relative path written with `${VAR}` would resolve from the saved config.yaml's folder on a resume:
    // printConfig writes the resolved path for it, not the template.
    if (resolved !== value) loaded.templates.delete(formatPath(segments));
    return resolved;
  };
  const files = (key: "data" | "sft", field: string, list: readonly string[]) =>
    list.map((f, i) => at([key, field, i], f));
  config.data.train_files = files("data", "train_files", config.data.train_files);
  config.data.eval_files = files("data", "eval_files", config.data.eval_files);
  if (config.sft) config.sft.train_files = files("sft", "train_files", config.sft.train_files);
  config.eval.benchmarks.forEach((b, i) => {
    b.file = at(["eval", "benchmarks", i, "file"], b.file);
  });
  config.rewards.components.forEach((c, i) => {
    if (c.name === "custom") c.path = at(["rewards", "components", i, "path"], c.path);
  });
  return config;
}

/** Load a run config (see load.ts) with its file paths resolved. */
export function loadConfig(file: string, options: LoadOptions = {}): LoadedConfig {
  const loaded = loadYaml(file, options);
  resolveConfigPaths(loaded);
  return loaded;
}

/** `loadConfig` then `printConfig`. */
export function resolveConfigText(file: string, options: LoadOptions = {}): string {
  return printConfig(loadConfig(file, options).config);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;

function resolveFrom(source: ConfigSource | undefined, value: string, cwd: string): string {
  if (path.isAbsolute(value) || SCHEME.test(value)) return value;
  const base = source?.kind === "file" ? path.dirname(source.file) : cwd;
  return path.resolve(cwd, base, value);
}

/** The source of the deepest written path at or above `at`. */
function sourceOf(sources: Map<string, ConfigSource>, at: PathSegment[]): ConfigSource | undefined {
  for (let n = at.length; n >= 0; n--) {
    const s = sources.get(formatPath(at.slice(0, n)));
    if (s) return s;
  }
  return undefined;
}
