/**
 * The TS side of the bridge: one ROUTER that Python peers (engines, reward workers, tool workers, trainer
 * hooks) connect to with DEALERs. Requests go both ways: `peer.call()` asks a peer, `bridge.handle()` answers
 * peers. Every incoming frame is decoded defensively and validated with zod; a bad one gets an error reply and
 * is counted, and never affects another peer. Liveness: both sides send heartbeats; a peer silent past the
 * timeout, or whose process exits, fails everything pending on it with a PeerLostError.
 *
 * The Bridge routes each message by kind; the jobs live beside it: the socket in transport.ts, sessions
 * (handshake, heartbeats, spawned peers) in sessions.ts, requests and replies in requests.ts.
 */
import type { PeerCredentials } from "./auth.js";
import { decodePlain } from "./codec.js";
import type { PeerProcess, RemotePeer } from "./peer.js";
import { Bye, Cancel, type ErrorBody, type ErrorCode, type Kind, PROTOCOL_VERSION } from "./protocol.js";
import { type Handler, RequestTable } from "./requests.js";
import { Sessions } from "./sessions.js";
import { type Frame, Transport } from "./transport.js";
import { decodeControl, parseEnvelope, summarize } from "./validate.js";

export interface BridgeOptions {
  /** ZeroMQ endpoint to bind. Default `tcp://127.0.0.1:*` (a free port; see `bridge.endpoint`). */
  endpoint?: string;
  /** Authenticate peers with CURVE. Forced on for non-loopback endpoints; may be turned on for loopback. */
  requireAuth?: boolean;
  /** Heartbeat interval, ms (default 1000). */
  heartbeatMs?: number;
  /** Silence after which a peer is lost, ms (default 10000). */
  heartbeatTimeoutMs?: number;
  /** Called for every refused or malformed message (they are also counted in `stats`). */
  onProtocolError?: (event: ProtocolErrorEvent) => void;
}

export interface ProtocolErrorEvent {
  /** Peer name, or the hex routing id of a connection without a session. */
  from: string;
  code: ErrorCode;
  message: string;
}

export interface BridgeStats {
  /** Messages received (after authentication). */
  received: number;
  sent: number;
  /** Messages that failed decoding or validation. */
  malformed: number;
  /** Hellos refused (version mismatch, duplicate name) and messages from connections without a session. */
  refused: number;
  /** CURVE handshakes refused by the ZAP handler (unknown client key). */
  authRefused: number;
  /** Replies that arrived after their request was settled (deadline, cancel). */
  late: number;
  requestsIn: number;
  requestsOut: number;
}

export { type CallOptions, type PeerProcess, RemotePeer } from "./peer.js";
export type { Handler, RequestContext } from "./requests.js";

const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_TIMEOUT_MS = 10_000;

export class Bridge {
  readonly stats: BridgeStats = {
    received: 0,
    sent: 0,
    malformed: 0,
    refused: 0,
    authRefused: 0,
    late: 0,
    requestsIn: 0,
    requestsOut: 0,
  };
  private readonly closers = new Set<() => Promise<void>>();
  private readonly sessions: Sessions;
  private readonly requests: RequestTable;
  private transport!: Transport;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly onProtocolError: ((e: ProtocolErrorEvent) => void) | undefined,
    heartbeatMs: number,
    heartbeatTimeoutMs: number,
  ) {
    const host = {
      stats: this.stats,
      nextId: () => this.requests.nextId(),
      send: (peer: RemotePeer, kind: Kind, id: string, type: string, payload: unknown, deadline = 0) =>
        this.transport.send(peer.identity, kind, id, type, payload, deadline),
      forget: (peer: RemotePeer) => this.sessions.forget(peer),
      refuse: (identity: Frame, code: ErrorCode, message: string, id?: string, type?: string) =>
        this.refuse(identity, code, message, id, type),
      reportError: (from: string, code: ErrorCode, message: string) =>
        this.onProtocolError?.({ from, code, message }),
      handlerNames: () => this.requests.handlerNames(),
    };
    this.requests = new RequestTable(host);
    this.sessions = new Sessions(host, heartbeatMs, heartbeatTimeoutMs);
  }

  /** Bind a ROUTER and start serving. */
  static async bind(options: BridgeOptions = {}): Promise<Bridge> {
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const timeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(heartbeatMs > 0 && timeoutMs > heartbeatMs)) {
      throw new TypeError("bridge: heartbeatTimeoutMs must be larger than heartbeatMs, both positive");
    }
    const bridge = new Bridge(options.onProtocolError, heartbeatMs, timeoutMs);
    bridge.transport = await Transport.bind(
      options.endpoint ?? "tcp://127.0.0.1:*",
      options.requireAuth,
      bridge.stats,
    );
    bridge.transport.start((identity, frames) => bridge.onMessage(identity, frames));
    bridge.sessions.startHeartbeats();
    return bridge;
  }

  /** The bound endpoint with its actual port, e.g. `tcp://127.0.0.1:41234`. */
  get endpoint(): string {
    return this.transport.endpoint;
  }

  get authRequired(): boolean {
    return this.transport.authRequired;
  }

  get heartbeatMs(): number {
    return this.sessions.heartbeatMs;
  }

  get heartbeatTimeoutMs(): number {
    return this.sessions.heartbeatTimeoutMs;
  }

  /** Where a peer on this host connects (a wildcard bind is reached through loopback). */
  get connectEndpoint(): string {
    return this.transport.connectEndpoint;
  }

  /** Where peers spawned on this host connect: a private unix socket, or `connectEndpoint` without one. */
  get localEndpoint(): string {
    return this.transport.localEndpoint;
  }

  /**
   * Client credentials issued for this run (null on an unauthenticated bind). Peers started elsewhere (a Ray
   * job) need them; treat `secretKey` as a secret.
   */
  credentials(): PeerCredentials | null {
    return this.transport.credentials();
  }

  /** Environment variables a Python peer reads to connect here (see python/still_rl/bridge/config.py). */
  peerEnv(peer: { role: string; name: string }, endpoint = this.connectEndpoint): Record<string, string> {
    const env: Record<string, string> = {
      STILL_BRIDGE_ENDPOINT: endpoint,
      STILL_BRIDGE_ROLE: peer.role,
      STILL_BRIDGE_NAME: peer.name,
    };
    const c = this.credentials();
    if (c) {
      env.STILL_BRIDGE_SERVER_KEY = c.serverKey;
      env.STILL_BRIDGE_PUBLIC_KEY = c.publicKey;
      env.STILL_BRIDGE_SECRET_KEY = c.secretKey;
    }
    return env;
  }

  /** Answer requests of `type` from any peer. The result (which may contain typed arrays) is the reply. */
  handle(type: string, handler: Handler): this {
    this.requests.handle(type, handler);
    return this;
  }

  peers(): RemotePeer[] {
    return this.sessions.peers();
  }

  /** Wait until a peer matching `filter` has completed its handshake. */
  waitForPeer(filter: { name?: string; role?: string }, timeoutMs: number): Promise<RemotePeer> {
    return this.sessions.waitForPeer(filter, timeoutMs);
  }

  /**
   * Announce a peer process that will connect as `name`; resolves on its handshake. Used by spawnPeer; the
   * returned callbacks report the process's exit.
   */
  expect(name: string, process: PeerProcess): { ready: Promise<RemotePeer>; exited: () => void } {
    return this.sessions.expect(name, process);
  }

  /** Give up on an expected peer (its start timed out). */
  unexpect(name: string): void {
    this.sessions.unexpect(name);
  }

  /** Run `fn` when the bridge closes (spawned processes register their shutdown here). */
  onClose(fn: () => Promise<void>): () => void {
    this.closers.add(fn);
    return () => this.closers.delete(fn);
  }

  /** Say bye to every peer, stop spawned processes, close the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.transport.quiesce();
      this.sessions.endAll();
      await this.transport.drain();
      await Promise.all([...this.closers].map((fn) => fn()));
      await this.transport.close();
    })();
    return this.closing;
  }

  /** Count a refused or malformed message, report it, and tell the sender. */
  private refuse(identity: Frame, code: ErrorCode, message: string, id = "-", type = ""): void {
    if (code === "bad_message") this.stats.malformed++;
    else this.stats.refused++;
    const from = this.sessions.get(identity)?.name ?? identity.toString("hex");
    this.onProtocolError?.({ from, code, message });
    this.transport.send(identity, "error", id, type, { code, message, detail: "" } satisfies ErrorBody);
  }

  private onMessage(identity: Frame, frames: Frame[]): void {
    if (frames.length < 2) {
      this.refuse(
        identity,
        "bad_message",
        `expected at least 2 frames (envelope, payload), got ${frames.length}`,
      );
      return;
    }
    let raw: unknown;
    try {
      raw = decodePlain(frames[0]!);
    } catch (err) {
      this.refuse(identity, "bad_message", `envelope is not msgpack: ${(err as Error).message}`);
      return;
    }
    const rawId = (raw as { id?: unknown } | null)?.id;
    const replyId = typeof rawId === "string" && rawId.length > 0 && rawId.length <= 128 ? rawId : "-";
    const v = (raw as { v?: unknown } | null)?.v;
    if (typeof v === "number" && v !== PROTOCOL_VERSION) {
      this.sessions.refuseVersion(identity, raw, frames, v, replyId);
      return;
    }
    const parsed = parseEnvelope(raw);
    if (!parsed.success) {
      this.refuse(identity, "bad_message", `invalid envelope: ${summarize(parsed.error)}`, replyId);
      return;
    }
    const env = parsed.data;
    if (env.kind === "hello") {
      this.sessions.onHello(identity, env, frames);
      return;
    }
    const peer = this.sessions.get(identity);
    if (!peer) {
      this.refuse(identity, "no_session", `no session: send hello first (got ${env.kind})`, env.id, env.type);
      return;
    }
    peer.lastSeen = Date.now();
    switch (env.kind) {
      case "request":
        this.requests.onRequest(peer, env, frames);
        return;
      case "reply":
      case "error":
        this.requests.onReply(peer, env, frames);
        return;
      case "cancel": {
        const body = decodeControl(frames[1]!, Cancel, env.kind);
        if (body.ok) this.requests.onCancel(peer, env.id, body.value.reason);
        else this.refuse(identity, "bad_message", body.message, env.id);
        return;
      }
      case "heartbeat":
        return;
      case "bye": {
        const body = decodeControl(frames[1]!, Bye, env.kind);
        if (body.ok) peer.fail(`${peer.label()} said bye: ${body.value.reason}`);
        else this.refuse(identity, "bad_message", body.message, env.id);
        return;
      }
      case "welcome":
        this.refuse(identity, "bad_message", "welcome is sent by the TS side only", env.id);
        return;
    }
  }
}
