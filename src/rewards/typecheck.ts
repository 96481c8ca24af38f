import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { displayPath } from "../config/issues.js";
import type { RunConfig } from "../config/schema/index.js";
import { packageRoot as defaultPackageRoot } from "../util/paths.js";

/**
 * Type-check user reward files (`.ts`, `.mts`, `.cts`) against the public reward types of the still-rl that will
 * run them, so `sample.respons` is reported as TS2551 with its file:line:col before a single sample is scored.
 *
 * The checker is the `tsc` beside this package when there is one (a clone, or a package installed from a clone:
 * TypeScript is a devDependency), else the one of the reward's own project (5.4 or newer): the package's own
 * comes first because its declarations are built with it and it is the fast native compiler (about 0.2 s for a
 * reward file against about 1 s for TypeScript 5's). With neither, the check is skipped with one line saying how
 * to enable it. `still-rl` and `still-rl/reward` are mapped to this
 * package's own types (dist/ when running built, src/ when running from source), so the file is checked against
 * the code that runs it, whether it sits in the clone or in the user's project. The options follow what loads
 * the file at run time (tsx: extensionless and `.ts` imports, ESM or CommonJS): `module: preserve`,
 * `moduleResolution: bundler`, `strict`, Node's types when `@types/node` is found. Nothing here throws: a
 * checker that is missing, too old, crashes or hangs becomes a `skipped` line.
 */
export interface RewardTypeCheck {
  /** The files checked (the TypeScript ones among those given); empty when there were none. */
  files: string[];
  /** One diagnostic per entry: `file:line:col error TS2551: message` (continuation lines indented below it). */
  diagnostics: string[];
  /** Diagnostics that are errors. */
  errors: number;
  /** Set when no check ran: one line saying why and how to enable it. */
  skipped?: string;
  /** The checker that ran: `TypeScript 7.0.2 from node_modules/typescript`. */
  checker?: string;
  /** Wall time of the check. */
  ms: number;
}

export interface RewardTypeCheckOptions {
  /** Root of the running still-rl (its TypeScript is the fallback, its types are the ones checked against). */
  packageRoot?: string;
  /** Whether the running still-rl is its source (src/*.ts) rather than its build (dist/). */
  fromSource?: boolean;
  /** Folders to find TypeScript from, in order (default: the package root, then the first reward's folder). */
  typescriptFrom?: string[];
  /** Give up after this long (default 60 s) and say the check was skipped. */
  timeoutMs?: number;
}

/** Extensions that are type-checked; `.js` and friends are run as they are. */
export const CHECKED_EXTENSIONS = [".ts", ".mts", ".cts"];

/** Oldest TypeScript that knows the options used here (`module: preserve`). */
const MIN_TS: [number, number] = [5, 4];

export const ENABLE_HINT = "install TypeScript in your project to enable it: npm install -D typescript";

export async function checkRewardTypes(
  files: readonly string[],
  opts: RewardTypeCheckOptions = {},
): Promise<RewardTypeCheck> {
  const started = performance.now();
  const checked = [
    ...new Set(files.filter((f) => CHECKED_EXTENSIONS.includes(path.extname(f))).map((f) => path.resolve(f))),
  ].filter((f) => existsSync(f)); // a missing file is reported by the load, in one line
  const done = (r: Omit<RewardTypeCheck, "files" | "ms">): RewardTypeCheck => ({
    files: checked,
    ...r,
    ms: performance.now() - started,
  });
  if (checked.length === 0) return done({ diagnostics: [], errors: 0 });
  const root = opts.packageRoot ?? defaultPackageRoot;
  const fromSource = opts.fromSource ?? import.meta.url.endsWith(".ts");
  const userDir = path.dirname(checked[0]!);

  const found = findTypeScript(opts.typescriptFrom ?? [root, userDir]);
  if (found.ts === undefined) {
    const why =
      found.tooOld.length > 0
        ? `TypeScript ${found.tooOld.join(", ")} is older than 5.4`
        : "no TypeScript found";
    return done({ diagnostics: [], errors: 0, skipped: `type check skipped: ${why}; ${ENABLE_HINT}` });
  }
  const ts = found.ts;
  const checker = `TypeScript ${ts.version} from ${displayPath(ts.dir)}`;

  const dir = mkdtempSync(path.join(tmpdir(), "still-typecheck-"));
  try {
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify(tsconfig(checked, root, fromSource, userDir)),
    );
    const r = await execa(
      process.execPath,
      [ts.bin, "-p", path.join(dir, "tsconfig.json"), "--pretty", "false"],
      {
        cwd: dir,
        reject: false,
        timeout: opts.timeoutMs ?? 60_000,
        env: { NO_COLOR: "1" },
        stdin: "ignore",
      },
    );
    if (r.timedOut) {
      return done({
        diagnostics: [],
        errors: 0,
        checker,
        skipped: `type check skipped: ${checker} did not finish within ${(opts.timeoutMs ?? 60_000) / 1000} s`,
      });
    }
    const { diagnostics, errors } = parseDiagnostics(`${r.stdout}\n${r.stderr}`, dir);
    if (r.exitCode !== 0 && diagnostics.length === 0) {
      const why = firstLine(`${r.stderr}\n${r.stdout}`) ?? `exit status ${r.exitCode ?? r.signal}`;
      return done({
        diagnostics: [],
        errors: 0,
        checker,
        skipped: `type check skipped: ${checker} failed: ${why}`,
      });
    }
    return done({ diagnostics, errors, checker });
  } catch (err) {
    return done({
      diagnostics: [],
      errors: 0,
      checker,
      skipped: `type check skipped: ${checker}: ${String(err)}`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface FoundTypeScript {
  dir: string;
  version: string;
  bin: string;
}

/** The first TypeScript (5.4+) resolvable from these folders, in order; older ones found are named. */
export function findTypeScript(fromDirs: readonly string[]): { ts?: FoundTypeScript; tooOld: string[] } {
  const tooOld: string[] = [];
  for (const from of fromDirs) {
    let pkgFile: string;
    try {
      pkgFile = createRequire(path.join(from, "noop.js")).resolve("typescript/package.json");
    } catch {
      continue;
    }
    try {
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
        version?: string;
        bin?: Record<string, string>;
      };
      const [major = 0, minor = 0] = (pkg.version ?? "").split(".").map(Number);
      const bin = pkg.bin?.tsc;
      if (bin === undefined) continue;
      if (major < MIN_TS[0] || (major === MIN_TS[0] && minor < MIN_TS[1])) {
        tooOld.push(String(pkg.version));
        continue;
      }
      const dir = path.dirname(pkgFile);
      return { ts: { dir, version: String(pkg.version), bin: path.join(dir, bin) }, tooOld };
    } catch {}
  }
  return { tooOld };
}

function tsconfig(files: string[], root: string, fromSource: boolean, userDir: string) {
  const types = (rel: string) =>
    path.join(root, fromSource ? "src" : "dist", fromSource ? `${rel}.ts` : `${rel}.d.ts`);
  const paths: Record<string, string[]> = {};
  if (existsSync(types("rewards/define"))) paths["still-rl/reward"] = [types("rewards/define")];
  if (existsSync(types("index"))) paths["still-rl"] = [types("index")];
  const nodeTypes = findNodeTypes([userDir, root]);
  return {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023"],
      module: "preserve",
      moduleResolution: "bundler",
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      esModuleInterop: true,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      ...(nodeTypes === undefined ? { types: [] } : { typeRoots: [nodeTypes], types: ["node"] }),
      paths,
    },
    files,
  };
}

/** The `node_modules/@types` folder holding `@types/node`, seen from these folders in order. */
function findNodeTypes(fromDirs: readonly string[]): string | undefined {
  for (const from of fromDirs) {
    try {
      const pkg = createRequire(path.join(from, "noop.js")).resolve("@types/node/package.json");
      return path.dirname(path.dirname(pkg));
    } catch {}
  }
  return undefined;
}

const DIAGNOSTIC = /^(.+)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$/;
const GLOBAL = /^(error|warning|message) (TS\d+): (.*)$/;

/** tsc's `--pretty false` output as `file:line:col error TSnnnn: message` lines (paths as the CLI shows them). */
export function parseDiagnostics(output: string, cwd: string): { diagnostics: string[]; errors: number } {
  const diagnostics: string[] = [];
  let errors = 0;
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const m = DIAGNOSTIC.exec(line);
    const g = m ? undefined : GLOBAL.exec(line);
    if (m) {
      diagnostics.push(`${displayPath(path.resolve(cwd, m[1]!))}:${m[2]}:${m[3]} ${m[4]} ${m[5]}: ${m[6]}`);
      if (m[4] === "error") errors++;
    } else if (g) {
      diagnostics.push(line);
      if (g[1] === "error") errors++;
    } else if (diagnostics.length > 0 && /^\s/.test(line)) {
      // A message chain: tsc indents the details of the diagnostic above.
      diagnostics[diagnostics.length - 1] += `\n${line}`;
    }
  }
  return { diagnostics, errors };
}

/** The line that says what went wrong: Node prints the throwing source line before `Error: ...`. */
function firstLine(text: string): string | undefined {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines[0];
}

/** Diagnostics printed; a file importing something broken can have hundreds. */
const MAX_SHOWN = 20;

/** What a command prints about a check: the diagnostics, then one line of summary (nothing when clean). */
export function describeTypeCheck(check: RewardTypeCheck, then: string): string[] {
  if (check.skipped !== undefined) return [check.skipped];
  if (check.diagnostics.length === 0) return [];
  const shown = check.diagnostics.slice(0, MAX_SHOWN);
  const more = check.diagnostics.length - shown.length;
  if (more > 0) shown.push(`(${more} more diagnostics not shown)`);
  const n = check.errors;
  const what = n === 0 ? "warnings only" : n === 1 ? "1 error" : `${n} errors`;
  return [
    ...shown,
    `type check: ${what} in ${plural(check.files.length, "reward file")} (${check.checker}); ${then}`,
  ];
}

function plural(n: number, word: string): string {
  return n === 1 ? `the ${word}` : `${n} ${word}s`;
}

/** The user reward files a run config names (its `custom` components). */
export function userRewardFiles(config: RunConfig): string[] {
  return config.rewards.components.flatMap((c) => (c.name === "custom" ? [c.path] : []));
}
