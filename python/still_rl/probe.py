"""The environment facts a framework venv's doctor module reports (``still_rl.verl.doctor``,
``still_rl.openrlhf.doctor``): package versions from metadata (nothing heavy imported) and the CUDA devices
torch sees, printed as one JSON line with the framework's own extra fields."""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def package_versions(names: list[str]) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def cuda_devices(torch_installed: bool) -> list[str]:
    if not torch_installed:
        return []
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def report(packages: dict[str, str | None], **extra: Any) -> None:
    probe = {"python": sys.version.split()[0], "packages": packages, **extra, "gpus": cuda_devices(bool(packages.get("torch")))}
    json.dump(probe, sys.stdout)
    sys.stdout.write("\n")
