import type { ErrorCode } from "./protocol.js";

/** Base class of every error the bridge raises; `code` matches the wire error codes where one applies. */
export class BridgeError extends Error {
  override name = "BridgeError";
  constructor(
    message: string,
    readonly code: ErrorCode | "peer_lost" | "closed" | "auth",
  ) {
    super(message);
  }
}

/** The other side answered with an error (its handler threw, it did not know the type, ...). */
export class RemoteError extends BridgeError {
  override name = "RemoteError";
  constructor(
    message: string,
    code: ErrorCode,
    /** Remote traceback or stack; may be "". */
    readonly detail: string,
  ) {
    super(message, code);
  }
}

/** No reply before the request's deadline. */
export class DeadlineError extends BridgeError {
  override name = "DeadlineError";
  constructor(message: string) {
    super(message, "deadline_exceeded");
  }
}

/** The caller cancelled the request (its AbortSignal fired). */
export class CancelledError extends BridgeError {
  override name = "CancelledError";
  constructor(message: string) {
    super(message, "cancelled");
  }
}

/** The peer is gone: its process exited, it went silent past the heartbeat timeout, or it said bye. */
export class PeerLostError extends BridgeError {
  override name = "PeerLostError";
  constructor(
    message: string,
    /** Exit code and signal when the peer is a process this side started and it has exited. */
    readonly exit: { code: number | null; signal: string | null } | null,
    /** Last lines of the peer's stderr, when this side started it. */
    readonly stderrTail: string[],
  ) {
    super(message, "peer_lost");
  }
}

/** The peer speaks another protocol or package version. */
export class VersionMismatchError extends BridgeError {
  override name = "VersionMismatchError";
  constructor(message: string) {
    super(message, "version_mismatch");
  }
}
