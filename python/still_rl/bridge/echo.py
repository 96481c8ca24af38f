"""A generic peer for tests and ``npm run bench:bridge``: ``python -m still_rl.bridge.echo``.

Handlers: ``echo`` (returns the payload; arrays go back without a copy; runs inline on the I/O thread),
``echo_pooled`` (the same on a worker thread, like any long handler), ``nbytes`` (bytes of the arrays
received, without reading them), ``describe`` (dtype, shape and sum of
each array field), ``make`` (an int32 arange of ``n`` elements, cached), ``sleep`` (cooperatively cancellable),
``fail`` (raises), ``log`` (writes lines to stderr), ``call`` (asks the TS side ``type`` with ``payload``:
a request in the other direction), ``cancellations`` (requests its handlers saw cancelled), ``pid``, ``exit``
(dies at once with the given code, as a crashing engine would), ``call_timed`` (``n`` timed requests to TS).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from . import cli
from .peer import CallContext, Peer

_made: dict[int, np.ndarray] = {}
_cancelled: list[dict] = []


def _nbytes(payload: dict) -> int:
    return sum(v.nbytes for v in payload.values() if isinstance(v, np.ndarray))


def setup(peer: Peer) -> None:
    peer.handler("echo", lambda payload: payload, inline=True)
    peer.handler("echo_pooled", lambda payload: payload)
    peer.handler("pid", lambda payload: os.getpid(), inline=True)
    peer.handler("nbytes", _nbytes, inline=True)

    @peer.handler("describe")
    def describe(payload: dict) -> dict:
        out = {}
        for key, value in payload.items():
            if isinstance(value, np.ndarray):
                out[key] = {"dtype": str(value.dtype), "shape": list(value.shape), "sum": float(value.sum(dtype=np.float64))}
        return out

    @peer.handler("make")
    def make(payload: dict) -> dict:
        n = int(payload["n"])
        if n not in _made:
            _made.clear()
            _made[n] = np.arange(n, dtype=np.int32)
        return {"ids": _made[n]}

    @peer.handler("sleep")
    def sleep(payload: dict, ctx: CallContext) -> dict:
        end = time.monotonic() + float(payload["seconds"])
        while time.monotonic() < end:
            if ctx.cancelled.wait(0.01):
                _cancelled.append({"id": ctx.id, "reason": ctx.reason})
                ctx.raise_if_cancelled()
        return {"slept": float(payload["seconds"])}

    @peer.handler("fail")
    def fail(payload: dict) -> None:
        raise ValueError(payload.get("message", "failed on purpose"))

    @peer.handler("log")
    def log(payload: dict) -> int:
        for line in payload["lines"]:
            print(line, file=sys.stderr, flush=True)
        return len(payload["lines"])

    @peer.handler("call")
    def call(payload: dict):
        return peer.request(payload["type"], payload.get("payload"), timeout=float(payload.get("timeout", 10.0)))

    peer.handler("cancellations", lambda payload: list(_cancelled))

    @peer.handler("call_timed")
    def call_timed(payload: dict) -> np.ndarray:
        """Round trips Python -> TS, timed here: microseconds per call."""
        out = np.empty(int(payload["n"]), dtype=np.float64)
        for i in range(len(out)):
            start = time.perf_counter()
            peer.request(payload["type"], payload.get("payload"), timeout=10.0)
            out[i] = (time.perf_counter() - start) * 1e6
        return out

    @peer.handler("exit")
    def exit_now(payload: dict) -> None:
        print(payload.get("message", "exiting on request"), file=sys.stderr, flush=True)
        os._exit(int(payload["code"]))


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Echo peer of the still-rl bridge (tests and benchmarks).")
    p.add_argument("--workers", type=int, default=2, help="handlers that may run at once")
    args = p.parse_args(argv)
    cli.serve(cli.build(args, "echo", setup, workers=args.workers))


if __name__ == "__main__":
    main()
