import type { Node } from "./ast.js";
import type { Rational } from "./rational.js";
import * as Q from "./rational.js";

/**
 * Values of answer expressions. `ex` is an exact canonical form when one exists: a sum of terms
 * c·√rad·π^pi·i^i with c rational and rad square-free, which is unique because square roots of distinct
 * square-free integers, π and i are linearly independent over Q. `f` is a double approximation of the real
 * value (NaN when unknown, complex or outside double range), used only where no exact form exists.
 */
export interface Term {
  c: Rational;
  rad: bigint;
  pi: number;
  i: 0 | 1;
}
export type Exact = Term[];
export interface Val {
  ex: Exact | null;
  f: number;
  /**
   * A bound on |f − true value|: rounding and library error carried through every step (interval arithmetic in
   * midpoint-radius form). Infinity when no bound is known.
   */
  err: number;
  /**
   * A step dropped information its inputs carried: a rational wider than a double, a sum that absorbed a term,
   * a function flat at its argument (e^x, cos x, b^x near 0). Such an f cannot tell this value from values a
   * little way off, so it never decides an equality.
   */
  lost?: boolean;
  /** Only the symbol ∞ (and its negation) is infinite; overflow is "unknown", never ∞. */
  inf?: boolean;
}

/** Unit roundoff of a double, and the error allowed to a library function (V8's are within an ulp). */
export const EPS = 2 ** -52;
const LIB_ERR = 4 * EPS;
/** An operand or sensitivity this far below the result (relative) has been rounded away. */
const ABSORBED = 2 ** -40;

/** Undefined (division by zero), unsupported, or capped: the caller treats the value as unknown. */
export class ValueError extends Error {}

/** Bounds that keep any evaluation within a millisecond or so. */
export const MAX_BITS = 20_000;
export const MAX_TERMS = 32;
export const MAX_FACTORIAL = 2_000;
export const MAX_FUEL = 12_000;

export interface Env {
  vars: ReadonlyMap<string, Rational>;
}

/**
 * Work budget of the current verification, shared by everything it evaluates (one thread, synchronous): node
 * visits cost 1, arithmetic costs by operand size (squared: big-number products and gcds are quadratic).
 * Spending it is a ValueError, never a hang, and no clock is involved, so a loaded machine never changes a
 * verdict. Calibrated so the worst inputs found stay within about 20 ms of CPU (test/verify/robustness.test.ts).
 */
const budget = { n: MAX_FUEL };
const factorials = new Map<number, bigint>();

export function resetBudget(n = MAX_FUEL): void {
  budget.n = n;
  factorials.clear();
}

function spend(k: number): void {
  budget.n -= k;
  if (budget.n < 0) throw new ValueError("evaluation budget exhausted");
}

const RAD1 = 1n;
const termKey = (t: Term) => `${t.rad}|${t.pi}|${t.i}`;

export function fromRat(r: Rational): Exact {
  return Q.isZero(r) ? [] : [{ c: r, rad: RAD1, pi: 0, i: 0 }];
}

function normalize(terms: Term[]): Exact {
  const m = new Map<string, Term>();
  let cost = 3;
  // Big-number arithmetic (and the gcd in every rational) grows with the square of the size.
  for (const t of terms) cost += ((Q.bitLength(t.c.n) + Q.bitLength(t.c.d)) / 256) ** 2;
  spend(cost);
  for (const t of terms) {
    const k = termKey(t);
    const prev = m.get(k);
    m.set(k, prev ? { ...prev, c: Q.add(prev.c, t.c) } : t);
  }
  const out = [...m.values()].filter((t) => !Q.isZero(t.c));
  if (out.length > MAX_TERMS) throw new ValueError("too many terms");
  for (const t of out) if (Q.size(t.c) > MAX_BITS) throw new ValueError("number too large");
  return out.sort((a, b) => (termKey(a) < termKey(b) ? -1 : termKey(a) > termKey(b) ? 1 : 0));
}

export function exEqual(a: Exact, b: Exact): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x.rad !== y.rad || x.pi !== y.pi || x.i !== y.i || !Q.eq(x.c, y.c)) return false;
  }
  return true;
}

/** The rational value, when the exact form is a plain rational. */
export function asRational(ex: Exact | null): Rational | null {
  if (!ex) return null;
  if (ex.length === 0) return Q.ZERO;
  const t = ex[0]!;
  return ex.length === 1 && t.rad === RAD1 && t.pi === 0 && t.i === 0 ? t.c : null;
}

const exAdd = (a: Exact, b: Exact) => normalize([...a, ...b]);
const exNeg = (a: Exact): Exact => a.map((t) => ({ ...t, c: Q.neg(t.c) }));

function gcdBig(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

function mulTerm(x: Term, y: Term): Term {
  const g = gcdBig(x.rad, y.rad);
  let c = Q.mul(Q.mul(x.c, y.c), Q.rat(g));
  let i: 0 | 1 = 0;
  if (x.i + y.i === 2) c = Q.neg(c);
  else i = (x.i + y.i) as 0 | 1;
  return { c, rad: (x.rad / g) * (y.rad / g), pi: x.pi + y.pi, i };
}

function exMul(a: Exact, b: Exact): Exact {
  if (a.length * b.length > MAX_TERMS * 4) throw new ValueError("too many terms");
  const out: Term[] = [];
  for (const x of a) for (const y of b) out.push(mulTerm(x, y));
  return normalize(out);
}

const SMALL_PRIMES: number[] = (() => {
  const ps: number[] = [];
  for (let n = 2; ps.length < 300; n++) if (ps.every((p) => n % p !== 0)) ps.push(n);
  return ps;
})();

/** n = out²·inner with inner square-free, for n > 0 (exact for every n whose large prime factors are not squared). */
function squareFree(n: bigint): { out: bigint; inner: bigint } {
  if (Q.bitLength(n) > 200) throw new ValueError("radicand too large");
  let out = 1n;
  let inner = 1n;
  for (const pn of SMALL_PRIMES) {
    const p = BigInt(pn);
    if (p * p > n) break;
    while (n % (p * p) === 0n) {
      n /= p * p;
      out *= p;
    }
    if (n % p === 0n) {
      n /= p;
      inner *= p;
    }
  }
  const r = Q.intRoot(n, 2);
  if (r !== null && r > 1n) return { out: out * r, inner };
  return { out, inner: inner * n };
}

/** √r for a rational r. */
function sqrtRational(r: Rational): Exact {
  if (Q.isZero(r)) return [];
  const negative = r.n < 0n;
  const { out, inner } = squareFree((negative ? -r.n : r.n) * r.d);
  return [{ c: Q.rat(out, r.d), rad: inner, pi: 0, i: negative ? 1 : 0 }];
}

function exInv(a: Exact): Exact {
  if (a.length === 0) throw new ValueError("division by zero");
  if (a.length === 1) {
    const t = a[0]!;
    const c = Q.div(Q.ONE, Q.mul(t.c, Q.rat(t.rad)));
    return [{ c: t.i ? Q.neg(c) : c, rad: t.rad, pi: -t.pi, i: t.i }];
  }
  // Rationalise: multiply by conjugates until one term is left, removing one √p (or i) each round.
  let num: Exact = fromRat(Q.ONE);
  let den = a;
  for (let round = 0; den.length > 1; round++) {
    if (round > 6) throw new ValueError("denominator too complex");
    const hasI = den.some((t) => t.i === 1);
    let p = 0n;
    if (!hasI) {
      const r = den.find((t) => t.rad !== RAD1)?.rad;
      if (r === undefined) throw new ValueError("transcendental denominator");
      p = SMALL_PRIMES.map(BigInt).find((q) => r % q === 0n) ?? r;
      if (
        p === r &&
        den.some((t) => t.rad !== RAD1 && t.rad !== r && t.rad % r !== 0n && gcdBig(t.rad, r) !== 1n)
      ) {
        throw new ValueError("radicals not separable");
      }
    }
    const conj = den.map((t) => ((hasI ? t.i === 1 : t.rad % p === 0n) ? { ...t, c: Q.neg(t.c) } : t));
    num = exMul(num, conj);
    den = exMul(den, conj);
  }
  return exMul(num, exInv(den));
}

function exPowInt(a: Exact, n: bigint): Exact {
  if (n === 0n) return fromRat(Q.ONE);
  if (a.length === 0) {
    if (n < 0n) throw new ValueError("division by zero");
    return [];
  }
  if (n < 0n) return exPowInt(exInv(a), -n);
  if (a.length === 1) {
    const t = a[0]!;
    const half = n / 2n;
    const radPart = Q.powInt(Q.rat(t.rad), half, MAX_BITS);
    const c = Q.powInt(t.c, n, MAX_BITS);
    if (!radPart || !c || Math.abs(t.pi * Number(n)) > 1000) throw new ValueError("power too large");
    let coef = Q.mul(c, radPart);
    const iPow = t.i ? Number(n % 4n) : 0;
    if (iPow === 2 || iPow === 3) coef = Q.neg(coef);
    return normalize([
      { c: coef, rad: n % 2n === 1n ? t.rad : RAD1, pi: t.pi * Number(n), i: iPow % 2 === 1 ? 1 : 0 },
    ]);
  }
  if (n > 64n) throw new ValueError("power too large");
  let result = fromRat(Q.ONE);
  let base = a;
  for (let k = n; k > 0n; k >>= 1n) {
    if (k & 1n) result = exMul(result, base);
    if (k > 1n) base = exMul(base, base);
  }
  return result;
}

/** a^q for rational q; null when the result has no exact form here (irrational root, too large). */
function exPow(a: Exact, q: Rational): Exact | null {
  try {
    if (q.d === 1n) return exPowInt(a, q.n);
    if (q.d > 64n) return null;
    const r = asRational(a);
    if (q.d === 2n) {
      if (r) return exPowInt(sqrtRational(r), q.n);
      // √(c·π^2k) for even powers of π.
      if (a.length === 1 && a[0]!.rad === RAD1 && a[0]!.i === 0 && a[0]!.pi % 2 === 0) {
        const s = sqrtRational(a[0]!.c);
        return exPowInt(
          s.map((t) => ({ ...t, pi: a[0]!.pi / 2 })),
          q.n,
        );
      }
      return null;
    }
    if (!r) return null;
    const k = Number(q.d);
    const negative = r.n < 0n;
    if (negative && k % 2 === 0) return null;
    const rn = Q.intRoot(negative ? -r.n : r.n, k);
    const rd = Q.intRoot(r.d, k);
    if (rn === null || rd === null) return null;
    return exPowInt(fromRat(Q.rat(negative ? -rn : rn, rd)), q.n);
  } catch (e) {
    if (e instanceof ValueError && /division by zero/.test(e.message)) throw e;
    return null;
  }
}

function ratFloat(r: Rational): number {
  const bn = Q.bitLength(r.n);
  const bd = Q.bitLength(r.d);
  if (r.n !== 0n && Math.abs(bn - bd) > 1000) return Number.NaN;
  return Q.toNumber(r);
}

/** A rational with more bits than a double holds: its float stands for many rationals. */
const ratLost = (r: Rational): boolean => Q.bitLength(r.n) > 53 || Q.bitLength(r.d) > 53;

/** The real value of an exact form as a double with an error bound; NaN for a complex value. */
export function exFloat(ex: Exact): { f: number; err: number; lost: boolean } {
  let f = 0;
  let err = 0;
  let lost = false;
  for (const t of ex) {
    if (t.i) return { f: Number.NaN, err: Number.POSITIVE_INFINITY, lost: true };
    const term = ratFloat(t.c) * Math.sqrt(Number(t.rad)) * Math.PI ** t.pi;
    f += term;
    err += Math.abs(term) * (8 + Math.abs(t.pi)) * EPS;
    lost ||= ratLost(t.c) || Q.bitLength(t.rad) > 53;
  }
  return { f, err: err + Math.abs(f) * EPS, lost };
}

function exact(ex: Exact): Val {
  return { ex, ...exFloat(ex) };
}
function approx(f: number, err: number, lost = false): Val {
  if (!Number.isFinite(f) || !(err < Number.POSITIVE_INFINITY))
    return { ex: null, f: Number.isFinite(f) ? f : Number.NaN, err: Number.POSITIVE_INFINITY, lost: true };
  return { ex: null, f, err: err + Math.abs(f) * EPS + Number.MIN_VALUE, lost };
}

/** g(x) for a library function with derivative dg: error carried through (twice the linear term, for safety). */
function applyFloat(x: Val, g: (v: number) => number, dg: (v: number) => number): Val {
  const f = g(x.f);
  const d = Math.abs(dg(x.f));
  // Flat at x (cos near 0, e^x near 0): the result no longer reflects the argument.
  const flat = x.f !== 0 && Math.abs(x.f) * d < Math.abs(f) * ABSORBED;
  return approx(f, 2 * d * x.err + Math.abs(f) * LIB_ERR, x.lost || flat || linearAt(x.f, f, g, dg));
}

/**
 * Near 0 a function can round to its tangent line: sin 10^-20 is 10^-20 in floating point, though the two
 * differ. Then the float has lost what tells them apart. Also an underflowed result.
 */
function linearAt(x: number, f: number, g: (v: number) => number, dg: (v: number) => number): boolean {
  if (x !== 0 && Math.abs(f) < 2 ** -1000) return true;
  if (x === 0 || Math.abs(x) > 2 ** -10) return false;
  const tangent = g(0) + dg(0) * x;
  return Number.isFinite(tangent) && Math.abs(f - tangent) <= Math.abs(f) * ABSORBED;
}
const ratVal = (r: Rational) => exact(fromRat(r));

/** sin(kπ/12), k = 0..23. */
const SIN12: Exact[] = (() => {
  const s2 = (c: Rational) => [{ c, rad: 2n, pi: 0, i: 0 as const }];
  const s3 = (c: Rational) => [{ c, rad: 3n, pi: 0, i: 0 as const }];
  const q = (n: bigint, d: bigint) => Q.rat(n, d);
  const s6m2 = normalize([
    { c: q(1n, 4n), rad: 6n, pi: 0, i: 0 },
    { c: q(-1n, 4n), rad: 2n, pi: 0, i: 0 },
  ]);
  const s6p2 = normalize([
    { c: q(1n, 4n), rad: 6n, pi: 0, i: 0 },
    { c: q(1n, 4n), rad: 2n, pi: 0, i: 0 },
  ]);
  const first: Exact[] = [
    [],
    s6m2,
    fromRat(q(1n, 2n)),
    s2(q(1n, 2n)),
    s3(q(1n, 2n)),
    s6p2,
    fromRat(Q.ONE),
    s6p2,
    s3(q(1n, 2n)),
    s2(q(1n, 2n)),
    fromRat(q(1n, 2n)),
    s6m2,
  ];
  return [...first, ...first.map(exNeg)];
})();

/** Exact sin of a rational multiple of π with denominator dividing 12, else null. */
function exactSin(x: Exact | null, shift: number): Exact | null {
  if (!x) return null;
  let k: Rational;
  if (x.length === 0) k = Q.ZERO;
  else if (x.length === 1 && x[0]!.rad === RAD1 && x[0]!.pi === 1 && x[0]!.i === 0) k = x[0]!.c;
  else return null;
  const twelfths = Q.mul(k, Q.rat(12n));
  if (twelfths.d !== 1n) return null;
  const idx = Number((((twelfths.n + BigInt(shift)) % 24n) + 24n) % 24n);
  return SIN12[idx]!;
}

/** Functions evaluated in floating point, with their derivatives (for the error bound). */
const FLOAT_FNS: Record<string, [(x: number) => number, (x: number) => number]> = {
  sin: [Math.sin, Math.cos],
  cos: [Math.cos, Math.sin],
  tan: [Math.tan, (x) => 1 + Math.tan(x) ** 2],
  cot: [(x) => 1 / Math.tan(x), (x) => 1 + 1 / Math.tan(x) ** 2],
  sec: [(x) => 1 / Math.cos(x), (x) => Math.tan(x) / Math.cos(x)],
  csc: [(x) => 1 / Math.sin(x), (x) => 1 / (Math.tan(x) * Math.sin(x))],
  cosec: [(x) => 1 / Math.sin(x), (x) => 1 / (Math.tan(x) * Math.sin(x))],
  arcsin: [Math.asin, (x) => 1 / Math.sqrt(1 - x * x)],
  arccos: [Math.acos, (x) => 1 / Math.sqrt(1 - x * x)],
  arctan: [Math.atan, (x) => 1 / (1 + x * x)],
  arccot: [(x) => Math.atan(1 / x), (x) => 1 / (1 + x * x)],
  arcsec: [(x) => Math.acos(1 / x), (x) => 1 / (Math.abs(x) * Math.sqrt(x * x - 1))],
  arccsc: [(x) => Math.asin(1 / x), (x) => 1 / (Math.abs(x) * Math.sqrt(x * x - 1))],
  sinh: [Math.sinh, Math.cosh],
  cosh: [Math.cosh, Math.sinh],
  tanh: [Math.tanh, (x) => 1 - Math.tanh(x) ** 2],
  exp: [Math.exp, Math.exp],
  sgn: [Math.sign, () => 0],
};

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function valKey(v: Val): string {
  if (v.ex) return v.ex.map((t) => `${t.c.n}/${t.c.d}*${termKey(t)}`).join("+");
  return Number.isFinite(v.f) ? v.f.toPrecision(17) : "?";
}

export function evaluate(n: Node, env: Env): Val {
  spend(1);
  switch (n.k) {
    case "num":
      return ratVal(n.v);
    case "sym":
      return symbolValue(n.name, env);
    case "add": {
      let acc = evaluate(n.xs[0]!, env);
      for (let k = 1; k < n.xs.length; k++) acc = addVals(acc, evaluate(n.xs[k]!, env));
      return acc;
    }
    case "neg": {
      const v = evaluate(n.x, env);
      return v.ex ? exact(exNeg(v.ex)) : { ...v, f: -v.f, ex: null };
    }
    case "mul": {
      let acc = evaluate(n.xs[0]!, env);
      for (let k = 1; k < n.xs.length; k++) acc = mulVals(acc, evaluate(n.xs[k]!, env));
      return acc;
    }
    case "div":
      return mulVals(evaluate(n.a, env), invVal(evaluate(n.b, env)));
    case "ratio": {
      let acc = evaluate(n.xs[0]!, env);
      for (let k = 1; k < n.xs.length; k++) acc = mulVals(acc, invVal(evaluate(n.xs[k]!, env)));
      return acc;
    }
    case "pow":
      return powVals(evaluate(n.a, env), evaluate(n.b, env));
    case "pct":
      return mulVals(evaluate(n.x, env), ratVal(Q.rat(1n, 100n)));
    case "deg":
      return mulVals(evaluate(n.x, env), exact([{ c: Q.rat(1n, 180n), rad: RAD1, pi: 1, i: 0 }]));
    case "fn":
      return fnValue(n.name, n.args, env);
    default:
      throw new ValueError(`${n.k} has no numeric value`);
  }
}

function symbolValue(name: string, env: Env): Val {
  switch (name) {
    case "pi":
      return exact([{ c: Q.ONE, rad: RAD1, pi: 1, i: 0 }]);
    case "e":
      return approx(Math.E, Math.E * EPS);
    case "i":
      return exact([{ c: Q.ONE, rad: RAD1, pi: 0, i: 1 }]);
    case "inf":
      return { ex: null, f: Number.POSITIVE_INFINITY, err: 0, inf: true };
  }
  const v = env.vars.get(name);
  if (!v) throw new ValueError(`free variable ${name}`);
  return ratVal(v);
}

function addVals(a: Val, b: Val): Val {
  if (a.ex && b.ex) return exact(exAdd(a.ex, b.ex));
  const f = a.f + b.f;
  if ((a.inf || b.inf) && !Number.isNaN(f)) return { ex: null, f, err: 0, inf: true };
  const small = Math.min(Math.abs(a.f), Math.abs(b.f));
  const big = Math.max(Math.abs(a.f), Math.abs(b.f));
  return approx(f, a.err + b.err, a.lost || b.lost || (small !== 0 && small < big * ABSORBED));
}

function mulVals(a: Val, b: Val): Val {
  if (a.ex && b.ex) return exact(exMul(a.ex, b.ex));
  const f = a.f * b.f;
  if ((a.inf || b.inf) && !Number.isNaN(f) && !Number.isFinite(f)) return { ex: null, f, err: 0, inf: true };
  const underflow = f === 0 && a.f !== 0 && b.f !== 0;
  const err = Math.abs(a.f) * b.err + Math.abs(b.f) * a.err + a.err * b.err;
  return approx(f, err, a.lost || b.lost || underflow);
}

export function divideVals(a: Val, b: Val): Val {
  return mulVals(a, invVal(b));
}

function invVal(a: Val): Val {
  if (a.ex) {
    try {
      return exact(exInv(a.ex));
    } catch (e) {
      // No exact inverse here (1/(4-π)): the float is still a value.
      if (!(e instanceof ValueError) || /division by zero|budget/.test(e.message) || !(a.f !== 0)) throw e;
      return floatInverse(a);
    }
  }
  if (a.inf) return exact([]);
  if (a.f === 0) throw new ValueError("division by zero");
  return floatInverse(a);
}

function floatInverse(a: Val): Val {
  const m = Math.abs(a.f) - a.err;
  // An enclosure that reaches 0 has no bounded inverse.
  const err = m > 0 ? a.err / (Math.abs(a.f) * m) : Number.POSITIVE_INFINITY;
  return approx(1 / a.f, err, a.lost);
}

/** a^b in floating point, with the error of both operands carried (relative: |b|·δa/|a| + |ln a|·δb). */
function floatPow(a: Val, b: Val, f: number): Val {
  if (!Number.isFinite(f)) return approx(Number.NaN, 0);
  const la = Math.log(Math.abs(a.f));
  const rel = (Math.abs(b.f) * a.err) / Math.abs(a.f) + Math.abs(la) * b.err;
  const err = rel < 0.01 ? 2 * Math.abs(f) * rel + Math.abs(f) * LIB_ERR : Number.POSITIVE_INFINITY;
  // b^x for x near 0 is 1 whatever x is; 0 and overflowed results carry nothing of their operands.
  const flat = b.f !== 0 && Math.max(Math.abs(b.f), Math.abs(b.f * la)) < ABSORBED;
  return approx(f, err, a.lost || b.lost || flat || (f === 0 && a.f !== 0));
}

function powVals(a: Val, b: Val): Val {
  const q = asRational(b.ex);
  if (a.ex && q) {
    const r = exPow(a.ex, q);
    if (r) return exact(r);
  }
  if (q && q.d === 1n && Q.isZero(q)) return ratVal(Q.ONE);
  // Odd roots of negative numbers are real: (-8)^{1/3} = -2.
  if (q && q.d % 2n === 1n && a.f < 0) return floatPow(a, b, (q.n % 2n === 0n ? 1 : -1) * (-a.f) ** b.f);
  return floatPow(a, b, a.f ** b.f);
}

/** Most terms a `\sum`/`\prod` may have. */
export const MAX_SUM_TERMS = 1_000;

function bigOperator(name: string, args: Node[], env: Env): Val {
  const [k, loN, hiN, body] = args as [Node, Node, Node, Node];
  if (k.k !== "sym") throw new ValueError("bad bound variable");
  const lo = asRational(evaluate(loN, env).ex);
  const hi = asRational(evaluate(hiN, env).ex);
  if (!lo || !hi || lo.d !== 1n || hi.d !== 1n) throw new ValueError("non-integer bounds");
  if (hi.n - lo.n >= BigInt(MAX_SUM_TERMS)) throw new ValueError("too many terms");
  let acc = ratVal(name === "sum" ? Q.ZERO : Q.ONE);
  const vars = new Map(env.vars);
  for (let j = lo.n; j <= hi.n; j++) {
    vars.set(k.name, Q.rat(j));
    const v = evaluate(body, { vars });
    acc = name === "sum" ? addVals(acc, v) : mulVals(acc, v);
  }
  return acc;
}

function fnValue(name: string, args: Node[], env: Env): Val {
  if (name === "sum" || name === "prod") return bigOperator(name, args, env);
  const vs = args.map((a) => evaluate(a, env));
  const x = vs[0];
  if (!x) throw new ValueError(`${name} without argument`);
  if (name.startsWith("call:")) {
    // An unknown function: a fixed pseudo-random function of its arguments, so f(x) = f(x) but f(x) ≠ f(y).
    const h = hashString(`${name}(${vs.map(valKey).join(",")})`);
    const v = ratVal(Q.rat(BigInt((h % 100_003) + 1), 997n));
    // Of a float argument the hash is only as good as the float: no exact form, and never decisive.
    return vs.every((a) => a.ex) ? v : approx(v.f, 0, true);
  }
  switch (name) {
    case "sqrt":
      return powVals(x, ratVal(Q.rat(1n, 2n)));
    case "root": {
      const k = asRational(vs[1]?.ex ?? null);
      if (k && !Q.isZero(k)) return powVals(x, exact(fromRat(Q.div(Q.ONE, k))));
      return powVals(x, invVal(vs[1] ?? approx(Number.NaN, 0)));
    }
    case "sin":
    case "cos": {
      const s = exactSin(x.ex, name === "cos" ? 6 : 0);
      return s ? exact(s) : applyFloat(x, ...FLOAT_FNS[name]!);
    }
    case "tan":
    case "cot":
    case "sec":
    case "csc":
    case "cosec": {
      const s = exactSin(x.ex, 0);
      const c = exactSin(x.ex, 6);
      if (s && c) {
        const sv = exact(s);
        const cv = exact(c);
        if (name === "tan") return mulVals(sv, invVal(cv));
        if (name === "cot") return mulVals(cv, invVal(sv));
        return invVal(name === "sec" ? cv : sv);
      }
      return applyFloat(x, ...FLOAT_FNS[name]!);
    }
    case "log":
      return logValue(x, vs[1]);
    case "fact":
      return factorial(x);
    case "binom":
      return binomial(x, vs[1]);
    case "abs":
      return absValue(x);
    case "floor":
    case "ceil": {
      const r = asRational(x.ex);
      if (r) {
        const fl = r.n / r.d - (r.n < 0n && r.n % r.d !== 0n ? 1n : 0n);
        return ratVal(Q.rat(name === "floor" || r.d === 1n ? fl : fl + 1n));
      }
      if (!Number.isFinite(x.f) || x.lost || Math.abs(x.f - Math.round(x.f)) <= 2 * x.err)
        throw new ValueError("floor near an integer");
      return ratVal(Q.rat(BigInt(name === "floor" ? Math.floor(x.f) : Math.ceil(x.f))));
    }
    case "mod": {
      const [a, m] = vs.map((v) => asRational(v.ex));
      if (!a || !m || a.d !== 1n || m.d !== 1n || m.n <= 0n) throw new ValueError("mod of non-integers");
      return ratVal(Q.rat(((a.n % m.n) + m.n) % m.n));
    }
    case "gcd":
    case "lcm": {
      const rs = vs.map((v) => asRational(v.ex));
      if (rs.some((r) => r?.d !== 1n)) throw new ValueError(`${name} of non-integers`);
      let acc = rs[0]!.n;
      for (const r of rs.slice(1))
        acc = name === "gcd" ? gcdBig(acc, r!.n) : (acc * r!.n) / gcdBig(acc, r!.n);
      return ratVal(Q.rat(acc < 0n ? -acc : acc));
    }
    case "max":
    case "min": {
      if (vs.some((v) => Number.isNaN(v.f))) throw new ValueError("max of unknowns");
      const pick = vs.reduce((p, v) => ((name === "max" ? v.f > p.f : v.f < p.f) ? v : p));
      return pick;
    }
    default: {
      const f = FLOAT_FNS[name];
      if (!f) throw new ValueError(`unsupported function ${name}`);
      if (name === "exp" && x.ex?.length === 0) return ratVal(Q.ONE);
      if (name === "sgn" && !(Math.abs(x.f) > x.err)) throw new ValueError("sign unknown");
      return applyFloat(x, ...f);
    }
  }
}

function logValue(x: Val, base: Val | undefined): Val {
  const r = asRational(x.ex);
  const b = base ? asRational(base.ex) : null;
  if (r && Q.eq(r, Q.ONE)) return exact([]);
  if (r && b && r.n > 0n && b.n > 0n && !Q.eq(b, Q.ONE)) {
    // log_b(r) = p/q exactly when r^q = b^p; try small q.
    const l = Math.log(Q.toNumber(r)) / Math.log(Q.toNumber(b));
    for (const qd of [1, 2, 3, 4, 6]) {
      const p = Math.round(l * qd);
      if (Math.abs(l * qd - p) > 1e-6 || Math.abs(p) > 4096) continue;
      const lhs = Q.powInt(r, BigInt(qd), MAX_BITS);
      const rhs = Q.powInt(b, BigInt(p), MAX_BITS);
      if (lhs && rhs && Q.eq(lhs, rhs)) return ratVal(Q.rat(BigInt(p), BigInt(qd)));
    }
  }
  const lnx = applyFloat(x, Math.log, (v) => 1 / v);
  const lnb = base ? applyFloat(base, Math.log, (v) => 1 / v) : null;
  return lnb ? mulVals(lnx, invVal(lnb)) : lnx;
}

function factorial(x: Val): Val {
  const r = asRational(x.ex);
  if (r?.d !== 1n || r.n < 0n) throw new ValueError("factorial of a non-natural number");
  if (r.n > BigInt(MAX_FACTORIAL)) throw new ValueError("factorial too large");
  const n = Number(r.n);
  let acc = factorials.get(n);
  if (acc === undefined) {
    // Continue from the largest factorial already computed in this verification (sums of k! stay linear).
    let from = 0;
    for (const m of factorials.keys()) if (m < n && m > from) from = m;
    spend(((n - from) * n) / 2_000);
    acc = factorials.get(from) ?? 1n;
    for (let k = BigInt(from) + 1n; k <= r.n; k++) acc *= k;
    factorials.set(n, acc);
  }
  return ratVal(Q.rat(acc));
}

function binomial(nv: Val, kv: Val | undefined): Val {
  const n = asRational(nv.ex);
  const k = kv ? asRational(kv.ex) : null;
  if (!n || !k || k.d !== 1n) throw new ValueError("binomial of non-integers");
  if (k.n < 0n) return ratVal(Q.ZERO);
  let kk = k.n;
  if (n.d === 1n && n.n >= 0n) {
    if (kk > n.n) return ratVal(Q.ZERO);
    if (n.n - kk < kk) kk = n.n - kk;
  }
  if (kk > BigInt(MAX_FACTORIAL)) throw new ValueError("binomial too large");
  spend((Number(kk) * Number(kk)) / 2_000);
  let acc = Q.ONE;
  for (let j = 0n; j < kk; j++) {
    acc = Q.div(Q.mul(acc, Q.sub(n, Q.rat(j))), Q.rat(j + 1n));
    if (Q.size(acc) > MAX_BITS) throw new ValueError("binomial too large");
  }
  return ratVal(acc);
}

function absValue(x: Val): Val {
  if (x.inf) return { ex: null, f: Math.abs(x.f), err: 0, inf: true };
  if (!x.ex) return { ...x, f: Math.abs(x.f) };
  if (x.ex.some((t) => t.i === 1)) {
    const conj = x.ex.map((t) => (t.i ? { ...t, c: Q.neg(t.c) } : t));
    const sq = exMul(x.ex, conj);
    const root = exPow(sq, Q.rat(1n, 2n));
    return root ? exact(root) : powVals(exact(sq), ratVal(Q.rat(1n, 2n)));
  }
  const r = asRational(x.ex);
  if (r) return ratVal(r.n < 0n ? Q.neg(r) : r);
  if (!Number.isFinite(x.f) || x.f === 0) throw new ValueError("sign unknown");
  return x.f < 0 ? exact(exNeg(x.ex)) : x;
}

/** Digits of an enclosure of an exact form (exInterval): far beyond what any printed answer carries. */
const ENCLOSURE_DIGITS = 60;
const SCALE = 10n ** BigInt(ENCLOSURE_DIGITS);
/** ⌊π·10^60⌋. */
const PI_SCALED = 3141592653589793238462643383279502884197169399375105820974944n;

type RatInterval = [Rational, Rational];

function mulInterval(a: RatInterval, b: RatInterval): RatInterval {
  const ps = [Q.mul(a[0], b[0]), Q.mul(a[0], b[1]), Q.mul(a[1], b[0]), Q.mul(a[1], b[1])];
  const sorted = ps.sort(Q.cmp);
  return [sorted[0]!, sorted[3]!];
}

/**
 * A rational interval that provably contains the (real) value of an exact form, about 10^-55 wide: √rad from an
 * integer square root, π from its digits. Null for a complex value or an unreasonable one.
 */
export function exInterval(ex: Exact): RatInterval | null {
  let lo = Q.ZERO;
  let hi = Q.ZERO;
  for (const t of ex) {
    if (t.i || Math.abs(t.pi) > 20 || Q.bitLength(t.rad) > 400) return null;
    let iv: RatInterval = [t.c, t.c];
    if (t.rad !== RAD1) {
      const s = sqrtFloor(t.rad * SCALE * SCALE);
      const exactRoot = s * s === t.rad * SCALE * SCALE;
      iv = mulInterval(iv, [Q.rat(s, SCALE), Q.rat(exactRoot ? s : s + 1n, SCALE)]);
    }
    const piIv: RatInterval =
      t.pi >= 0
        ? [Q.rat(PI_SCALED, SCALE), Q.rat(PI_SCALED + 1n, SCALE)]
        : [Q.rat(SCALE, PI_SCALED + 1n), Q.rat(SCALE, PI_SCALED)];
    for (let k = 0; k < Math.abs(t.pi); k++) iv = mulInterval(iv, piIv);
    lo = Q.add(lo, iv[0]);
    hi = Q.add(hi, iv[1]);
  }
  return [lo, hi];
}

/** ⌊√x⌋ by Newton's method on BigInts (monotone from above). */
function sqrtFloor(x: bigint): bigint {
  if (x < 2n) return x;
  let r = 1n << BigInt(Math.ceil(Q.bitLength(x) / 2) + 1);
  for (;;) {
    const next = (r + x / r) >> 1n;
    if (next >= r) return r;
    r = next;
  }
}
