"""``python -m still_rl.openrlhf.doctor``: what an OpenRLHF run needs from this interpreter, as one JSON line:
package versions, whether still-rl's tool agent module imports next to OpenRLHF, and the CUDA devices torch
sees."""

from __future__ import annotations

import traceback

from still_rl.probe import package_versions, report

PACKAGES = ["openrlhf", "torch", "transformers", "aiohttp", "pyzmq", "msgpack", "ray", "vllm", "deepspeed", "flash-attn"]


def main() -> None:
    agent_error = None
    try:
        import still_rl.openrlhf.agent  # noqa: F401
    except Exception:
        agent_error = traceback.format_exc(limit=1).strip().splitlines()[-1]
    report(package_versions(PACKAGES), agent_error=agent_error)


if __name__ == "__main__":
    main()
