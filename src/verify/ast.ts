import type { Rational } from "./rational.js";

/** Relations, `~` is `\approx`, `in` is `\in`. */
export type RelOp = "=" | "<" | "<=" | ">" | ">=" | "!=" | "~" | "in";

/** Typed answer AST: what the parser produces and the comparison consumes. */
export type Node =
  /** A literal; `dec` is the number of printed decimal places (null for an integer literal). */
  | { k: "num"; v: Rational; dec: number | null; sig: number }
  /** A variable or constant (`pi`, `e`, `i`, `inf`); subscripts are part of the name (`a_3`). */
  | { k: "sym"; name: string }
  | { k: "add"; xs: Node[] }
  | { k: "mul"; xs: Node[] }
  | { k: "neg"; x: Node }
  | { k: "div"; a: Node; b: Node }
  | { k: "pow"; a: Node; b: Node }
  /** Functions by name: sqrt, root(x, n), sin…, ln, log(x, base), exp, fact, binom, abs, floor, ceil; `call:f` is an unknown f. */
  | { k: "fn"; name: string; args: Node[] }
  /** `a \pm b`; `a` null for a leading `\pm b`. */
  | { k: "pm"; a: Node | null; b: Node }
  | { k: "pct"; x: Node }
  | { k: "deg"; x: Node }
  /** Bracketed sequence: a tuple, a point or an interval; brackets are kept exactly. */
  | { k: "tuple"; open: "(" | "["; close: ")" | "]"; xs: Node[] }
  | { k: "set"; xs: Node[] }
  /** An unbracketed (or `{}`-grouped) list: several answers. `sep` is the separator that made it. */
  | { k: "list"; xs: Node[]; sep: "," | ";" | "or" | "and" | "box" }
  | { k: "union"; xs: Node[] }
  /** A relation chain `xs[0] ops[0] xs[1] …`; `mod` is the modulus of a congruence (`17 \equiv 2 \pmod 5`). */
  | { k: "rel"; ops: RelOp[]; xs: Node[]; mod?: Node }
  | { k: "matrix"; rows: Node[][] }
  | { k: "ratio"; xs: Node[] }
  | { k: "text"; s: string }
  /** A numeral with a base subscript, `204_5`. */
  | { k: "base"; digits: string; base: string };

/** Canonical printing, used for keys, uninterpreted-function hashing and debugging. */
export function show(n: Node): string {
  switch (n.k) {
    case "num":
      return n.v.d === 1n ? n.v.n.toString() : `${n.v.n}/${n.v.d}`;
    case "sym":
      return n.name;
    case "add":
      return `(${n.xs.map(show).join("+")})`;
    case "mul":
      return `(${n.xs.map(show).join("*")})`;
    case "neg":
      return `-${show(n.x)}`;
    case "div":
      return `(${show(n.a)}/${show(n.b)})`;
    case "pow":
      return `(${show(n.a)}^${show(n.b)})`;
    case "fn":
      return `${n.name}(${n.args.map(show).join(",")})`;
    case "pm":
      return `(${n.a ? show(n.a) : ""}±${show(n.b)})`;
    case "pct":
      return `${show(n.x)}%`;
    case "deg":
      return `${show(n.x)}°`;
    case "tuple":
      return `${n.open}${n.xs.map(show).join(",")}${n.close}`;
    case "set":
      return `{${n.xs.map(show).join(",")}}`;
    case "list":
      return n.xs.map(show).join(n.sep === "," || n.sep === "box" ? ", " : ` ${n.sep} `);
    case "union":
      return n.xs.map(show).join("∪");
    case "rel":
      return n.xs.map((x, i) => (i === 0 ? show(x) : `${n.ops[i - 1]}${show(x)}`)).join("");
    case "matrix":
      return `[${n.rows.map((r) => r.map(show).join(",")).join(";")}]`;
    case "ratio":
      return n.xs.map(show).join(":");
    case "text":
      return `"${n.s}"`;
    case "base":
      return `${n.digits}_${n.base}`;
  }
}
