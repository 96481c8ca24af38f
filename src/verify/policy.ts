import type { VerifyOptions } from "./types.js";

/**
 * The grading policy: every option of `verify()` with its default, in one place. `still verify`, the rewards
 * (`still reward test`, `still reward serve`, training) and evaluation all grade through `verify()` with these
 * defaults, so the same options give the same verdict everywhere; docs/grading.md explains each rule.
 */
export type GradingPolicy = Required<VerifyOptions>;

export const DEFAULT_POLICY: Readonly<GradingPolicy> = Object.freeze({
  format: "boxed",
  boxes: "last",
  fallback: false,
  bareAnswer: false,
  percent: "loose",
  degrees: "loose",
  relTol: 0,
  absTol: 0,
});

/** The options with every default filled in; a bad tolerance is a programming error and throws. */
export function resolvePolicy(options: VerifyOptions = {}): GradingPolicy {
  const p: GradingPolicy = { ...DEFAULT_POLICY };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (p as Record<string, unknown>)[k] = v;
  for (const k of ["relTol", "absTol"] as const) {
    if (!(Number.isFinite(p[k]) && p[k] >= 0)) throw new RangeError(`${k} must be a finite number >= 0`);
  }
  return p;
}

/** The policy in a few lines, for `still verify --help` (docs/grading.md has the long form). */
export const POLICY_SUMMARY = [
  "Grading policy (the same for still verify, the rewards and evaluation):",
  "- the answer is the LAST \\boxed{}/\\fbox{} (--boxes list: the last box and the boxes adjacent to it,",
  "  for multi-answer questions); an unclosed last box means no answer; no box means no answer",
  "- --fallback (evaluation only): without a box, 'final answer is ...', then the last math or number;",
  "  --bare: without a box, the whole --pred is the answer (files of answers already extracted)",
  "- exact values compare exactly (big rationals, radicals, multiples of pi); a decimal matches a value",
  "  that rounds to its printed digits (MATH convention: 0.333 = 1/3); no other tolerance unless",
  "  --rel-tol/--abs-tol (|a-b| <= max(rel*max(|a|,|b|), abs)); a difference floating point cannot",
  "  resolve is 'cannot decide' and grades as wrong",
  "- every rule, with examples: docs/grading.md",
].join("\n");
