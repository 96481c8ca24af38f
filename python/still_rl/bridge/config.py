"""Where a peer connects and how it authenticates: from arguments, else from the environment.

Environment (set by the TS side for peers it spawns; ``bridge.peerEnv()`` gives them for peers started
elsewhere, e.g. Ray workers):

- ``STILL_BRIDGE_ENDPOINT``   ZeroMQ endpoint of the TS ROUTER, e.g. ``tcp://10.0.0.5:5555``
- ``STILL_BRIDGE_ROLE``       peer role, e.g. ``engine``, ``reward``
- ``STILL_BRIDGE_NAME``       unique peer name (default ``<role>-<host>-<pid>``)
- ``STILL_BRIDGE_SERVER_KEY`` Z85 CURVE public key of the TS side (authenticated binds)
- ``STILL_BRIDGE_PUBLIC_KEY`` / ``STILL_BRIDGE_SECRET_KEY``  this peer's Z85 CURVE key pair
- ``STILL_BRIDGE_PARENT_PID`` pid of the TS process that spawned this peer (the peer dies with it)

Keys come from the environment only: command lines are visible to every user of the host.
"""

from __future__ import annotations

import argparse
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class PeerConfig:
    endpoint: str
    role: str
    name: str
    server_key: str | None = None
    public_key: str | None = None
    secret_key: str | None = None
    parent_pid: int | None = None

    @property
    def curve(self) -> bool:
        return self.server_key is not None


def resolve(
    endpoint: str | None = None,
    role: str | None = None,
    name: str | None = None,
    *,
    env: dict[str, str] | None = None,
) -> PeerConfig:
    """Fill what the caller did not give from the environment; raise ValueError naming what is missing."""
    env = dict(os.environ) if env is None else env
    endpoint = endpoint or env.get("STILL_BRIDGE_ENDPOINT")
    if not endpoint:
        raise ValueError("no bridge endpoint: pass --endpoint or set STILL_BRIDGE_ENDPOINT")
    role = role or env.get("STILL_BRIDGE_ROLE")
    if not role:
        raise ValueError("no peer role: pass --role or set STILL_BRIDGE_ROLE")
    name = name or env.get("STILL_BRIDGE_NAME") or f"{role}-{socket.gethostname()}-{os.getpid()}"
    keys = [env.get(k) or None for k in ("STILL_BRIDGE_SERVER_KEY", "STILL_BRIDGE_PUBLIC_KEY", "STILL_BRIDGE_SECRET_KEY")]
    if any(keys) and not all(keys):
        raise ValueError(
            "incomplete CURVE credentials: set all of STILL_BRIDGE_SERVER_KEY, STILL_BRIDGE_PUBLIC_KEY and "
            "STILL_BRIDGE_SECRET_KEY, or none"
        )
    parent = env.get("STILL_BRIDGE_PARENT_PID")
    return PeerConfig(endpoint, role, name, keys[0], keys[1], keys[2], int(parent) if parent else None)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The standard peer options, for a peer's ``__main__``."""
    parser.add_argument("--endpoint", help="ZeroMQ endpoint of the TS side (default: $STILL_BRIDGE_ENDPOINT)")
    parser.add_argument("--role", help="peer role (default: $STILL_BRIDGE_ROLE)")
    parser.add_argument("--name", help="unique peer name (default: $STILL_BRIDGE_NAME or <role>-<host>-<pid>)")


def from_args(args: argparse.Namespace, default_role: str | None = None) -> PeerConfig:
    return resolve(args.endpoint, args.role or os.environ.get("STILL_BRIDGE_ROLE") or default_role, args.name)
