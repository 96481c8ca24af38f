/**
 * Who may talk to the bridge. On loopback (and ipc) any local process may connect, as with any local socket.
 * Anywhere else the ROUTER is a CURVE server and a ZAP handler admits only client keys issued for this run:
 * a peer without them never completes the ZeroMQ handshake, so not a single frame of its reaches the bridge.
 */
import { randomBytes } from "node:crypto";
import * as zmq from "zeromq";

export interface CurveKeyPair {
  /** Z85-encoded, 40 characters. */
  publicKey: string;
  secretKey: string;
}

/** What a peer needs to authenticate: the server's public key and its own key pair. */
export interface PeerCredentials {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

export function curveKeyPair(): CurveKeyPair {
  return zmq.curveKeyPair();
}

/** True when an endpoint is reachable from this host only: tcp on 127.0.0.0/8, ::1 or localhost; ipc; inproc. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  const m = /^([a-z]+):\/\/(.*)$/.exec(endpoint);
  if (!m) throw new TypeError(`not a ZeroMQ endpoint: ${endpoint}`);
  const [, transport, rest] = m as unknown as [string, string, string];
  if (transport === "ipc" || transport === "inproc") return true;
  if (transport !== "tcp") return false;
  const host = rest.startsWith("[") ? rest.slice(1, rest.indexOf("]")) : rest.slice(0, rest.lastIndexOf(":"));
  return isLoopbackHost(host);
}

/** True for a host name or address only this host can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return (
    h === "localhost" ||
    h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(h)
  );
}

/**
 * Whether a bind must authenticate peers: always off loopback; on loopback only when asked (tests use this to
 * exercise the authenticated path without leaving the host).
 */
export function authRequired(endpoint: string, requested: boolean | undefined): boolean {
  const loopback = isLoopbackEndpoint(endpoint);
  if (!loopback && requested === false) {
    throw new TypeError(
      `bridge: ${endpoint} is reachable from other hosts, so peers must authenticate; requireAuth: false is only allowed on loopback`,
    );
  }
  return !loopback || requested === true;
}

const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

function z85(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let v = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    let chunk = "";
    for (let j = 0; j < 5; j++) {
      chunk = Z85[v % 85] + chunk;
      v = Math.floor(v / 85);
    }
    out += chunk;
  }
  return out;
}

/** Bind the process's ZAP endpoint; a handler closed a moment ago may still hold it, so retry briefly. */
async function bindZap(): Promise<zmq.Reply> {
  for (let attempt = 0; ; attempt++) {
    const socket = new zmq.Reply({ linger: 0 });
    try {
      await socket.bind(ZAP_ENDPOINT);
      return socket;
    } catch (err) {
      socket.close();
      if ((err as { code?: string }).code !== "EADDRINUSE" || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

interface Domain {
  allowed: Set<string>;
  onRefused: () => void;
}

/**
 * One ZAP handler per process (libzmq allows one per context); each authenticated bridge registers a domain
 * with its allowed client keys, and unknown domains or keys are refused.
 */
class ZapHandler {
  private readonly domains = new Map<string, Domain>();
  private socket: Promise<zmq.Reply> | null = null;

  async register(allowed: Set<string>, onRefused: () => void): Promise<string> {
    // Without a bound handler libzmq admits every CURVE client, so failing to bind must fail the bridge.
    this.socket ??= bindZap().then((socket) => {
      void this.serve(socket);
      return socket;
    });
    try {
      await this.socket;
    } catch (err) {
      this.socket = null;
      throw err;
    }
    const domain = `still-${randomBytes(8).toString("hex")}`;
    this.domains.set(domain, { allowed, onRefused });
    return domain;
  }

  unregister(domain: string): void {
    this.domains.delete(domain);
    if (this.domains.size === 0 && this.socket) {
      void this.socket.then((s) => s.close());
      this.socket = null;
    }
  }

  private async serve(socket: zmq.Reply): Promise<void> {
    try {
      for await (const frames of socket) {
        // [version, request id, domain, address, identity, mechanism, client key]
        const [version, requestId, domain, , , mechanism, key] = frames;
        const entry = this.domains.get(domain?.toString() ?? "");
        const ok =
          entry !== undefined &&
          mechanism?.toString() === "CURVE" &&
          key !== undefined &&
          key.length === 32 &&
          entry.allowed.has(z85(key));
        if (!ok) entry?.onRefused();
        await socket.send([
          version ?? "1.0",
          requestId ?? "",
          ok ? "200" : "400",
          ok ? "OK" : "unknown client key",
          ok ? z85(key!) : "",
          "",
        ]);
      }
    } catch (err) {
      if (!socket.closed) throw err;
    }
  }
}

export const zapHandler = new ZapHandler();
