/** Exact rationals over BigInt, always in lowest terms with a positive denominator. */

export interface Rational {
  n: bigint;
  d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rat(n: bigint, d = 1n): Rational {
  if (d === 0n) throw new RangeError("zero denominator");
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g === 1n ? { n, d } : { n: n / g, d: d / g };
}

export const ZERO = rat(0n);
export const ONE = rat(1n);

export const add = (a: Rational, b: Rational): Rational =>
  a.d === b.d ? rat(a.n + b.n, a.d) : rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const neg = (a: Rational): Rational => ({ n: -a.n, d: a.d });
export const sub = (a: Rational, b: Rational): Rational => add(a, neg(b));
/** Product of reduced rationals, cancelling crosswise: gcds of one big and one small number stay cheap. */
export function mul(a: Rational, b: Rational): Rational {
  if (a.n === 0n || b.n === 0n) return ZERO;
  const g1 = gcd(a.n, b.d);
  const g2 = gcd(b.n, a.d);
  return { n: (a.n / g1) * (b.n / g2), d: (a.d / g2) * (b.d / g1) };
}
export function div(a: Rational, b: Rational): Rational {
  if (b.n === 0n) throw new RangeError("zero denominator");
  return mul(a, b.n < 0n ? { n: -b.d, d: -b.n } : { n: b.d, d: b.n });
}
export const eq = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isZero = (a: Rational): boolean => a.n === 0n;
export const cmp = (a: Rational, b: Rational): number => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
};

export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  return x === 0n ? 0 : x.toString(16).length * 4;
}

/** Size in bits of the bigger of numerator and denominator. */
export const size = (a: Rational): number => Math.max(bitLength(a.n), bitLength(a.d));

/** a^k for an integer k, or null when the result would exceed `maxBits`. */
export function powInt(a: Rational, k: bigint, maxBits: number): Rational | null {
  if (k === 0n) return ONE;
  if (k < 0n) {
    if (a.n === 0n) return null;
    a = rat(a.d, a.n);
    k = -k;
  }
  if (a.n === 0n || (a.d === 1n && (a.n === 1n || a.n === -1n))) return k % 2n === 0n ? rat(a.n * a.n) : a;
  if (Number(k) * size(a) > maxBits) return null;
  return rat(a.n ** k, a.d ** k);
}

/** Exact integer k-th root of a non-negative BigInt, or null when it is not a perfect k-th power. */
export function intRoot(x: bigint, k: number): bigint | null {
  if (x < 0n) return null;
  if (x < 2n) return x;
  const bits = bitLength(x);
  const drop = Math.max(0, bits - 60);
  const log2r = (Math.log2(Number(x >> BigInt(drop))) + drop) / k;
  const s = Math.max(0, Math.floor(log2r) - 50);
  let r = BigInt(Math.round(2 ** (log2r - s))) << BigInt(s);
  const K = BigInt(k);
  for (let it = 0; it < 100; it++) {
    if (r <= 0n) r = 1n;
    const next = ((K - 1n) * r + x / r ** (K - 1n)) / K;
    if (next >= r - 1n && next <= r + 1n) break;
    r = next;
  }
  for (const c of [r - 1n, r, r + 1n]) if (c >= 0n && c ** K === x) return c;
  return null;
}

/** Nearest double (0 or Infinity when out of range). */
export function toNumber(a: Rational): number {
  const sn = Math.max(0, bitLength(a.n) - 900);
  const sd = Math.max(0, bitLength(a.d) - 900);
  return (Number(a.n >> BigInt(sn)) / Number(a.d >> BigInt(sd))) * 2 ** (sn - sd);
}

/** Parses "12", "-3.25", ".5" exactly. */
export function parseDecimal(s: string): Rational {
  const neg_ = s.startsWith("-");
  const body = neg_ ? s.slice(1) : s;
  const [ip = "", fp = ""] = body.split(".");
  const n = BigInt((ip || "0") + fp);
  const r = rat(n, 10n ** BigInt(fp.length));
  return neg_ ? neg(r) : r;
}
