"""Score batches with the TS reward service over the bridge (ZeroMQ), from any Python process.

    client = RewardClient("tcp://127.0.0.1:5555")          # or STILL_BRIDGE_ENDPOINT
    out = client.score(responses, ground_truths, response_tokens=lengths, truncated=hit_limit, groups=uids)
    out["rewards"]                     # float64 array, one per response
    out["components"]["correctness"]   # every component, logged by name
    out["advantages"], out["included"], out["reasons"]   # when groups were given

Many processes (veRL reward workers, Ray actors) can each hold a client; the service batches nothing across
them, so send whole batches. ``submit`` returns a future, for several batches in flight.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
from concurrent.futures import Future
from typing import Any, Sequence

import numpy as np

# Absolute, so veRL can load this file by path (reward.custom_reward_function.path).
from still_rl.bridge import Peer


_ids = itertools.count(1)


class RewardClient:
    def __init__(self, endpoint: str | None = None, name: str | None = None, connect_timeout: float = 30.0):
        # Peer names must be unique on the bridge: a process may hold several clients (one per thread).
        name = name or f"reward-client-{socket.gethostname()}-{os.getpid()}-{next(_ids)}"
        self._peer = Peer(endpoint, role="reward-client", name=name, connect_timeout=connect_timeout)
        self._peer.start()

    def submit(
        self,
        responses: Sequence[str],
        ground_truths: Sequence[Any],
        *,
        prompts: Sequence[str] | None = None,
        response_tokens: Sequence[int] | np.ndarray | None = None,
        truncated: Sequence[bool] | np.ndarray | None = None,
        data_sources: Sequence[str] | None = None,
        groups: Sequence[Any] | None = None,
        extra: Sequence[dict] | None = None,
        timeout: float = 120.0,
    ) -> Future:
        # Responses travel packed: their UTF-8 bytes in one buffer (its own ZeroMQ frame, not copied into
        # msgpack) plus offsets; the TS workers scan the bytes in shared memory without decoding them.
        packed, offsets = _pack_utf8(responses)
        payload: dict[str, Any] = {
            "responses_utf8": packed,
            "response_offsets": offsets,
            "ground_truths": list(ground_truths),
        }
        if prompts is not None:
            payload["prompts"] = list(prompts)
        if response_tokens is not None:
            payload["response_tokens"] = np.asarray(response_tokens, dtype=np.int32)
        if truncated is not None:
            payload["truncated"] = np.asarray(truncated, dtype=np.uint8)
        if data_sources is not None:
            payload["data_sources"] = list(data_sources)
        if groups is not None:
            payload["groups"] = [g if isinstance(g, (str, int)) else str(g) for g in groups]
        if extra is not None:
            payload["extra"] = list(extra)
        return self._peer.submit("score", payload, timeout=timeout)

    def score(self, responses: Sequence[str], ground_truths: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
        """Blocking ``submit``: the reply dict (numpy arrays)."""
        return self.submit(responses, ground_truths, **kwargs).result()

    def close(self) -> None:
        self._peer.close()

    def __enter__(self) -> "RewardClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _pack_utf8(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's UTF-8 bytes in one uint8 array, and the n + 1 offsets of the texts in it.

    The bytes are copied once, one text at a time, into a single numpy array: joining a list of encoded texts
    instead allocates megabytes twice per batch, and fresh memory is page-faulted in (in the benchmark that
    kernel time was most of the client's CPU), while numpy backs large arrays with huge pages. ASCII texts (an
    O(1) check) have as many bytes as characters, so the offsets come before any encoding."""
    if all(t.isascii() for t in texts):
        pieces: Sequence[str | bytes] = texts
        lengths = [len(t) for t in texts]
    else:
        pieces = [t.encode("utf-8") for t in texts]
        lengths = [len(b) for b in pieces]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    packed = np.empty(int(offsets[-1]), dtype=np.uint8)
    view = memoryview(packed)
    at = 0
    for piece, n in zip(pieces, lengths):
        view[at : at + n] = piece.encode("ascii") if isinstance(piece, str) else piece
        at += n
    return packed, offsets


_local = threading.local()


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None) -> dict:
    """veRL ``reward.custom_reward_function`` entry point (path: this file, name: compute_score): scores one
    response with the TS service at ``STILL_BRIDGE_ENDPOINT``. The returned dict's ``score`` is the reward;
    the other keys (components) become veRL's ``reward_extra_info``. One client per thread."""
    client = getattr(_local, "client", None)
    if client is None:
        client = RewardClient(os.environ.get("STILL_BRIDGE_ENDPOINT"))
        _local.client = client
    extra = extra_info or {}
    out = client.score(
        [solution_str],
        [ground_truth],
        data_sources=[data_source],
        **({"response_tokens": [int(extra["response_tokens"])]} if "response_tokens" in extra else {}),
        **({"truncated": [bool(extra["truncated"])]} if "truncated" in extra else {}),
    )
    result = {"score": float(out["rewards"][0])}
    for k, v in out["components"].items():
        result[k] = float(v[0])
    return result
