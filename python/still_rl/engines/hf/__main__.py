"""Serve the built-in HF engine over the bridge: ``python -m still_rl.engines.hf --model DIR [options]``.

The TS side spawns this (src/engines/hf.ts, `startHfEngine`); the endpoint, peer name and keys come from the
STILL_BRIDGE_* environment (still_rl/bridge/config.py). The model loads before the handshake, so a model that
cannot load ends the process with its error on stderr, which the TS side reports.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ...bridge import cli  # noqa: E402
from ...bridge.peer import Peer  # noqa: E402
from .engine import DTYPES, EngineOptions, HfEngine  # noqa: E402
from .service import operations  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("The built-in Hugging Face engine of still-rl, served over the bridge.")
    p.add_argument("--model", required=True, help="Hugging Face model directory (or a name in the offline cache)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    p.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: half the cores)")
    p.add_argument(
        "--micro-batch-size", type=int, default=0, help="rows per forward pass when scoring and training (0: all)"
    )
    args = p.parse_args(argv)

    def setup(peer: Peer) -> None:
        engine = HfEngine(
            EngineOptions(
                model=args.model,
                device=args.device,
                dtype=args.dtype,
                threads=args.threads,
                micro_batch_size=args.micro_batch_size,
            )
        )
        for name, op in operations(engine).items():
            peer.handler(name, op)

    cli.serve(cli.build(args, "engine", setup))


if __name__ == "__main__":
    main()
