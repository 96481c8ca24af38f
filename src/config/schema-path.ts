import type { z } from "zod";
import type { PathSegment } from "./issues.js";

/**
 * Walking a zod schema along a config path, for what zod's issues do not say: the valid keys next to an
 * unknown one, and whether a `--set` value is meant to be a string.
 */

// biome-ignore lint/suspicious/noExplicitAny: zod's internal definitions are untyped across schema kinds
type Def = any;

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/** The schema under optional/default/nullable/pipe wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (WRAPPERS.has(d.type)) s = d.innerType;
    else if (d.type === "pipe") s = d.in;
    else return s;
  }
}

/** For a discriminated union, the option the data selects; otherwise every option. */
function unionOptions(schema: z.ZodType, data: unknown): z.ZodType[] {
  const d = def(schema);
  const options: z.ZodType[] = d.options;
  if (d.discriminator && data !== null && typeof data === "object") {
    const tag = (data as Record<string, unknown>)[d.discriminator];
    const match = options.find((o) => {
      const field = def(unwrap(o)).shape?.[d.discriminator];
      return field !== undefined && def(unwrap(field)).values?.includes(tag);
    });
    if (match) return [match];
  }
  return options;
}

/** The schemas that may hold the value at `path` (several when a union does not say which), still wrapped. */
function wrappedSchemasAt(root: z.ZodType, path: readonly PathSegment[], data: unknown): z.ZodType[] {
  let current: { schema: z.ZodType; data: unknown }[] = [{ schema: root, data }];
  for (const segment of path) {
    const next: { schema: z.ZodType; data: unknown }[] = [];
    for (const { schema, data: value } of current) {
      for (const s of expand(unwrap(schema), value)) {
        const d = def(s);
        const child = childData(value, segment);
        if (d.type === "object" && typeof segment === "string" && d.shape[segment]) {
          next.push({ schema: d.shape[segment], data: child });
        } else if (d.type === "array" && typeof segment === "number") {
          next.push({ schema: d.element, data: child });
        } else if (d.type === "record" && typeof segment === "string") {
          next.push({ schema: d.valueType, data: child });
        }
      }
    }
    current = next;
  }
  return current.map(({ schema }) => schema);
}

/** The schemas that may hold the value at `path`, unwrapped (several when a union does not say which). */
export function schemasAt(root: z.ZodType, path: readonly PathSegment[], data: unknown): z.ZodType[] {
  const value = path.reduce<unknown>((node, segment) => childData(node, segment), data);
  return wrappedSchemasAt(root, path, data).flatMap((s) => expand(unwrap(s), value));
}

/** True when `null` is a value of its own at `path` (e.g. "never"), rather than a way to drop the key. */
export function acceptsNull(root: z.ZodType, path: readonly PathSegment[], data: unknown): boolean {
  return wrappedSchemasAt(root, path, data).some((s) => s.safeParse(null).success);
}

function expand(schema: z.ZodType, data: unknown): z.ZodType[] {
  return def(schema).type === "union" ? unionOptions(schema, data).map(unwrap) : [schema];
}

function childData(value: unknown, segment: PathSegment): unknown {
  if (value === null || typeof value !== "object") return undefined;
  return (value as Record<string | number, unknown>)[segment];
}

/** Keys an object at `path` accepts (empty when the path is not an object). */
export function validKeysAt(root: z.ZodType, path: readonly PathSegment[], data: unknown): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(root, path, data)) {
    const d = def(s);
    if (d.type === "object") for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys];
}

/** True when the value at `path` must be a string (so `--set name=001` keeps "001"). */
export function expectsString(root: z.ZodType, path: readonly PathSegment[], data: unknown): boolean {
  const schemas = schemasAt(root, path, data);
  return (
    schemas.length > 0 &&
    schemas.every((s) => {
      const t = def(s).type;
      return (
        t === "string" || (t === "enum" && Object.values(def(s).entries).every((v) => typeof v === "string"))
      );
    })
  );
}
