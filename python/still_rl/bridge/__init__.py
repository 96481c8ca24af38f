"""The Python side of the still-rl ZeroMQ bridge (protocol: src/bridge/PROTOCOL.md)."""

from .codec import decode_payload, encode_payload
from .config import PeerConfig
from .errors import (
    BridgeError,
    Cancelled,
    ConnectError,
    DeadlineExceeded,
    RemoteError,
    ServerLost,
    VersionMismatchError,
)
from .peer import CallContext, Peer, current_call
from .protocol import PROTOCOL_VERSION

__all__ = [
    "PROTOCOL_VERSION",
    "BridgeError",
    "CallContext",
    "Cancelled",
    "ConnectError",
    "DeadlineExceeded",
    "Peer",
    "PeerConfig",
    "RemoteError",
    "ServerLost",
    "VersionMismatchError",
    "current_call",
    "decode_payload",
    "encode_payload",
]
