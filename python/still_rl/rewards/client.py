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
from still_rl.rewards.token_table import TokenTable


_ids = itertools.count(1)

#: Optional columns of a score request, and how each travels.
_COLUMNS = {
    "prompts": list,
    "response_tokens": lambda v: np.asarray(v, dtype=np.int32),
    "truncated": lambda v: np.asarray(v, dtype=np.uint8),
    "data_sources": list,
    "groups": lambda v: [g if isinstance(g, (str, int)) else str(g) for g in v],
    "extra": list,
}


class RewardClient:
    def __init__(self, endpoint: str | None = None, name: str | None = None, connect_timeout: float = 30.0):
        # Peer names must be unique on the bridge: a process may hold several clients (one per thread).
        name = name or f"reward-client-{socket.gethostname()}-{os.getpid()}-{next(_ids)}"
        self._peer = Peer(endpoint, role="reward-client", name=name, connect_timeout=connect_timeout)
        self._peer.start()
        #: Token tables the service holds for this connection (by sha).
        self._tables: set[str] = set()

    def submit(
        self,
        responses: Sequence[str],
        ground_truths: Sequence[Any],
        *,
        timeout: float = 120.0,
        **columns: Any,
    ) -> Future:
        """Score texts. ``columns``: prompts, response_tokens, truncated, data_sources, groups, extra."""
        # Responses travel packed: their UTF-8 bytes in one buffer (its own ZeroMQ frame, not copied into
        # msgpack) plus offsets; the TS workers scan the bytes in shared memory without decoding them.
        packed, offsets = _pack_utf8(responses)
        payload = {"responses_utf8": packed, "response_offsets": offsets}
        return self._submit(payload, ground_truths, columns, timeout)

    def submit_ids(
        self,
        ids: np.ndarray,
        offsets: np.ndarray,
        table: TokenTable,
        ground_truths: Sequence[Any],
        *,
        timeout: float = 120.0,
        **columns: Any,
    ) -> Future:
        """Score responses given as token ids (all responses' ids concatenated, and n + 1 offsets); TS decodes
        them with ``table`` (see token_table.py), registered with the service on first use."""
        if table.sha not in self._tables:
            reply = self._peer.request(
                "token_table", {"sha": table.sha, "data": table.data, "offsets": table.offsets}, timeout=timeout
            )
            self._tables.add(reply["sha"])
        payload = {
            "vocab": table.sha,
            "response_ids": np.asarray(ids, dtype=np.uint32),
            "response_id_offsets": np.asarray(offsets, dtype=np.int64),
        }
        return self._submit(payload, ground_truths, columns, timeout)

    def _submit(
        self, payload: dict[str, Any], ground_truths: Sequence[Any], columns: dict[str, Any], timeout: float
    ) -> Future:
        unknown = set(columns) - set(_COLUMNS)
        if unknown:
            raise TypeError(f"RewardClient: unknown columns {sorted(unknown)} (known: {', '.join(_COLUMNS)})")
        payload["ground_truths"] = list(ground_truths)
        for key, convert in _COLUMNS.items():
            if columns.get(key) is not None:
                payload[key] = convert(columns[key])
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
