/**
 * The request table: request ids, requests from peers dispatched to handlers under their deadline and
 * cancellation, and replies routed back to the calls that wait for them (`RemotePeer.pending`).
 */
import { randomBytes } from "node:crypto";
import { timerDelay } from "../util/timers.js";
import { decodePayload } from "./codec.js";
import { BridgeError, CancelledError, DeadlineError, RemoteError } from "./errors.js";
import type { RemotePeer } from "./peer.js";
import { type Envelope, ErrorBody, type ErrorCode, type Kind } from "./protocol.js";
import type { Frame } from "./transport.js";
import { decodeControl } from "./validate.js";

export interface RequestContext {
  peer: RemotePeer;
  /** Aborted when the requester cancels or the deadline passes. */
  signal: AbortSignal;
  /** Epoch ms after which the requester no longer waits. */
  deadline: number;
}

// biome-ignore lint/suspicious/noExplicitAny: payloads are validated by each handler, not by the bridge.
export type Handler = (payload: any, ctx: RequestContext) => unknown;

/** What the table needs from the bridge around it. */
export interface RequestHost {
  readonly stats: { requestsIn: number; late: number };
  send(peer: RemotePeer, kind: Kind, id: string, type: string, payload: unknown): void;
  refuse(identity: Frame, code: ErrorCode, message: string, id?: string, type?: string): void;
  /** An error about one of our own messages, with no call waiting for it. */
  reportError(from: string, code: ErrorCode, message: string): void;
}

export class RequestTable {
  private readonly handlers = new Map<string, Handler>();
  private idCounter = 0;
  private readonly idPrefix = randomBytes(3).toString("hex");

  constructor(private readonly host: RequestHost) {}

  nextId(): string {
    return `${this.idPrefix}${(++this.idCounter).toString(36)}`;
  }

  handle(type: string, handler: Handler): void {
    if (this.handlers.has(type)) throw new TypeError(`bridge: a handler for "${type}" is already registered`);
    this.handlers.set(type, handler);
  }

  handlerNames(): string[] {
    return [...this.handlers.keys()];
  }

  /** A request from `peer`: run its handler under the request's deadline; reply with the result or the error. */
  onRequest(peer: RemotePeer, env: Envelope, frames: Frame[]): void {
    this.host.stats.requestsIn++;
    const problem =
      env.deadline <= 0
        ? "a request needs a positive deadline"
        : peer.incoming.has(env.id)
          ? `request id ${env.id} is already in flight`
          : null;
    let payload: unknown;
    try {
      payload = problem === null ? decodePayload(frames[1]!, frames.slice(2)) : undefined;
    } catch (err) {
      this.host.refuse(
        peer.identity,
        "bad_message",
        `request payload: ${(err as Error).message}`,
        env.id,
        env.type,
      );
      return;
    }
    if (problem !== null) {
      this.host.refuse(peer.identity, "bad_message", problem, env.id, env.type);
      return;
    }
    const handler = this.handlers.get(env.type);
    if (!handler) {
      const known = this.handlerNames().join(", ") || "none";
      this.host.send(peer, "error", env.id, env.type, {
        code: "unknown_type",
        message: `the TS side has no handler for "${env.type}" (it has: ${known})`,
        detail: "",
      } satisfies ErrorBody);
      return;
    }
    const ac = new AbortController();
    const deadline = Date.now() + env.deadline;
    const timer = setTimeout(
      () =>
        ac.abort(new DeadlineError(`${env.type} from ${peer.name}: deadline of ${env.deadline} ms passed`)),
      timerDelay(env.deadline),
    );
    peer.incoming.set(env.id, ac);
    const done = () => {
      clearTimeout(timer);
      peer.incoming.delete(env.id);
    };
    const replyError = (body: ErrorBody) => this.host.send(peer, "error", env.id, env.type, body);
    Promise.resolve()
      .then(() => handler(payload, { peer, signal: ac.signal, deadline }))
      .then(
        (result) => {
          done();
          if (ac.signal.aborted || !peer.alive) return;
          try {
            this.host.send(peer, "reply", env.id, env.type, result);
          } catch (err) {
            replyError({
              code: "handler_error",
              message: `the TS handler for "${env.type}" returned a value that cannot be sent: ${(err as Error).message}`,
              detail: "",
            });
          }
        },
        (err: unknown) => {
          done();
          if (ac.signal.aborted || !peer.alive) return;
          const e = err instanceof Error ? err : new Error(String(err));
          replyError({ code: "handler_error", message: `${e.name}: ${e.message}`, detail: e.stack ?? "" });
        },
      );
  }

  /** The requester gave up on one of its requests: its handler sees the abort. */
  onCancel(peer: RemotePeer, id: string, reason: string): void {
    peer.incoming.get(id)?.abort(new CancelledError(`${peer.name} cancelled: ${reason}`));
  }

  /** A reply or error to one of our calls on `peer`. */
  onReply(peer: RemotePeer, env: Envelope, frames: Frame[]): void {
    const pending = peer.pending.get(env.id);
    if (!pending) {
      // Answers to requests that already timed out or were cancelled; an error about our own message also
      // lands here (e.g. the peer could not decode it), which is worth surfacing.
      this.host.stats.late++;
      if (env.kind === "error") {
        const body = this.errorBody(peer, env, frames);
        if (body) this.host.reportError(peer.name, body.code, body.message);
      }
      return;
    }
    if (env.kind === "error") {
      const body = this.errorBody(peer, env, frames);
      if (!body) {
        pending.reject(
          new BridgeError(`${peer.name}.${pending.type}: the peer sent a malformed error`, "bad_message"),
        );
        return;
      }
      pending.reject(
        new RemoteError(`${peer.name}.${pending.type} failed: ${body.message}`, body.code, body.detail),
      );
      return;
    }
    let payload: unknown;
    try {
      payload = decodePayload(frames[1]!, frames.slice(2));
    } catch (err) {
      const message = (err as Error).message;
      this.host.refuse(peer.identity, "bad_message", `reply payload: ${message}`, env.id, env.type);
      pending.reject(
        new BridgeError(`${peer.name}.${pending.type}: malformed reply: ${message}`, "bad_message"),
      );
      return;
    }
    pending.resolve(payload);
  }

  private errorBody(peer: RemotePeer, env: Envelope, frames: Frame[]): ErrorBody | null {
    const r = decodeControl(frames[1]!, ErrorBody, env.kind);
    if (r.ok) return r.value;
    this.host.refuse(peer.identity, "bad_message", r.message, env.id);
    return null;
  }
}
