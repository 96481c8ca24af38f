"""One bridge connection per process for the plugin's requests (reward manager, trainer, agent loop); veRL
runs them in different Ray actors, each of which opens its own on first use."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import threading
from typing import Any

from still_rl.bridge import Peer

_lock = threading.Lock()
_peer: Peer | None = None
_ids = itertools.count(1)


def peer() -> Peer:
    global _peer
    with _lock:
        if _peer is None:
            name = f"verl-{socket.gethostname()}-{os.getpid()}-{next(_ids)}"
            p = Peer(role="verl", name=name)
            p.start()
            _peer = p
        return _peer


def request(type: str, payload: Any, timeout: float = 30.0) -> Any:
    return peer().submit(type, payload, timeout=timeout).result()


async def arequest(type: str, payload: Any, timeout: float = 30.0) -> Any:
    return await asyncio.wrap_future(peer().submit(type, payload, timeout=timeout))
