"""Bridge wire protocol, version 1: a mirror of src/bridge/protocol.ts (the source of truth; see PROTOCOL.md).

test/bridge/drift.test.ts compares these dataclasses and constants with the zod schemas, so a change on one
side only fails the suite (it reads ``describe()``).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

PROTOCOL_VERSION = 1

KINDS = ("hello", "welcome", "request", "reply", "error", "cancel", "heartbeat", "bye")

ERROR_CODES = (
    "bad_message",
    "version_mismatch",
    "no_session",
    "duplicate_peer",
    "unknown_type",
    "handler_error",
    "deadline_exceeded",
    "cancelled",
    "shutdown",
)

NDARRAY_EXT = 17

DTYPES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "bool")

OUT_OF_BAND_BYTES = 16_384


@dataclass
class Envelope:
    v: int
    kind: str
    id: str
    type: str
    deadline: int


@dataclass
class Hello:
    role: str
    name: str
    pid: int
    protocol: int
    package: str
    handlers: list[str] = field(default_factory=list)


@dataclass
class Welcome:
    peer: str
    pid: int
    protocol: int
    package: str
    heartbeat: int
    timeout: int
    handlers: list[str] = field(default_factory=list)


@dataclass
class ErrorBody:
    code: str
    message: str
    detail: str = ""


@dataclass
class Cancel:
    reason: str


@dataclass
class Heartbeat:
    pass


@dataclass
class Bye:
    reason: str


CONTROL_PAYLOADS = {
    "hello": Hello,
    "welcome": Welcome,
    "error": ErrorBody,
    "cancel": Cancel,
    "heartbeat": Heartbeat,
    "bye": Bye,
}

_ENUMS = {(Envelope, "kind"): KINDS, (ErrorBody, "code"): ERROR_CODES}


class ProtocolError(ValueError):
    """A message that does not match the protocol."""


def _checker(hint: Any) -> Callable[[Any], bool]:
    if hint is int:
        return lambda v: type(v) is int
    if hint is str:
        return lambda v: type(v) is str
    if typing.get_origin(hint) is list:
        item = _checker(typing.get_args(hint)[0])
        return lambda v: type(v) is list and all(item(x) for x in v)
    raise TypeError(f"unsupported field type {hint!r}")


@functools.cache
def _schema(cls: type) -> tuple[frozenset[str], tuple[tuple[str, Callable[[Any], bool], str, tuple | None], ...]]:
    hints = typing.get_type_hints(cls)
    fields = tuple((f.name, _checker(hints[f.name]), _type_name(hints[f.name]), _ENUMS.get((cls, f.name))) for f in dataclasses.fields(cls))
    return frozenset(hints), fields


def from_wire(cls: type, value: Any) -> Any:
    """Validate a decoded msgpack map against a dataclass (exact keys, field types, enums) and build it."""
    if type(value) is not dict:
        raise ProtocolError(f"{cls.__name__}: expected a map, got {type(value).__name__}")
    names, fields = _schema(cls)
    if len(value) != len(names) or not names.issuperset(value):
        unknown = sorted(map(str, set(value) - names))
        missing = sorted(names - set(value))
        raise ProtocolError(f"{cls.__name__}: unknown fields {unknown}, missing fields {missing}")
    for name, check, type_name, allowed in fields:
        v = value[name]
        if not check(v):
            raise ProtocolError(f"{cls.__name__}.{name}: expected {type_name}")
        if allowed is not None and v not in allowed:
            raise ProtocolError(f"{cls.__name__}.{name}: {v!r} is not one of {allowed}")
    return cls(**value)


def to_wire(obj: Any) -> dict:
    return {name: getattr(obj, name) for name, _, _, _ in _schema(type(obj))[1]}


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is list:
        return f"list[{_type_name(typing.get_args(hint)[0])}]"
    return hint.__name__


def describe() -> dict:
    """This side's protocol shapes, in the form the drift test compares with the zod schemas."""
    classes = {"Envelope": Envelope, **{c.__name__: c for c in CONTROL_PAYLOADS.values()}}
    return {
        "version": PROTOCOL_VERSION,
        "kinds": list(KINDS),
        "errorCodes": list(ERROR_CODES),
        "dtypes": list(DTYPES),
        "ndarrayExt": NDARRAY_EXT,
        "outOfBandBytes": OUT_OF_BAND_BYTES,
        "controlPayloads": {kind: cls.__name__ for kind, cls in CONTROL_PAYLOADS.items()},
        "enums": {f"{cls.__name__}.{name}": list(values) for (cls, name), values in _ENUMS.items()},
        "messages": {
            name: {f: _type_name(h) for f, h in typing.get_type_hints(cls).items()} for name, cls in classes.items()
        },
    }
