"""Element types shared by the emitter, the weights files and the runner.

Weft names element types as MLIR does (``f16``, ``bf16``, ``f32``, ``f64``,
``i32``, ``i64``); the runtime's manifest and C API use the same names. NumPy
has no bfloat16, so bf16 values travel as float32 arrays holding
bf16-representable numbers, and bf16 storage (files, runtime buffers) as
uint16 bit patterns: the upper half of the float32 bits.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import numpy as np

DType = Literal["f16", "bf16", "f32", "f64", "i32", "i64"]
FloatDType = Literal["f16", "bf16", "f32", "f64"]

ALL_DTYPES: Final[tuple[str, ...]] = get_args(DType)
FLOAT_DTYPES: Final[tuple[str, ...]] = get_args(FloatDType)
INT_DTYPES: Final[tuple[str, ...]] = ("i32", "i64")

# How each element type is stored in memory (bf16 as its raw bits).
_STORAGE: Final[dict[str, np.dtype]] = {
    "f16": np.dtype("<f2"),
    "bf16": np.dtype("<u2"),
    "f32": np.dtype("<f4"),
    "f64": np.dtype("<f8"),
    "i32": np.dtype("<i4"),
    "i64": np.dtype("<i8"),
}

# The NumPy type that holds the values of each element type exactly.
_VALUE: Final[dict[str, np.dtype]] = {**_STORAGE, "bf16": np.dtype("<f4")}


def check_dtype(dtype: str) -> str:
    """Returns ``dtype`` if it is a Weft element type name, else raises."""
    if dtype not in ALL_DTYPES:
        raise ValueError(f"unknown element type {dtype!r}; expected one of {', '.join(ALL_DTYPES)}")
    return dtype


def storage_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype of the raw little-endian storage of ``dtype``."""
    return _STORAGE[check_dtype(dtype)]


def value_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype that holds values of ``dtype`` exactly (bf16: float32)."""
    return _VALUE[check_dtype(dtype)]


def itemsize(dtype: str) -> int:
    """Bytes per element of ``dtype``."""
    return storage_dtype(dtype).itemsize


def from_numpy(dtype: np.dtype | type) -> str:
    """The Weft element type of a NumPy dtype (uint16 is not bf16 here)."""
    dt = np.dtype(dtype)
    for name in ("f16", "f32", "f64", "i32", "i64"):
        if dt == _STORAGE[name]:
            return name
    raise ValueError(f"NumPy dtype {dt} has no Weft element type")


def conversion_error(values: np.ndarray, dtype: str) -> str | None:
    """Why ``values`` cannot become ``dtype``, or None when they can.

    The one rule the emitter's constants, the weights writer and the runner
    share: floating-point values become any float type (a uint16 array
    becomes bf16 as bit patterns), integers an integer type that holds every
    one of them; never float to integer or integer to float. Callers raise
    their own error, prefixed with what the values are for.
    """
    a = np.asarray(values)
    if check_dtype(dtype) in FLOAT_DTYPES:
        if np.issubdtype(a.dtype, np.floating) or (dtype == "bf16" and a.dtype == np.uint16):
            return None
        return f"expected floating-point values for {dtype}, got {a.dtype}"
    if not np.issubdtype(a.dtype, np.integer):
        return f"expected integer values for {dtype}, got {a.dtype}"
    info = np.iinfo(_STORAGE[dtype])
    if a.size:
        low, high = a.min(), a.max()
        if low < info.min or high > info.max:
            found = low if low < info.min else high
            return f"value {found} outside the {dtype} range [{info.min}, {info.max}]"
    return None


def float_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """bf16 bit patterns of ``x`` (converted to float32 first).

    Rounds to nearest, ties to even, on the upper 16 bits of the float32
    pattern, as PyTorch and Hugging Face do; NaNs stay (quiet) NaNs, and
    values past the largest bf16 become infinities.
    """
    x = np.asarray(x, dtype=np.float32)
    bits = np.ascontiguousarray(x).view(np.uint32).astype(np.uint64)
    rounding = np.uint64(0x7FFF) + ((bits >> np.uint64(16)) & np.uint64(1))
    rounded = ((bits + rounding) >> np.uint64(16)).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        sign = ((bits >> np.uint64(16)) & np.uint64(0x8000)).astype(np.uint16)
        rounded = np.where(nan, sign | np.uint16(0x7FC0), rounded)
    return rounded.astype(np.uint16).reshape(x.shape)


def bf16_bits_to_float(bits: np.ndarray) -> np.ndarray:
    """float32 values of bf16 bit patterns (exact)."""
    b = np.asarray(bits, dtype=np.uint16)
    return (b.astype(np.uint32) << np.uint32(16)).view(np.float32).reshape(b.shape)


def round_to_dtype(x: np.ndarray, dtype: str) -> np.ndarray:
    """``x`` rounded to ``dtype``, held in ``value_dtype(dtype)``.

    Used so that references compute on exactly the numbers a weights file
    stores.
    """
    check_dtype(dtype)
    if dtype == "bf16":
        return bf16_bits_to_float(float_to_bf16_bits(x))
    return np.asarray(x).astype(_VALUE[dtype])


def to_storage(x: np.ndarray, dtype: str) -> np.ndarray:
    """``x`` as contiguous little-endian storage of ``dtype`` (bf16 as bits).

    A uint16 array passed for bf16 is taken as bit patterns already. The
    shape is kept, rank 0 included.
    """
    check_dtype(dtype)
    a = np.asarray(x)
    if dtype == "bf16":
        out = a if a.dtype == np.uint16 else float_to_bf16_bits(a)
    else:
        out = a.astype(_STORAGE[dtype], copy=False)
    return np.ascontiguousarray(out).reshape(a.shape)


def from_storage(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Values of raw storage of ``dtype``: bf16 bits become float32."""
    if check_dtype(dtype) == "bf16":
        return bf16_bits_to_float(raw)
    return np.asarray(raw).view(_STORAGE[dtype])
