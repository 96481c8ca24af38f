"""``python -m still_rl.openrlhf.doctor``: what an OpenRLHF run needs from this interpreter, as one JSON line:
package versions (from metadata, so nothing heavy is imported), whether still-rl's tool agent module imports
next to OpenRLHF, and the CUDA devices torch sees."""

from __future__ import annotations

import json
import sys
import traceback
from importlib.metadata import PackageNotFoundError, version

PACKAGES = [
    "openrlhf",
    "torch",
    "transformers",
    "aiohttp",
    "pyzmq",
    "msgpack",
    "ray",
    "vllm",
    "deepspeed",
    "flash-attn",
]


def main() -> None:
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    agent_error = None
    try:
        import still_rl.openrlhf.agent  # noqa: F401
    except Exception:
        agent_error = traceback.format_exc(limit=1).strip().splitlines()[-1]
    gpus: list[str] = []
    if packages["torch"]:
        import torch

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    json.dump(
        {"python": sys.version.split()[0], "packages": packages, "agent_error": agent_error, "gpus": gpus},
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
