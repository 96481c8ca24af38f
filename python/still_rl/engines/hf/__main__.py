"""Serve the built-in HF engine over the bridge: ``python -m still_rl.engines.hf --model DIR [options]``.

The TS side spawns this (src/engines/hf.ts, `startHfEngine`); the endpoint, peer name and keys come from the
STILL_BRIDGE_* environment (still_rl/bridge/config.py). The model loads before the handshake, so a model that
cannot load ends the process with its error on stderr, which the TS side reports.
"""

from __future__ import annotations

import os
import sys
import traceback

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ...bridge import cli  # noqa: E402
from ...bridge.peer import Peer  # noqa: E402
from .engine import DTYPE_CHOICES, EngineOptions, HfEngine  # noqa: E402
from .service import operations  # noqa: E402

#: Exit code when the model or tokenizer cannot be loaded (the bridge's own codes are 1-3).
EXIT_LOAD = 4


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("The built-in Hugging Face engine of still-rl, served over the bridge.")
    p.add_argument("--model", required=True, help="Hugging Face model directory (or a name in the offline cache)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    p.add_argument("--dtype", default="auto", choices=DTYPE_CHOICES, help="auto: float32 on CPU, bfloat16 on CUDA")
    p.add_argument("--tokenizer", help="tokenizer directory when it is not the model's")
    p.add_argument("--trust-remote-code", action="store_true", help="allow model code shipped with the checkpoint")
    p.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in backward")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: half the cores)")
    p.add_argument(
        "--micro-batch-size", type=int, default=0, help="rows per forward pass when scoring and training (0: all)"
    )
    args = p.parse_args(argv)

    def setup(peer: Peer) -> None:
        try:
            engine = HfEngine(
                EngineOptions(
                    model=args.model,
                    device=args.device,
                    dtype=args.dtype,
                    threads=args.threads,
                    micro_batch_size=args.micro_batch_size,
                    tokenizer=args.tokenizer,
                    trust_remote_code=args.trust_remote_code,
                    gradient_checkpointing=args.gradient_checkpointing,
                )
            )
        except Exception as e:
            # The traceback for debugging, then one line the TS side shows last.
            traceback.print_exc()
            print(f"still_rl hf engine: cannot load {args.model}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            sys.exit(EXIT_LOAD)
        for name, op in operations(engine).items():
            peer.handler(name, op)

    cli.serve(cli.build(args, "engine", setup))


if __name__ == "__main__":
    main()
