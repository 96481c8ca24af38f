"""Payload codec: msgpack with numpy arrays as extension type NDARRAY_EXT (mirror of src/bridge/codec.ts).

Arrays of OUT_OF_BAND_BYTES or more travel as their own ZeroMQ frame: encoding hands out a memoryview of the
array (no copy) and decoding wraps the received frame's buffer with ``np.frombuffer`` (no copy). Decoded
arrays are therefore read-only views; call ``.copy()`` before writing into one.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from .protocol import DTYPES, NDARRAY_EXT, OUT_OF_BAND_BYTES

_NUMPY_DTYPES = {name: np.dtype(name).newbyteorder("<") for name in DTYPES}


def _wire_dtype(dtype: np.dtype) -> str:
    name = "bool" if dtype == np.bool_ else dtype.newbyteorder("=").name
    if name not in _NUMPY_DTYPES:
        raise TypeError(f"bridge codec: dtype {dtype} cannot cross the bridge (supported: {', '.join(DTYPES)})")
    return name


def encode_payload(value: Any) -> tuple[bytes, list[memoryview]]:
    """Encode a payload; returns the msgpack bytes and the out-of-band buffers it references."""
    buffers: list[memoryview] = []

    def default(obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            if obj.ndim == 0:
                return obj.item()
            dtype = _wire_dtype(obj.dtype)
            arr = np.ascontiguousarray(obj, dtype=_NUMPY_DTYPES[dtype])
            shape = list(arr.shape)
            if arr.nbytes >= OUT_OF_BAND_BYTES:
                buffers.append(memoryview(arr).cast("B"))
                ref: Any = len(buffers) - 1
            else:
                ref = arr.tobytes()
            return msgpack.ExtType(NDARRAY_EXT, msgpack.packb([dtype, shape, ref]))
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, tuple):
            return list(obj)
        raise TypeError(f"bridge codec: cannot encode {type(obj).__name__}")

    return msgpack.packb(value, default=default, use_bin_type=True, strict_types=False), buffers


def decode_payload(payload: Any, buffers: list[Any]) -> Any:
    """Decode a payload whose out-of-band arrays are ``buffers`` (bytes-like: zmq frames' buffers)."""

    def ext_hook(code: int, data: bytes) -> Any:
        if code != NDARRAY_EXT:
            raise ValueError(f"unknown msgpack extension type {code}")
        parts = msgpack.unpackb(data, raw=False)
        if not (isinstance(parts, list) and len(parts) == 3):
            raise ValueError("ndarray: expected [dtype, shape, data]")
        dtype, shape, ref = parts
        if dtype not in _NUMPY_DTYPES:
            raise ValueError(f"ndarray: unknown dtype {dtype!r}")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise ValueError("ndarray: shape must be a list of non-negative integers")
        if isinstance(ref, int):
            if not 0 <= ref < len(buffers):
                raise ValueError(f"ndarray: buffer {ref} is not among the {len(buffers)} frames")
            raw = buffers[ref]
        elif isinstance(ref, bytes):
            raw = ref
        else:
            raise ValueError("ndarray: data must be a buffer index or bytes")
        np_dtype = _NUMPY_DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64))
        if memoryview(raw).nbytes != count * np_dtype.itemsize:
            raise ValueError(f"ndarray: {memoryview(raw).nbytes} bytes do not hold {shape} of {dtype}")
        return np.frombuffer(raw, dtype=np_dtype, count=count).reshape(shape)

    return msgpack.unpackb(payload, ext_hook=ext_hook, raw=False, strict_map_key=False)


def encode_plain(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def decode_plain(data: Any) -> Any:
    return msgpack.unpackb(data, raw=False)
