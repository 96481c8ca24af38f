/**
 * The TS side of the bridge: one ROUTER that Python peers (engines, reward workers, tool workers, trainer
 * hooks) connect to with DEALERs. Requests go both ways: `peer.call()` asks a peer, `bridge.handle()` answers
 * peers. Every incoming frame is decoded defensively and validated with zod; a bad one gets an error reply and
 * is counted, and never affects another peer. Liveness: both sides send heartbeats; a peer silent past the
 * timeout, or whose process exits, fails everything pending on it with a PeerLostError.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { onExit } from "signal-exit";
import * as zmq from "zeromq";
import type { z } from "zod";
import { timerDelay } from "../util/timers.js";
import { authRequired, type CurveKeyPair, curveKeyPair, type PeerCredentials, zapHandler } from "./auth.js";
import { decodePayload, decodePlain, encodePayload, encodePlain } from "./codec.js";
import {
  BridgeError,
  CancelledError,
  DeadlineError,
  PeerLostError,
  RemoteError,
  VersionMismatchError,
} from "./errors.js";
import { describeExit, type PeerHost, type PeerProcess, RemotePeer, stderrSuffix } from "./peer.js";
import {
  Bye,
  Cancel,
  Envelope,
  ErrorBody,
  type ErrorCode,
  Hello,
  type Kind,
  PACKAGE_VERSION,
  PROTOCOL_VERSION,
  type Welcome,
} from "./protocol.js";

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

export interface RequestContext {
  peer: RemotePeer;
  /** Aborted when the requester cancels or the deadline passes. */
  signal: AbortSignal;
  /** Epoch ms after which the requester no longer waits. */
  deadline: number;
}

// biome-ignore lint/suspicious/noExplicitAny: payloads are validated by each handler, not by the bridge.
export type Handler = (payload: any, ctx: RequestContext) => unknown;

export { type CallOptions, type PeerProcess, RemotePeer } from "./peer.js";

const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_TIMEOUT_MS = 10_000;

type Frame = Buffer;

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

interface Expectation {
  process: PeerProcess;
  resolve: (peer: RemotePeer) => void;
  reject: (error: Error) => void;
}

interface Waiter {
  match: (peer: RemotePeer) => boolean;
  resolve: (peer: RemotePeer) => void;
}

export class Bridge implements PeerHost {
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
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  private readonly sessions = new Map<string, RemotePeer>();
  private readonly byName = new Map<string, RemotePeer>();
  private readonly handlers = new Map<string, Handler>();
  private readonly expected = new Map<string, Expectation>();
  private readonly waiters = new Set<Waiter>();
  private readonly closers = new Set<() => Promise<void>>();
  private readonly queue: Frame[][] = [];
  private pumping = false;
  private idCounter = 0;
  private readonly idPrefix = randomBytes(3).toString("hex");
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastTick = Date.now();
  private closing: Promise<void> | null = null;
  private received: Promise<void> | null = null;

  private constructor(
    private readonly socket: zmq.Router,
    /** The bound endpoint with its actual port, e.g. `tcp://127.0.0.1:41234`. */
    readonly endpoint: string,
    private readonly localDir: string | null,
    /** Unregisters the exit hook that removes `localDir` if this process ends without close(). */
    private readonly forgetLocalDir: () => void,
    readonly authRequired: boolean,
    private readonly serverKeys: CurveKeyPair | null,
    private readonly clientKeys: CurveKeyPair | null,
    private readonly zapDomain: string | null,
    private readonly onProtocolError: ((e: ProtocolErrorEvent) => void) | undefined,
    heartbeatMs: number,
    heartbeatTimeoutMs: number,
  ) {
    this.heartbeatMs = heartbeatMs;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
  }

  /** Bind a ROUTER and start serving. */
  static async bind(options: BridgeOptions = {}): Promise<Bridge> {
    const requested = options.endpoint ?? "tcp://127.0.0.1:*";
    const auth = authRequired(requested, options.requireAuth);
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const timeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(heartbeatMs > 0 && timeoutMs > heartbeatMs)) {
      throw new TypeError("bridge: heartbeatTimeoutMs must be larger than heartbeatMs, both positive");
    }
    // The socket lingers briefly on close so that final byes get out; unreachable peers are not waited for.
    const socket = new zmq.Router({ linger: 500, sendHighWaterMark: 10_000, receiveHighWaterMark: 10_000 });
    let serverKeys: CurveKeyPair | null = null;
    let clientKeys: CurveKeyPair | null = null;
    let domain: string | null = null;
    let owner: Bridge | null = null;
    if (auth) {
      serverKeys = curveKeyPair();
      clientKeys = curveKeyPair();
      domain = await zapHandler.register(new Set([clientKeys.publicKey]), () => {
        if (owner) owner.stats.authRefused++;
      });
      socket.curveServer = true;
      socket.curveSecretKey = serverKeys.secretKey;
      socket.zapDomain = domain;
    }
    let endpoint: string;
    let localDir: string | null = null;
    let removeLocalDir = () => {};
    try {
      await socket.bind(requested);
      endpoint = socket.lastEndpoint ?? requested;
      // Peers on this host get a unix socket in a private directory: faster than loopback TCP, and only
      // this user can reach it. The same CURVE settings apply to it.
      if (process.platform !== "win32") {
        const dir = mkdtempSync(path.join(os.tmpdir(), "still-bridge-"));
        localDir = dir;
        removeLocalDir = onExit(() => rmSync(dir, { recursive: true, force: true }));
        await socket.bind(`ipc://${dir}/router.sock`);
      }
    } catch (err) {
      socket.close();
      if (localDir) rmSync(localDir, { recursive: true, force: true });
      removeLocalDir();
      if (domain) zapHandler.unregister(domain);
      throw new BridgeError(`bridge: cannot bind ${requested}: ${(err as Error).message}`, "closed");
    }
    const bridge = new Bridge(
      socket,
      endpoint,
      localDir,
      removeLocalDir,
      auth,
      serverKeys,
      clientKeys,
      domain,
      options.onProtocolError,
      heartbeatMs,
      timeoutMs,
    );
    owner = bridge;
    bridge.start();
    return bridge;
  }

  /** Where a peer on this host connects (a wildcard bind is reached through loopback). */
  get connectEndpoint(): string {
    return this.endpoint.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
  }

  /** Where peers spawned on this host connect: a private unix socket, or `connectEndpoint` without one. */
  get localEndpoint(): string {
    return this.localDir ? `ipc://${this.localDir}/router.sock` : this.connectEndpoint;
  }

  /**
   * Client credentials issued for this run (null on an unauthenticated bind). Peers started elsewhere (a Ray
   * job) need them; treat `secretKey` as a secret.
   */
  credentials(): PeerCredentials | null {
    if (!this.serverKeys || !this.clientKeys) return null;
    return { serverKey: this.serverKeys.publicKey, ...this.clientKeys };
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
    if (this.handlers.has(type)) throw new TypeError(`bridge: a handler for "${type}" is already registered`);
    this.handlers.set(type, handler);
    return this;
  }

  peers(): RemotePeer[] {
    return [...this.byName.values()];
  }

  /** Wait until a peer matching `filter` has completed its handshake. */
  waitForPeer(filter: { name?: string; role?: string }, timeoutMs: number): Promise<RemotePeer> {
    const match = (p: RemotePeer) =>
      (filter.name === undefined || p.name === filter.name) &&
      (filter.role === undefined || p.role === filter.role);
    const existing = this.peers().find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (p) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(p);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new BridgeError(
            `bridge: no peer matching ${JSON.stringify(filter)} within ${timeoutMs} ms`,
            "closed",
          ),
        );
      }, timerDelay(timeoutMs));
      this.waiters.add(waiter);
    });
  }

  /**
   * Announce a peer process that will connect as `name`; resolves on its handshake. Used by spawnPeer; the
   * returned callbacks report the process's exit.
   */
  expect(name: string, process: PeerProcess): { ready: Promise<RemotePeer>; exited: () => void } {
    const ready = new Promise<RemotePeer>((resolve, reject) => {
      this.expected.set(name, { process, resolve, reject });
    });
    const exited = () => {
      const exit = process.exitStatus();
      const tail = process.stderrTail();
      const what = exit ? describeExit(exit) : "exited";
      const peer = this.byName.get(name);
      if (peer?.process === process) {
        peer.fail(`${peer.label()} ${what}${stderrSuffix(tail)}`);
        return;
      }
      const e = this.expected.get(name);
      if (e?.process === process) {
        this.expected.delete(name);
        e.reject(
          new PeerLostError(
            `peer ${name} (pid ${process.pid}) ${what} before its handshake${stderrSuffix(tail)}`,
            exit,
            tail,
          ),
        );
      }
    };
    return { ready, exited };
  }

  /** Give up on an expected peer (its start timed out). */
  unexpect(name: string): void {
    this.expected.delete(name);
  }

  /** Run `fn` when the bridge closes (spawned processes register their shutdown here). */
  onClose(fn: () => Promise<void>): () => void {
    this.closers.add(fn);
    return () => this.closers.delete(fn);
  }

  /** Say bye to every peer, stop spawned processes, close the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      for (const peer of this.peers()) {
        this.send(peer, "bye", this.nextId(), "", { reason: "bridge closing" });
        peer.fail(`${peer.label()}: the bridge closed`);
      }
      for (const e of this.expected.values()) e.reject(new BridgeError("bridge closed", "closed"));
      this.expected.clear();
      await this.drain();
      await Promise.all([...this.closers].map((fn) => fn()));
      this.socket.close();
      await this.received;
      if (this.localDir) rmSync(this.localDir, { recursive: true, force: true });
      this.forgetLocalDir();
      if (this.zapDomain) zapHandler.unregister(this.zapDomain);
    })();
    return this.closing;
  }

  // ---- internals (used by RemotePeer) ----

  nextId(): string {
    return `${this.idPrefix}${(++this.idCounter).toString(36)}`;
  }

  forget(peer: RemotePeer): void {
    this.sessions.delete(peer.identity.toString("hex"));
    if (this.byName.get(peer.name) === peer) this.byName.delete(peer.name);
  }

  send(peer: RemotePeer | Frame, kind: Kind, id: string, type: string, payload: unknown, deadline = 0): void {
    if (this.closing && kind !== "bye") return;
    const identity = peer instanceof RemotePeer ? peer.identity : peer;
    const envelope: Envelope = { v: PROTOCOL_VERSION, kind, id, type, deadline };
    const body =
      kind === "request" || kind === "reply"
        ? encodePayload(payload)
        : { payload: encodePlain(payload), buffers: [] as Uint8Array[] };
    this.queue.push([
      identity,
      asBuffer(encodePlain(envelope)),
      asBuffer(body.payload),
      ...body.buffers.map(asBuffer),
    ]);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const frames = this.queue.shift()!;
        try {
          await this.socket.send(frames);
          this.stats.sent++;
        } catch (err) {
          if (this.socket.closed) return;
          // ROUTER drops messages to unknown or slow peers instead of blocking; any other failure is a bug.
          throw err;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async drain(): Promise<void> {
    while (this.pumping || this.queue.length > 0) await new Promise((r) => setTimeout(r, 1));
  }

  private start(): void {
    this.received = this.receiveLoop();
    this.heartbeatTimer = setInterval(() => this.tick(), this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) {
        if (identity) this.onMessage(identity, frames);
      }
    } catch (err) {
      if (!this.socket.closed) throw err;
    }
  }

  private tick(): void {
    const now = Date.now();
    // After this thread was blocked, timers run before the messages that queued meanwhile are read: silence
    // cannot be judged on this tick.
    const stalled = now - this.lastTick > 2 * this.heartbeatMs;
    this.lastTick = now;
    for (const peer of this.peers()) {
      if (!stalled && now - peer.lastSeen > this.heartbeatTimeoutMs) {
        const running =
          peer.process && !peer.process.exitStatus()
            ? ` (its process ${peer.process.pid} was still running: killing it)`
            : "";
        peer.fail(
          `${peer.label()} sent nothing for ${now - peer.lastSeen} ms (heartbeat timeout ${this.heartbeatTimeoutMs} ms)${running}${stderrSuffix(peer.process?.stderrTail() ?? [])}`,
        );
        peer.process?.kill();
      } else {
        this.send(peer, "heartbeat", this.nextId(), "", {});
      }
    }
  }

  private protocolError(identity: Frame, code: ErrorCode, message: string, id = "-", type = ""): void {
    const peer = this.sessions.get(identity.toString("hex"));
    if (code === "bad_message") this.stats.malformed++;
    else this.stats.refused++;
    this.onProtocolError?.({ from: peer?.name ?? identity.toString("hex"), code, message });
    this.send(identity, "error", id, type, { code, message, detail: "" } satisfies ErrorBody);
  }

  private onMessage(identity: Frame, frames: Frame[]): void {
    this.stats.received++;
    if (frames.length < 2) {
      this.protocolError(
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
      this.protocolError(identity, "bad_message", `envelope is not msgpack: ${(err as Error).message}`);
      return;
    }
    const rawId = (raw as { id?: unknown } | null)?.id;
    const replyId = typeof rawId === "string" && rawId.length > 0 && rawId.length <= 128 ? rawId : "-";
    const v = (raw as { v?: unknown } | null)?.v;
    if (typeof v === "number" && v !== PROTOCOL_VERSION) {
      this.refuseVersion(identity, raw, frames, v, replyId);
      return;
    }
    const parsed = Envelope.safeParse(raw);
    if (!parsed.success) {
      this.protocolError(identity, "bad_message", `invalid envelope: ${summarize(parsed.error)}`, replyId);
      return;
    }
    const env = parsed.data;
    const key = identity.toString("hex");
    const peer = this.sessions.get(key);
    if (env.kind === "hello") {
      this.onHello(identity, env, frames);
      return;
    }
    if (!peer) {
      this.protocolError(
        identity,
        "no_session",
        `no session: send hello first (got ${env.kind})`,
        env.id,
        env.type,
      );
      return;
    }
    peer.lastSeen = Date.now();
    switch (env.kind) {
      case "request":
        this.onRequest(peer, env, frames);
        return;
      case "reply":
      case "error":
        this.onReply(peer, env, frames);
        return;
      case "cancel": {
        const body = this.control(peer, env, frames, Cancel);
        if (body)
          peer.incoming.get(env.id)?.abort(new CancelledError(`${peer.name} cancelled: ${body.reason}`));
        return;
      }
      case "heartbeat":
        return;
      case "bye": {
        const body = this.control(peer, env, frames, Bye);
        if (body) peer.fail(`${peer.label()} said bye: ${body.reason}`);
        return;
      }
      case "welcome":
        this.protocolError(identity, "bad_message", "welcome is sent by the TS side only", env.id);
        return;
    }
  }

  private control<S extends z.ZodType>(
    peer: RemotePeer,
    env: Envelope,
    frames: Frame[],
    schema: S,
  ): z.infer<S> | null {
    let body: unknown;
    try {
      body = decodePlain(frames[1]!);
    } catch (err) {
      this.protocolError(
        peer.identity,
        "bad_message",
        `${env.kind} payload is not msgpack: ${(err as Error).message}`,
        env.id,
      );
      return null;
    }
    const r = schema.safeParse(body);
    if (!r.success) {
      this.protocolError(
        peer.identity,
        "bad_message",
        `invalid ${env.kind} payload: ${summarize(r.error)}`,
        env.id,
      );
      return null;
    }
    return r.data;
  }

  /** A message in another protocol version: refused, and a spawned peer's start fails with the reason. */
  private refuseVersion(identity: Frame, raw: unknown, frames: Frame[], v: number, replyId: string): void {
    let who = "the peer";
    let name: string | null = null;
    if ((raw as { kind?: unknown }).kind === "hello") {
      try {
        const hello = decodePlain(frames[1]!) as Partial<Hello>;
        if (typeof hello.name === "string") {
          name = hello.name;
          who = `peer ${hello.name} (role ${hello.role}, pid ${hello.pid}, still_rl ${hello.package})`;
        }
      } catch {
        // The version is all we can report.
      }
    }
    const message =
      `version mismatch: ${who} speaks protocol ${v}; this TS side speaks protocol ${PROTOCOL_VERSION} ` +
      `(still-rl ${PACKAGE_VERSION}). Install the Python package from the same still-rl release.`;
    this.protocolError(identity, "version_mismatch", message, replyId);
    const e = name === null ? undefined : this.expected.get(name);
    if (name !== null && e) {
      this.expected.delete(name);
      e.reject(new VersionMismatchError(message));
    }
  }

  private onHello(identity: Frame, env: Envelope, frames: Frame[]): void {
    const key = identity.toString("hex");
    if (this.sessions.has(key)) {
      this.protocolError(identity, "bad_message", "hello on an open session", env.id);
      return;
    }
    let body: unknown;
    try {
      body = decodePlain(frames[1]!);
    } catch (err) {
      this.protocolError(
        identity,
        "bad_message",
        `hello payload is not msgpack: ${(err as Error).message}`,
        env.id,
      );
      return;
    }
    const r = Hello.safeParse(body);
    if (!r.success) {
      this.protocolError(identity, "bad_message", `invalid hello: ${summarize(r.error)}`, env.id);
      return;
    }
    const hello = r.data;
    if (hello.protocol !== PROTOCOL_VERSION || hello.package !== PACKAGE_VERSION) {
      const message =
        `version mismatch: peer ${hello.name} (role ${hello.role}, pid ${hello.pid}) runs protocol ${hello.protocol}, ` +
        `still_rl ${hello.package}; this TS side runs protocol ${PROTOCOL_VERSION}, still-rl ${PACKAGE_VERSION}. ` +
        "Install the Python package from the same still-rl release.";
      this.protocolError(identity, "version_mismatch", message, env.id);
      const e = this.expected.get(hello.name);
      if (e) {
        this.expected.delete(hello.name);
        e.reject(new VersionMismatchError(message));
      }
      return;
    }
    if (this.byName.has(hello.name)) {
      this.protocolError(
        identity,
        "duplicate_peer",
        `a peer named ${hello.name} is already connected`,
        env.id,
      );
      return;
    }
    const peer = new RemotePeer(this, identity, hello);
    const expectation = this.expected.get(hello.name);
    if (expectation) {
      this.expected.delete(hello.name);
      peer.process = expectation.process;
    }
    this.sessions.set(key, peer);
    this.byName.set(peer.name, peer);
    const welcome: Welcome = {
      peer: peer.name,
      pid: process.pid,
      protocol: PROTOCOL_VERSION,
      package: PACKAGE_VERSION,
      heartbeat: this.heartbeatMs,
      timeout: this.heartbeatTimeoutMs,
      handlers: [...this.handlers.keys()],
    };
    this.send(peer, "welcome", env.id, "", welcome);
    expectation?.resolve(peer);
    for (const w of this.waiters) if (w.match(peer)) w.resolve(peer);
  }

  private onRequest(peer: RemotePeer, env: Envelope, frames: Frame[]): void {
    this.stats.requestsIn++;
    if (env.deadline <= 0) {
      this.protocolError(
        peer.identity,
        "bad_message",
        "a request needs a positive deadline",
        env.id,
        env.type,
      );
      return;
    }
    if (peer.incoming.has(env.id)) {
      this.protocolError(
        peer.identity,
        "bad_message",
        `request id ${env.id} is already in flight`,
        env.id,
        env.type,
      );
      return;
    }
    let payload: unknown;
    try {
      payload = decodePayload(frames[1]!, frames.slice(2));
    } catch (err) {
      this.protocolError(
        peer.identity,
        "bad_message",
        `request payload: ${(err as Error).message}`,
        env.id,
        env.type,
      );
      return;
    }
    const handler = this.handlers.get(env.type);
    if (!handler) {
      const known = [...this.handlers.keys()].join(", ") || "none";
      this.send(peer, "error", env.id, env.type, {
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
    Promise.resolve()
      .then(() => handler(payload, { peer, signal: ac.signal, deadline }))
      .then(
        (result) => {
          done();
          if (ac.signal.aborted || !peer.alive) return;
          try {
            this.send(peer, "reply", env.id, env.type, result);
          } catch (err) {
            this.send(peer, "error", env.id, env.type, {
              code: "handler_error",
              message: `the TS handler for "${env.type}" returned a value that cannot be sent: ${(err as Error).message}`,
              detail: "",
            } satisfies ErrorBody);
          }
        },
        (err: unknown) => {
          done();
          if (ac.signal.aborted || !peer.alive) return;
          const e = err instanceof Error ? err : new Error(String(err));
          this.send(peer, "error", env.id, env.type, {
            code: "handler_error",
            message: `${e.name}: ${e.message}`,
            detail: e.stack ?? "",
          } satisfies ErrorBody);
        },
      );
  }

  private onReply(peer: RemotePeer, env: Envelope, frames: Frame[]): void {
    const pending = peer.pending.get(env.id);
    if (!pending) {
      // Answers to requests that already timed out or were cancelled; an error about our own message also
      // lands here (e.g. the peer could not decode it), which is worth surfacing.
      this.stats.late++;
      if (env.kind === "error") {
        const body = this.control(peer, env, frames, ErrorBody);
        if (body) this.onProtocolError?.({ from: peer.name, code: body.code, message: body.message });
      }
      return;
    }
    if (env.kind === "error") {
      const body = this.control(peer, env, frames, ErrorBody);
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
      this.protocolError(
        peer.identity,
        "bad_message",
        `reply payload: ${(err as Error).message}`,
        env.id,
        env.type,
      );
      pending.reject(
        new BridgeError(
          `${peer.name}.${pending.type}: malformed reply: ${(err as Error).message}`,
          "bad_message",
        ),
      );
      return;
    }
    pending.resolve(payload);
  }
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
