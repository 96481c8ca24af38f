import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Bundled data (benchmarks, verifier cases) lives in the repo's data/ folder, with its SOURCES. */
export const dataDir = path.resolve(fileURLToPath(new URL("../../", import.meta.url)), "data");

export function readJsonl<T>(relative: string): T[] {
  return readFileSync(path.join(dataDir, relative), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

export const BENCHMARKS = ["math500", "aime24", "aime25", "hmmt_feb25", "omni_math_rule"] as const;

export interface BenchmarkRow {
  id: string;
  answer: string;
}

/** Deterministic PRNG for shuffles. */
export { mulberry32 as rng } from "../../src/util/rng.js";

/** Meaning-preserving rewrites of a gold answer, each different from it. */
export function rewrites(gold: string): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s !== gold) out.add(s);
  };
  add(gold.replace(/\\frac/g, "\\dfrac"));
  add(gold.replace(/\\dfrac/g, "\\frac"));
  const prose = /\\text|\\\(|\\\[|(?<!\\[A-Za-z]*)[A-Za-z]{3,}/.test(gold);
  if (!prose) {
    add(gold.replace(/\(/g, "\\left(").replace(/\)/g, "\\right)"));
    add(gold.replace(/,(?!\\!|\d{3})\s*/g, ", "));
    add(gold.replace(/(?<!\\[A-Za-z]+)\s+/g, ""));
    add(`$${gold}$`);
  }
  add(gold.replace(/\^\\circ/g, "^{\\circ}"));
  add(gold.replace(/\\sqrt\{(\d)\}/g, "\\sqrt$1"));
  add(gold.replace(/\\frac\{(\d)\}\{(\d)\}/g, "\\frac$1$2"));
  if (/^\d{4,}$/.test(gold)) {
    add(gold.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
    add(gold.replace(/\B(?=(\d{3})+(?!\d))/g, "{,}"));
  }
  if (/^-?\d+$/.test(gold)) {
    add(`${gold}.0`);
    add(`x = ${gold}`);
    add(`${gold} \\text{ units}`);
  }
  add(gold.replace(/\\sqrt\{(\d+)\}/g, "($1)^{1/2}"));
  const frac = /^(-?)\\frac\{(\d+)\}\{(\d+)\}$/.exec(gold);
  if (frac) {
    const v = Number(frac[2]) / Number(frac[3]);
    let d = Number(frac[3]);
    while (d % 2 === 0) d /= 2;
    while (d % 5 === 0) d /= 5;
    // Terminating fractions exactly, others to 6 places (a decimal matches by its printed digits).
    const s = d === 1 ? String(v) : v.toPrecision(6);
    add(`${frac[1]}${s}`);
  }
  if (/^\\frac\{(\d+)\}\{(\d+)\}$/.test(gold)) add(gold.replace(/^\\frac\{(\d+)\}\{(\d+)\}$/, "$1/$2"));
  return [...out];
}

/** A response of about 1.5 KB of working that ends with the boxed answer. */
export function response(answer: string, i: number): string {
  const filler =
    "We start by writing down what is given and what is asked. Let $x$ be the unknown quantity; the conditions give an equation in $x$ that we simplify step by step, checking each manipulation. ";
  let body = "";
  while (body.length < 1400) body += filler.replace("$x$", `$x_{${i % 7}}$`);
  return `${body}Therefore the answer is $\\boxed{${answer}}$.`;
}
