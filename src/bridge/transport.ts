/**
 * The bridge's socket and nothing above it: one ROUTER bound on the requested endpoint plus, for peers on this
 * host, a unix socket in a private directory; CURVE with a ZAP handler where authentication is required; the
 * message encoding and an ordered send queue; the receive loop. It knows identities and frames, not sessions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { onExit } from "signal-exit";
import * as zmq from "zeromq";
import { authRequired, type CurveKeyPair, curveKeyPair, type PeerCredentials, zapHandler } from "./auth.js";
import { encodePayload, encodePlain } from "./codec.js";
import { BridgeError } from "./errors.js";
import { type Envelope, type Kind, PROTOCOL_VERSION } from "./protocol.js";

export type Frame = Buffer;

export interface TransportStats {
  received: number;
  sent: number;
  authRefused: number;
}

export type OnFrames = (identity: Frame, frames: Frame[]) => void;

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export class Transport {
  private readonly queue: Frame[][] = [];
  private pumping = false;
  private closing = false;
  private received: Promise<void> | null = null;
  private onFrames: OnFrames = () => {};

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
    private readonly stats: TransportStats,
  ) {}

  static async bind(
    requested: string,
    requireAuth: boolean | undefined,
    stats: TransportStats,
  ): Promise<Transport> {
    const auth = authRequired(requested, requireAuth);
    // The socket lingers briefly on close so that final byes get out; unreachable peers are not waited for.
    const socket = new zmq.Router({ linger: 500, sendHighWaterMark: 10_000, receiveHighWaterMark: 10_000 });
    let serverKeys: CurveKeyPair | null = null;
    let clientKeys: CurveKeyPair | null = null;
    let domain: string | null = null;
    if (auth) {
      serverKeys = curveKeyPair();
      clientKeys = curveKeyPair();
      domain = await zapHandler.register(new Set([clientKeys.publicKey]), () => {
        stats.authRefused++;
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
    return new Transport(
      socket,
      endpoint,
      localDir,
      removeLocalDir,
      auth,
      serverKeys,
      clientKeys,
      domain,
      stats,
    );
  }

  /** Start delivering received messages to `onFrames`. */
  start(onFrames: OnFrames): void {
    this.onFrames = onFrames;
    this.received = this.receiveLoop();
  }

  /** Where a peer on this host connects (a wildcard bind is reached through loopback). */
  get connectEndpoint(): string {
    return this.endpoint.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
  }

  /** Where peers spawned on this host connect: a private unix socket, or `connectEndpoint` without one. */
  get localEndpoint(): string {
    return this.localDir ? `ipc://${this.localDir}/router.sock` : this.connectEndpoint;
  }

  credentials(): PeerCredentials | null {
    if (!this.serverKeys || !this.clientKeys) return null;
    return { serverKey: this.serverKeys.publicKey, ...this.clientKeys };
  }

  /**
   * Encode and queue one message. Request and reply payloads may carry typed arrays; control bodies are plain
   * msgpack. Throws if the payload cannot be encoded (nothing is queued then). After `quiesce()` only byes go.
   */
  send(identity: Frame, kind: Kind, id: string, type: string, payload: unknown, deadline = 0): void {
    if (this.closing && kind !== "bye") return;
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

  /** From now on only byes are sent. */
  quiesce(): void {
    this.closing = true;
  }

  /** Wait until everything queued went to the socket. */
  async drain(): Promise<void> {
    while (this.pumping || this.queue.length > 0) await new Promise((r) => setTimeout(r, 1));
  }

  /** Close the socket, end the receive loop and remove the private directory and ZAP domain. */
  async close(): Promise<void> {
    this.closing = true;
    this.socket.close();
    await this.received;
    if (this.localDir) rmSync(this.localDir, { recursive: true, force: true });
    this.forgetLocalDir();
    if (this.zapDomain) zapHandler.unregister(this.zapDomain);
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

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) {
        if (!identity) continue;
        this.stats.received++;
        this.onFrames(identity, frames);
      }
    } catch (err) {
      if (!this.socket.closed) throw err;
    }
  }
}
