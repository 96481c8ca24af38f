/** Decoding and validating control bodies (hello, cancel, bye, error): one place for the wording of refusals. */
import type { z } from "zod";
import { decodePlain } from "./codec.js";

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** Frame 1 of a control message, decoded and checked against `schema`; `what` names it in the message. */
export function decodeControl<S extends z.ZodType>(
  frame: Uint8Array,
  schema: S,
  what: string,
): Checked<z.infer<S>> {
  let body: unknown;
  try {
    body = decodePlain(frame);
  } catch (err) {
    return { ok: false, message: `${what} payload is not msgpack: ${(err as Error).message}` };
  }
  const r = schema.safeParse(body);
  if (!r.success)
    return {
      ok: false,
      message: `invalid ${what}${what === "hello" ? "" : " payload"}: ${summarize(r.error)}`,
    };
  return { ok: true, value: r.data };
}

export function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
