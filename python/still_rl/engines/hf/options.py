"""The option payloads of the engine's operations: mirrors of src/engines/options.ts (the source of truth).

Field names are the TS names in snake_case; `from_wire` converts a camelCase payload by that rule, so no rename
table is kept by hand. test/bridge/drift.test.ts compares ``describe()`` with the zod schemas. No torch import:
the drift test reads this module in plain Python.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Any

# veRL's actor optimizer default.
ADAMW_WEIGHT_DECAY = 0.01


@dataclass(frozen=True)
class SamplingParams:
    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 64
    stop: tuple[str, ...] = ()
    seed: int = 0
    return_logprobs: bool = False

    def validate(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if self.max_new_tokens < 0:
            raise ValueError(f"maxNewTokens must be >= 0, got {self.max_new_tokens}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"topP must be in (0, 1], got {self.top_p}")
        if any(not s for s in self.stop):
            raise ValueError("stop strings must not be empty")


@dataclass(frozen=True)
class UpdateOptions:
    lr: float
    clip_ratio_low: float = 0.2
    clip_ratio_high: float = 0.2
    kl_coef: float = 0.0
    kl_estimator: str = "low_var_kl"
    entropy_coef: float = 0.0
    loss_aggregation: str = "token-mean"
    max_grad_norm: float = 1.0
    weight_decay: float = ADAMW_WEIGHT_DECAY
    mini_batch_size: int = 0  # 0: the whole batch
    epochs: int = 1
    seed: int = 0
    temperature: float = 1.0


@dataclass(frozen=True)
class SftOptions:
    lr: float
    max_grad_norm: float = 1.0
    weight_decay: float = ADAMW_WEIGHT_DECAY
    mini_batch_size: int = 0


PAYLOADS = {"SamplingParams": SamplingParams, "UpdateOptions": UpdateOptions, "SftOptions": SftOptions}


def snake(name: str) -> str:
    """`maxNewTokens` -> `max_new_tokens`: the one rule between the wire's names and these fields."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def from_wire(cls: type, value: Any, where: str) -> Any:
    """Build `cls` from a camelCase payload; an unset optional field (TS `undefined` arrives as nil) keeps its default."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(k for k in value if "_" in k or snake(k) not in names)
    if unknown:
        raise ValueError(f"{where}: unknown option(s) {', '.join(unknown)}")
    kwargs = {snake(k): v for k, v in value.items() if v is not None}
    if "stop" in kwargs:
        kwargs["stop"] = tuple(kwargs["stop"])
    return cls(**kwargs)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (tuple, list):
        return f"list[{_type_name(typing.get_args(hint)[0])}]"
    return hint.__name__


def describe() -> dict:
    """These payloads and the loss registries' names, in the form the drift test compares with the zod schemas."""
    from . import losses  # torch: only the drift test calls this

    return {
        "payloads": {
            name: {
                f.name: {
                    "type": _type_name(typing.get_type_hints(cls)[f.name]),
                    "default": f.default is not dataclasses.MISSING,
                }
                for f in dataclasses.fields(cls)
            }
            for name, cls in PAYLOADS.items()
        },
        "klEstimators": list(losses.KL_ESTIMATORS),
        "lossAggregations": list(losses.LOSS_AGGREGATIONS),
    }
