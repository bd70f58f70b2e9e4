"""Reader and writer of ``.safetensors`` files, in NumPy alone.

The format (https://huggingface.co/docs/safetensors): an unsigned 64-bit
little-endian header size ``N``, ``N`` bytes of JSON mapping each tensor name
to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative to
the end of the header) plus an optional ``"__metadata__"`` string map, then
the raw little-endian data. Like Hugging Face's writer, this one pads the
header with spaces so that the data starts 8-byte aligned, and lays tensors
out back to back in the order given.

bf16 is written from float values by round-to-nearest-even on the upper 16
bits of their float32 patterns (``weft.dtypes.float_to_bf16_bits``) and
read back as float32, which holds every bf16 exactly.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np

from weft.dtypes import (check_dtype, conversion_error, from_numpy, from_storage, itemsize, storage_dtype,
                         to_storage)
from weft.fileutil import atomic_write

# Weft element type <-> safetensors dtype string.
_TO_ST: Final[dict[str, str]] = {"f16": "F16", "bf16": "BF16", "f32": "F32", "f64": "F64",
                                 "i32": "I32", "i64": "I64"}
_FROM_ST: Final[dict[str, str]] = {v: k for k, v in _TO_ST.items()}

# Largest header accepted, as in Hugging Face's reader (100 MB).
MAX_HEADER_BYTES: Final[int] = 100_000_000


class SafetensorsError(ValueError):
    """A file is not a valid ``.safetensors`` file this module can read."""


@dataclass(frozen=True)
class TensorInfo:
    """One header entry: element type (Weft name), shape and byte range."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def save_file(tensors: Mapping[str, np.ndarray], path: str | os.PathLike[str], *,
              dtypes: str | Mapping[str, str] | None = None,
              metadata: Mapping[str, str] | None = None) -> None:
    """Writes ``tensors`` to ``path`` atomically (temporary file, then rename).

    ``dtypes`` picks stored element types (Weft names: ``"bf16"``...): one
    name applies to every floating-point tensor, a mapping to the tensors it
    names; otherwise each array's own dtype is kept. A uint16 array is taken
    as bf16 bit patterns when its stored type is bf16.
    """
    entries: list[tuple[str, str, np.ndarray]] = []
    for name, array in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError(f"invalid tensor name {name!r}")
        a = np.asarray(array)
        dtype = _stored_dtype(name, a, dtypes)
        entries.append((name, dtype, _convert(name, a, dtype)))

    header: dict[str, object] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("safetensors metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, dtype, data in entries:
        header[name] = {"dtype": _TO_ST[dtype], "shape": list(data.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(len(text) + 8) % 8)

    def write(f: BinaryIO) -> None:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, data in entries:
            f.write(data.reshape(-1).view(np.uint8).data)

    atomic_write(path, write)


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, TensorInfo], dict[str, str], int]:
    """The tensors' entries, the ``__metadata__`` map, and where data starts.

    Validates what the runtime validates: the header size against the
    file, each dtype and shape, offsets in bounds, back to back without
    overlap, and byte counts equal to shape times element size.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise SafetensorsError(f"{path}: file of {size} bytes is too short for a safetensors header")
        (n,) = struct.unpack("<Q", raw)
        if n > MAX_HEADER_BYTES or 8 + n > size:
            raise SafetensorsError(f"{path}: header size {n} exceeds the file size {size}")
        text = f.read(n)
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: expected a JSON object header")

    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError(f"{path}: expected __metadata__ to map strings to strings")
    data_start, data_size = 8 + n, size - 8 - n
    infos: dict[str, TensorInfo] = {}
    for name, entry in header.items():
        infos[name] = _parse_entry(path, name, entry, data_size)
    # Offsets must tile the data region in order, with no gaps or overlaps.
    cursor = 0
    for info in sorted(infos.values(), key=lambda i: (i.begin, i.end)):
        if info.begin != cursor:
            raise SafetensorsError(f"{path}: tensor {info.name!r} starts at {info.begin}, expected {cursor}")
        cursor = info.end
    if cursor != data_size:
        raise SafetensorsError(f"{path}: tensors cover {cursor} bytes of data, the file has {data_size}")
    return infos, dict(metadata), data_start


def load_file(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every tensor of ``path``, in header order; bf16 tensors as float32."""
    return {name: array for name, (_, array) in load_file_with_dtypes(path).items()}


def load_file_with_dtypes(path: str | os.PathLike[str]) -> dict[str, tuple[str, np.ndarray]]:
    """Every tensor of ``path`` with its stored element type (Weft name)."""
    infos, _, start = read_header(path)
    out: dict[str, tuple[str, np.ndarray]] = {}
    with open(path, "rb") as f:
        for name, info in infos.items():
            f.seek(start + info.begin)
            raw = np.frombuffer(f.read(info.end - info.begin), dtype=np.uint8)
            values = from_storage(raw.view(storage_dtype(info.dtype)), info.dtype)
            out[name] = (info.dtype, values.reshape(info.shape).copy())
    return out


def _parse_entry(path: Path, name: str, entry: object, data_size: int) -> TensorInfo:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise SafetensorsError(f"{path}: tensor {name!r}: expected keys dtype, shape, data_offsets")
    st_dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if st_dtype not in _FROM_ST:
        raise SafetensorsError(f"{path}: tensor {name!r}: unsupported dtype {st_dtype!r}; "
                               f"expected one of {', '.join(_FROM_ST)}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise SafetensorsError(f"{path}: tensor {name!r}: invalid shape {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_size):
        raise SafetensorsError(f"{path}: tensor {name!r}: data offsets {offsets!r} outside the "
                               f"{data_size} bytes of data")
    dtype = _FROM_ST[st_dtype]
    expected = math.prod(shape) * itemsize(dtype)
    if offsets[1] - offsets[0] != expected:
        raise SafetensorsError(f"{path}: tensor {name!r}: {offsets[1] - offsets[0]} bytes for shape "
                               f"{shape} {st_dtype}, expected {expected}")
    return TensorInfo(name, dtype, tuple(shape), offsets[0], offsets[1])


def _stored_dtype(name: str, a: np.ndarray, dtypes: str | Mapping[str, str] | None) -> str:
    if isinstance(dtypes, str):
        # One type applies to floating-point arrays (and to uint16 bit
        # patterns when it is bf16); integer tensors keep theirs.
        is_float = np.issubdtype(a.dtype, np.floating) or (dtypes == "bf16" and a.dtype == np.uint16)
        chosen = check_dtype(dtypes) if is_float else None
    elif dtypes is not None:
        chosen = check_dtype(dtypes[name]) if name in dtypes else None
    else:
        chosen = None
    if chosen is not None:
        return chosen
    if a.dtype == np.uint16:
        raise ValueError(f"tensor {name!r}: uint16 arrays are stored only as bf16 bit patterns; pass dtypes")
    try:
        return from_numpy(a.dtype)
    except ValueError:
        raise ValueError(f"tensor {name!r}: no safetensors dtype for NumPy {a.dtype}") from None


def _convert(name: str, a: np.ndarray, dtype: str) -> np.ndarray:
    """``a`` as contiguous storage of ``dtype``, refusing lossy kind changes."""
    if (why := conversion_error(a, dtype)) is not None:
        raise ValueError(f"tensor {name!r}: {why}")
    return to_storage(a, dtype)
