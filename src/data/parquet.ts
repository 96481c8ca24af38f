/**
 * Parquet rows in and out, nested columns included (veRL's `prompt` is a list of {role, content} structs,
 * `reward_model` and `extra_info` are structs).
 *
 * parquet-wasm (Rust's arrow-rs parquet crate compiled to WebAssembly) does the file format, apache-arrow the
 * in-memory columns. Chosen over the pure-JS readers/writers because arrow-rs reads and writes every nested
 * type pyarrow does (list<struct>, struct<struct>, maps) with snappy/zstd/gzip built in, and its Node build
 * is synchronous, so the data loader stays a plain function.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm/node";
import { UserError } from "../util/errors.js";

export type Row = Record<string, unknown>;

export function isParquet(file: string): boolean {
  return file.toLowerCase().endsWith(".parquet");
}

/** Every row of a Parquet file as plain JS values (int64 as number, lists as arrays, structs as objects). */
export function readParquet(file: string): Row[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UserError(`cannot read data file ${file}: ${(err as Error).message}`);
  }
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream());
  } catch (err) {
    throw new UserError(`${file}: not a readable Parquet file (${String((err as Error).message ?? err)})`);
  }
  return tableRows(table);
}

/** The rows of an Arrow table as plain JS values (also for Arrow IPC files, e.g. `datasets` folders). */
export function tableRows(table: arrow.Table): Row[] {
  const fields = table.schema.fields;
  const columns = fields.map((f) => table.getChild(f.name));
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Row = {};
    fields.forEach((f, c) => {
      row[f.name] = plain(columns[c]?.get(i), f.type);
    });
    rows.push(row);
  }
  return rows;
}

/**
 * Write rows as a zstd-compressed Parquet file. Column types are inferred from the values (strings, booleans,
 * integers as int64, other numbers as float64, arrays as lists, objects as structs, null anywhere); a column
 * whose rows disagree (a string in one row, a number in another) is an error that names it.
 */
export function writeParquet(file: string, rows: readonly Row[]): void {
  writeFileSync(file, parquetBytes(rows));
}

export function parquetBytes(rows: readonly Row[]): Uint8Array {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const vectors: Record<string, arrow.Vector> = {};
  for (const name of names) {
    const values = rows.map((r) => r[name] ?? null);
    const type = toArrow(infer(values, name));
    vectors[name] = arrow.vectorFromArray(
      values.map((v) => forArrow(v, type)),
      type,
    );
  }
  const table = new arrow.Table(vectors);
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build();
  return pq.writeParquet(pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), props);
}

/** The shape of a column, merged over its rows. */
type Shape =
  | { kind: "null" }
  | { kind: "string" }
  | { kind: "bool" }
  | { kind: "int" }
  | { kind: "float" }
  | { kind: "list"; item: Shape }
  | { kind: "struct"; fields: Map<string, Shape> };

const NULL: Shape = { kind: "null" };

function infer(values: readonly unknown[], where: string): Shape {
  return values.reduce<Shape>((acc, v) => merge(acc, shapeOf(v, where), where), NULL);
}

function shapeOf(v: unknown, where: string): Shape {
  if (v === null || v === undefined) return NULL;
  if (typeof v === "string") return { kind: "string" };
  if (typeof v === "boolean") return { kind: "bool" };
  if (typeof v === "number") return { kind: Number.isInteger(v) ? "int" : "float" };
  if (typeof v === "bigint") return { kind: "int" };
  if (Array.isArray(v)) return { kind: "list", item: infer(v, `${where}[]`) };
  if (typeof v === "object") {
    const fields = new Map<string, Shape>();
    for (const [k, x] of Object.entries(v)) fields.set(k, shapeOf(x, `${where}.${k}`));
    return { kind: "struct", fields };
  }
  throw new UserError(`column ${where}: cannot store a ${typeof v} in Parquet`);
}

function merge(a: Shape, b: Shape, where: string): Shape {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if (a.kind === "int" && b.kind === "float") return b;
  if (a.kind === "float" && b.kind === "int") return a;
  if (a.kind === "list" && b.kind === "list")
    return { kind: "list", item: merge(a.item, b.item, `${where}[]`) };
  if (a.kind === "struct" && b.kind === "struct") {
    const fields = new Map(a.fields);
    for (const [k, s] of b.fields) fields.set(k, merge(fields.get(k) ?? NULL, s, `${where}.${k}`));
    return { kind: "struct", fields };
  }
  if (a.kind === b.kind) return a;
  throw new UserError(`column ${where}: rows disagree on its type (${a.kind} and ${b.kind})`);
}

function toArrow(s: Shape): arrow.DataType {
  switch (s.kind) {
    case "null":
      return new arrow.Null();
    case "string":
      return new arrow.Utf8();
    case "bool":
      return new arrow.Bool();
    case "int":
      return new arrow.Int64();
    case "float":
      return new arrow.Float64();
    case "list":
      return new arrow.List(new arrow.Field("item", toArrow(s.item), true));
    case "struct":
      return new arrow.Struct([...s.fields].map(([k, f]) => new arrow.Field(k, toArrow(f), true)));
  }
}

/** Values as arrow's builders take them: int64 as bigint, absent struct fields as null. */
function forArrow(v: unknown, type: arrow.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (arrow.DataType.isInt(type)) return BigInt(v as number);
  if (arrow.DataType.isList(type)) {
    const item = type.children[0]!.type;
    return (v as unknown[]).map((x) => forArrow(x, item));
  }
  if (arrow.DataType.isStruct(type)) {
    const o = v as Row;
    return Object.fromEntries(type.children.map((f) => [f.name, forArrow(o[f.name], f.type)]));
  }
  return v;
}

function plain(v: unknown, type: arrow.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (arrow.DataType.isStruct(type)) {
    const o = v as Row;
    return Object.fromEntries(type.children.map((f) => [f.name, plain(o[f.name], f.type)]));
  }
  if (arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type)) {
    const item = type.children[0]!.type;
    return Array.from(v as Iterable<unknown>, (x) => plain(x, item));
  }
  if (arrow.DataType.isMap(type)) {
    const entry = type.children[0]!.type as arrow.Struct;
    const valueType = entry.children[1]!.type;
    return Object.fromEntries(
      Array.from(v as Iterable<[unknown, unknown]>, ([k, x]) => [String(k), plain(x, valueType)]),
    );
  }
  return v;
}
