"""One bridge connection per process for a framework's requests to TS (veRL's reward manager, trainer and
agent loop; OpenRLHF's tool agent): the frameworks run them in different Ray actors, each of which opens its
own on first use. The role comes from the environment TS gives the job (STILL_BRIDGE_ROLE)."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import threading
from typing import Any

from .peer import Peer

_lock = threading.Lock()
_peer: Peer | None = None
_ids = itertools.count(1)


def peer() -> Peer:
    global _peer
    with _lock:
        if _peer is None:
            role = os.environ.get("STILL_BRIDGE_ROLE") or "framework"
            p = Peer(role=role, name=f"{role}-{socket.gethostname()}-{os.getpid()}-{next(_ids)}")
            p.start()
            _peer = p
        return _peer


def request(type: str, payload: Any, timeout: float = 30.0) -> Any:
    return peer().submit(type, payload, timeout=timeout).result()


async def arequest(type: str, payload: Any, timeout: float = 30.0) -> Any:
    return await asyncio.wrap_future(peer().submit(type, payload, timeout=timeout))
