/**
 * Sessions: which connection is which peer. The handshake (hello → welcome, or a refusal naming both
 * versions), peers announced by spawnPeer and the processes behind them, waiting for a peer, heartbeats and
 * the silence after which a peer is lost.
 */
import { timerDelay } from "../util/timers.js";
import { decodePlain } from "./codec.js";
import { BridgeError, PeerLostError, VersionMismatchError } from "./errors.js";
import { describeExit, type PeerHost, type PeerProcess, RemotePeer, stderrSuffix } from "./peer.js";
import {
  type Envelope,
  type ErrorCode,
  Hello,
  PACKAGE_VERSION,
  PROTOCOL_VERSION,
  type Welcome,
} from "./protocol.js";
import type { Frame } from "./transport.js";
import { decodeControl } from "./validate.js";

/** What sessions need from the bridge around them. */
export interface SessionHost extends PeerHost {
  refuse(identity: Frame, code: ErrorCode, message: string, id?: string, type?: string): void;
  /** Request types this side answers, for the welcome. */
  handlerNames(): string[];
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

export class Sessions {
  private readonly byIdentity = new Map<string, RemotePeer>();
  private readonly byName = new Map<string, RemotePeer>();
  private readonly expected = new Map<string, Expectation>();
  private readonly waiters = new Set<Waiter>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastTick = Date.now();

  constructor(
    private readonly host: SessionHost,
    readonly heartbeatMs: number,
    readonly heartbeatTimeoutMs: number,
  ) {}

  startHeartbeats(): void {
    this.heartbeatTimer = setInterval(() => this.tick(), this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** The peer with a session on this connection, if any. */
  get(identity: Frame): RemotePeer | undefined {
    return this.byIdentity.get(identity.toString("hex"));
  }

  peers(): RemotePeer[] {
    return [...this.byName.values()];
  }

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

  unexpect(name: string): void {
    this.expected.delete(name);
  }

  forget(peer: RemotePeer): void {
    this.byIdentity.delete(peer.identity.toString("hex"));
    if (this.byName.get(peer.name) === peer) this.byName.delete(peer.name);
  }

  /** Bye to every peer, their pending requests failed, spawns still waiting for a handshake rejected. */
  endAll(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const peer of this.peers()) {
      this.host.send(peer, "bye", this.host.nextId(), "", { reason: "bridge closing" });
      peer.fail(`${peer.label()}: the bridge closed`);
    }
    for (const e of this.expected.values()) e.reject(new BridgeError("bridge closed", "closed"));
    this.expected.clear();
  }

  onHello(identity: Frame, env: Envelope, frames: Frame[]): void {
    if (this.get(identity)) {
      this.host.refuse(identity, "bad_message", "hello on an open session", env.id);
      return;
    }
    const r = decodeControl(frames[1]!, Hello, "hello");
    if (!r.ok) {
      this.host.refuse(identity, "bad_message", r.message, env.id);
      return;
    }
    const hello = r.value;
    if (hello.protocol !== PROTOCOL_VERSION || hello.package !== PACKAGE_VERSION) {
      const message =
        `version mismatch: peer ${hello.name} (role ${hello.role}, pid ${hello.pid}) runs protocol ${hello.protocol}, ` +
        `still_rl ${hello.package}; this TS side runs protocol ${PROTOCOL_VERSION}, still-rl ${PACKAGE_VERSION}. ` +
        "Install the Python package from the same still-rl release.";
      this.host.refuse(identity, "version_mismatch", message, env.id);
      this.rejectExpected(hello.name, new VersionMismatchError(message));
      return;
    }
    if (this.byName.has(hello.name)) {
      this.host.refuse(identity, "duplicate_peer", `a peer named ${hello.name} is already connected`, env.id);
      return;
    }
    const peer = new RemotePeer(this.host, identity, hello);
    const expectation = this.expected.get(hello.name);
    if (expectation) {
      this.expected.delete(hello.name);
      peer.process = expectation.process;
    }
    this.byIdentity.set(identity.toString("hex"), peer);
    this.byName.set(peer.name, peer);
    const welcome: Welcome = {
      peer: peer.name,
      pid: process.pid,
      protocol: PROTOCOL_VERSION,
      package: PACKAGE_VERSION,
      heartbeat: this.heartbeatMs,
      timeout: this.heartbeatTimeoutMs,
      handlers: this.host.handlerNames(),
    };
    this.host.send(peer, "welcome", env.id, "", welcome);
    expectation?.resolve(peer);
    for (const w of this.waiters) if (w.match(peer)) w.resolve(peer);
  }

  /** A message in another protocol version: refused, and a spawned peer's start fails with the reason. */
  refuseVersion(identity: Frame, raw: unknown, frames: Frame[], v: number, replyId: string): void {
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
    this.host.refuse(identity, "version_mismatch", message, replyId);
    if (name !== null) this.rejectExpected(name, new VersionMismatchError(message));
  }

  private rejectExpected(name: string, error: Error): void {
    const e = this.expected.get(name);
    if (!e) return;
    this.expected.delete(name);
    e.reject(error);
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
        this.host.send(peer, "heartbeat", this.host.nextId(), "", {});
      }
    }
  }
}
