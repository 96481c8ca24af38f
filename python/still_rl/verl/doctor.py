"""``python -m still_rl.verl.doctor``: what a veRL run needs from this interpreter, as one JSON line: package
versions, the still-rl plugin imported from its entry point, and the CUDA devices torch sees."""

from __future__ import annotations

from still_rl.probe import package_versions, report
from still_rl.verl.check import load_plugin

PACKAGES = ["verl", "ray", "vllm", "torch", "transformers", "transferqueue", "pyzmq", "msgpack", "pyarrow"]


def main() -> None:
    packages = package_versions(PACKAGES)
    report(packages, plugin_errors=load_plugin() if packages["verl"] else ["verl is not installed"])


if __name__ == "__main__":
    main()
