"""Errors a peer raises; ``code`` matches the wire error codes where one applies."""

from __future__ import annotations


class BridgeError(Exception):
    def __init__(self, message: str, code: str = "closed") -> None:
        super().__init__(message)
        self.code = code


class RemoteError(BridgeError):
    """The TS side answered with an error; ``detail`` holds its stack (may be empty)."""

    def __init__(self, message: str, code: str, detail: str) -> None:
        super().__init__(message, code)
        self.detail = detail


class DeadlineExceeded(BridgeError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "deadline_exceeded")


class Cancelled(BridgeError):
    """Raised by ``ctx.raise_if_cancelled()`` in a handler whose request was cancelled or expired."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "cancelled")


class ServerLost(BridgeError):
    """The session with the TS side ended: it went silent past the heartbeat timeout, or said bye."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "peer_lost")


class VersionMismatchError(BridgeError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "version_mismatch")


class ConnectError(BridgeError):
    """No handshake: nobody answered, or the TS side refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "closed")
