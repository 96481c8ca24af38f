"""``python -m still_rl.verl.doctor``: what a veRL run needs from this interpreter, as one JSON line: package
versions (from metadata, so nothing heavy is imported), the still-rl plugin imported from its entry point,
and the CUDA devices torch sees."""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, version

from still_rl.verl.check import load_plugin

PACKAGES = ["verl", "ray", "vllm", "torch", "transformers", "transferqueue", "pyzmq", "msgpack", "pyarrow"]


def main() -> None:
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    plugin_errors = load_plugin() if packages["verl"] else ["verl is not installed"]
    gpus: list[str] = []
    if packages["torch"]:
        import torch

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    json.dump(
        {"python": sys.version.split()[0], "packages": packages, "plugin_errors": plugin_errors, "gpus": gpus},
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
