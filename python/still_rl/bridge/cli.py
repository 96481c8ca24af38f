"""Shared ``__main__`` plumbing for peers the TS side spawns (echo, the HF engine, plugins)."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from . import config
from .errors import BridgeError, ConnectError, VersionMismatchError
from .peer import Peer

#: Exit codes, so the TS side and shells can tell failures apart.
EXIT_LOST, EXIT_CONNECT, EXIT_VERSION = 1, 2, 3


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    config.add_arguments(p)
    return p


def serve(peer: Peer) -> None:
    """Run ``peer`` until the TS side says bye (exit 0); report any bridge failure on stderr and exit non-zero."""
    try:
        peer.run()
    except VersionMismatchError as e:
        print(f"still_rl bridge: {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_VERSION)
    except ConnectError as e:
        print(f"still_rl bridge: {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CONNECT)
    except BridgeError as e:
        print(f"still_rl bridge: {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_LOST)


def build(args: argparse.Namespace, default_role: str, setup: Callable[[Peer], None], **peer_options) -> Peer:
    """A peer from parsed arguments and the environment, with handlers registered by ``setup``."""
    try:
        cfg = config.from_args(args, default_role)
    except ValueError as e:
        print(f"still_rl bridge: {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CONNECT)
    peer = Peer(cfg=cfg, **peer_options)
    setup(peer)
    return peer
