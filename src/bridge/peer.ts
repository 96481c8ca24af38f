/**
 * One connected peer as the TS side sees it: requests to it (`call`), what is pending on it, and how its
 * session ends. The Bridge (server.ts) owns the socket and routes messages here.
 */

import { timerDelay } from "../util/timers.js";
import { CancelledError, DeadlineError, PeerLostError } from "./errors.js";
import type { Hello, Kind } from "./protocol.js";

export interface CallOptions {
  /** The deadline: the request fails with DeadlineError after this many ms, and the peer is told to cancel. */
  timeoutMs: number;
  /** Aborting cancels the request: it fails with CancelledError and the peer sees the cancellation. */
  signal?: AbortSignal;
}

/** A process behind a peer, attached by `spawnPeer` so losses can name its exit status and stderr. */
export interface PeerProcess {
  readonly pid: number;
  exitStatus(): { code: number | null; signal: string | null } | null;
  stderrTail(): string[];
  /** Ask it to exit (it was sent bye), escalating to SIGTERM and SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
  /** SIGKILL, for a peer that no longer answers at all. */
  kill(): void;
}

/** What a peer needs from the bridge that routes its messages. */
export interface PeerHost {
  readonly stats: { requestsOut: number };
  nextId(): string;
  send(peer: RemotePeer, kind: Kind, id: string, type: string, payload: unknown, deadline?: number): void;
  forget(peer: RemotePeer): void;
}

export interface Pending {
  type: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  unlisten: () => void;
}

export function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export function stderrSuffix(lines: string[]): string {
  return lines.length ? `; last stderr lines:\n  ${lines.join("\n  ")}` : "; no stderr output";
}

/** A connected peer. `call` sends it requests; it stays usable until `lost` settles. */
export class RemotePeer {
  readonly name: string;
  readonly role: string;
  readonly pid: number;
  readonly handlers: readonly string[];
  /** Resolves (never rejects) with the error that ended this peer's session. */
  readonly lost: Promise<PeerLostError>;
  process: PeerProcess | null = null;
  lastSeen = Date.now();
  readonly pending = new Map<string, Pending>();
  readonly incoming = new Map<string, AbortController>();
  private lostError: PeerLostError | null = null;
  private markLost!: (e: PeerLostError) => void;

  constructor(
    private readonly bridge: PeerHost,
    readonly identity: Buffer,
    hello: Hello,
  ) {
    this.name = hello.name;
    this.role = hello.role;
    this.pid = hello.pid;
    this.handlers = hello.handlers;
    this.lost = new Promise((resolve) => {
      this.markLost = resolve;
    });
  }

  get alive(): boolean {
    return this.lostError === null;
  }

  /** Send a request and wait for its reply payload. */
  call<T = unknown>(type: string, payload: unknown, options: CallOptions): Promise<T> {
    if (this.lostError) return Promise.reject(this.lostError);
    const { timeoutMs, signal } = options;
    if (!(timeoutMs > 0))
      return Promise.reject(new TypeError(`${this.name}.${type}: timeoutMs must be positive`));
    if (signal?.aborted)
      return Promise.reject(new CancelledError(`${this.name}.${type}: cancelled before sending`));
    const id = this.bridge.nextId();
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        clearTimeout(entry.timer);
        entry.unlisten();
        this.pending.delete(id);
      };
      const onAbort = () => {
        settle();
        this.bridge.send(this, "cancel", id, type, { reason: "cancelled by the requester" });
        reject(new CancelledError(`${this.name}.${type}: cancelled`));
      };
      const entry: Pending = {
        type,
        resolve: (v) => {
          settle();
          resolve(v as T);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        timer: setTimeout(() => {
          settle();
          this.bridge.send(this, "cancel", id, type, { reason: `deadline of ${timeoutMs} ms passed` });
          reject(new DeadlineError(`${this.name}.${type}: no reply within ${timeoutMs} ms`));
        }, timerDelay(timeoutMs)),
        unlisten: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, entry);
      try {
        this.bridge.stats.requestsOut++;
        this.bridge.send(this, "request", id, type, payload, Math.ceil(timeoutMs));
      } catch (err) {
        settle();
        reject(err);
      }
    });
  }

  /**
   * End the session: the peer is sent `bye` (a peer process then exits), pending requests fail, and a process
   * this side started is waited for, then terminated after `graceMs`.
   */
  async close(graceMs = 3000): Promise<void> {
    if (this.alive) {
      this.bridge.send(this, "bye", this.bridge.nextId(), "", { reason: "closed by the TS side" });
      this.fail(`${this.label()} was closed by the TS side`);
    }
    await this.process?.stop(graceMs);
  }

  /** Fail everything pending on this peer and end its session (idempotent). */
  fail(message: string): PeerLostError {
    if (this.lostError) return this.lostError;
    const exit = this.process?.exitStatus() ?? null;
    const tail = this.process?.stderrTail() ?? [];
    const error = new PeerLostError(message, exit, tail);
    this.lostError = error;
    for (const p of [...this.pending.values()]) p.reject(error);
    for (const ac of this.incoming.values()) ac.abort(error);
    this.incoming.clear();
    this.bridge.forget(this);
    this.markLost(error);
    return error;
  }

  /** "engine-0 (role engine, pid 1234)" */
  label(): string {
    return `peer ${this.name} (role ${this.role}, pid ${this.pid})`;
  }
}
