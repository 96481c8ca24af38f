/** Decoding and validating control bodies (hello, cancel, bye, error): one place for the wording of refusals. */
import type { z } from "zod";
import { decodePlain } from "./codec.js";
import { Envelope, KINDS } from "./protocol.js";

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

const KIND_SET: ReadonlySet<unknown> = new Set(KINDS);
const ENVELOPE_KEYS = 5;

/**
 * `Envelope.safeParse`, with a fast path for the well-formed envelope every message carries: it accepts only
 * what the schema accepts (the same checks, written out), and anything else goes through zod, which stays the
 * source of truth and words the error. zod costs as much as the rest of a small message.
 */
export function parseEnvelope(raw: unknown): ReturnType<typeof Envelope.safeParse> {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const e = raw as Record<string, unknown>;
    const { v, kind, id, type, deadline } = e;
    if (
      Object.keys(e).length === ENVELOPE_KEYS &&
      Number.isSafeInteger(v) &&
      KIND_SET.has(kind) &&
      typeof id === "string" &&
      id.length >= 1 &&
      id.length <= 128 &&
      typeof type === "string" &&
      type.length <= 128 &&
      Number.isSafeInteger(deadline) &&
      (deadline as number) >= 0
    ) {
      return { success: true, data: e as Envelope };
    }
  }
  return Envelope.safeParse(raw);
}
