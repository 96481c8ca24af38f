import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// A fresh clone has nothing beside it: tests, benches and scripts may only read files inside the repo.
const root = fileURLToPath(new URL("../../", import.meta.url));
const SCANNED = ["test", "scripts", "src", "python", "configs", ".ci", "package.json", "Dockerfile"];
const SKIPPED_DIRS = new Set(["node_modules", "__pycache__", "fixtures"]);
const OUTSIDE =
  /\.\.\/shared\b|["']\.\.["'],\s*["']shared["']|["'`]shared\/(data|reference|design)\b|\/work\/shared\b/;

function* files(entry: string): Generator<string> {
  const full = path.join(root, entry);
  if (statSync(full).isFile()) {
    yield entry;
    return;
  }
  for (const name of readdirSync(full)) {
    if (SKIPPED_DIRS.has(name) || name.endsWith(".egg-info")) continue;
    yield* files(path.join(entry, name));
  }
}

describe("the repo is self-contained", () => {
  it("no test, bench, script or source refers to a folder beside the clone", () => {
    const offenders: string[] = [];
    for (const entry of SCANNED) {
      for (const file of files(entry)) {
        readFileSync(path.join(root, file), "utf8")
          .split("\n")
          .forEach((line, i) => {
            if (OUTSIDE.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the pattern catches the ways such a path is written", () => {
    // Built from parts, so that this file holds no such path itself and is scanned like every other.
    const up = "..";
    const beside = [up, "shared"];
    for (const line of [
      `const dir = path.resolve(root, ${beside.map((p) => JSON.stringify(p)).join(", ")});`,
      `readFileSync('${beside.join("/")}/data/benchmarks/math500.jsonl')`,
      `const dir = "${["", "work", "shared", "reference"].join("/")}";`,
    ]) {
      expect(OUTSIDE.test(line), line).toBe(true);
    }
    expect(OUTSIDE.test('path.join(root, "data", "benchmarks")')).toBe(false);
  });
});
