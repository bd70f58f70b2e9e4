"""Runs compiled ``.weft`` artifacts from Python through the runtime's C API.

A thin ctypes layer over ``runtime/include/weft/runtime.h``: every call
that returns a ``weft_status_t`` is checked, and a failure raises
``WeftError`` carrying the runtime's own message (which names the file,
tensor and expected value). Argument checking is left to the runtime, so
that Python reports exactly what the C API would; Python only converts
arrays to the manifest's element types (float to float of any width, int to
int within range, never float to int).

The library is found at ``$WEFT_RUNTIME_LIB``, else
``$WEFT_BUILD_DIR/lib/libweft_runtime.so``, else
``<repo>/build/lib/libweft_runtime.so``.

Example::

    with Module("model.weft") as m:
        (logits,) = m.run("forward", inputs={"input_ids": ids},
                          weights="weights.safetensors")
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from collections.abc import Mapping, Sequence
from ctypes import POINTER, c_char_p, c_int, c_int64, c_size_t, c_void_p
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Union

import numpy as np

from weft.dtypes import check_dtype, conversion_error, from_numpy, from_storage, storage_dtype, to_storage
from weft.safetensors import read_header

# weft_dtype_t and weft_role_t, in the header's order.
DTYPE_CODES: Final[dict[str, int]] = {"f16": 0, "bf16": 1, "f32": 2, "f64": 3, "i32": 4, "i64": 5}
DTYPE_NAMES: Final[dict[int, str]] = {v: k for k, v in DTYPE_CODES.items()}
ROLE_NAMES: Final[dict[int, str]] = {0: "input", 1: "weight"}
MAX_RANK: Final[int] = 16

_REPO_ROOT: Final[Path] = Path(__file__).resolve().parents[2]

ArrayLike = Any
WeightsSource = Union[Mapping[str, ArrayLike], str, os.PathLike]


class WeftError(RuntimeError):
    """A runtime call failed; the message is the runtime's, or names what Python rejected."""


# -- Library -----------------------------------------------------------------------------------


def find_library() -> Path:
    """Where the runtime library is expected (it may not exist)."""
    if lib := os.environ.get("WEFT_RUNTIME_LIB"):
        return Path(lib)
    if build := os.environ.get("WEFT_BUILD_DIR"):
        return Path(build) / "lib" / "libweft_runtime.so"
    return _REPO_ROOT / "build" / "lib" / "libweft_runtime.so"


class _ValueInfo(ctypes.Structure):
    """``weft_value_info_t``, field for field: the runtime writes a whole one
    (48 bytes) through the pointer it is given."""

    _fields_ = [
        ("name", c_char_p),
        ("role", c_int),
        ("dtype", c_int),
        ("rank", c_int64),
        ("shape", POINTER(c_int64)),
        ("index_bound", c_int64),
        ("local_shape", POINTER(c_int64)),
    ]


_status = c_void_p
_handle = c_void_p

# name: (restype, argtypes), exactly as declared in runtime.h.
_PROTOTYPES: Final[dict[str, tuple[Any, list[Any]]]] = {
    "weft_status_message": (c_char_p, [_status]),
    "weft_status_free": (None, [_status]),
    "weft_dtype_name": (c_char_p, [c_int]),
    "weft_dtype_size": (c_size_t, [c_int]),
    "weft_dtype_parse": (_status, [c_char_p, POINTER(c_int)]),
    "weft_tensor_create": (_status, [c_int, c_int64, POINTER(c_int64), POINTER(_handle)]),
    "weft_tensor_free": (None, [_handle]),
    "weft_tensor_dtype": (c_int, [_handle]),
    "weft_tensor_rank": (c_int64, [_handle]),
    "weft_tensor_shape": (POINTER(c_int64), [_handle]),
    "weft_tensor_num_elements": (c_int64, [_handle]),
    "weft_tensor_num_bytes": (c_size_t, [_handle]),
    "weft_tensor_data": (c_void_p, [_handle]),
    "weft_tensor_read_npy": (_status, [c_char_p, POINTER(_handle)]),
    "weft_tensor_write_npy": (_status, [_handle, c_char_p]),
    "weft_tensor_parse": (_status, [c_char_p, POINTER(_handle)]),
    "weft_safetensors_open": (_status, [c_char_p, POINTER(_handle)]),
    "weft_safetensors_close": (None, [_handle]),
    "weft_safetensors_count": (c_size_t, [_handle]),
    "weft_safetensors_name": (c_char_p, [_handle, c_size_t]),
    "weft_safetensors_read": (_status, [_handle, c_char_p, _handle]),
    "weft_module_open": (_status, [c_char_p, POINTER(_handle)]),
    "weft_module_close": (None, [_handle]),
    "weft_module_target": (c_char_p, [_handle]),
    "weft_module_manifest": (c_char_p, [_handle]),
    "weft_module_function_count": (c_size_t, [_handle]),
    "weft_module_function_name": (c_char_p, [_handle, c_size_t]),
    "weft_module_lookup": (_status, [_handle, c_char_p, POINTER(c_size_t)]),
    "weft_function_argument_count": (c_size_t, [_handle, c_size_t]),
    "weft_function_result_count": (c_size_t, [_handle, c_size_t]),
    "weft_function_argument": (None, [_handle, c_size_t, c_size_t, POINTER(_ValueInfo)]),
    "weft_function_result": (None, [_handle, c_size_t, c_size_t, POINTER(_ValueInfo)]),
    "weft_module_invoke": (_status, [_handle, c_size_t, POINTER(_handle), c_size_t, POINTER(_handle), c_size_t]),
}


class Runtime:
    """The loaded runtime library with typed entry points.

    One instance per library path is shared (``Runtime.load``); the C API's
    own thread-safety rules apply to the handles it returns.
    """

    _cache: dict[Path, Runtime] = {}
    _lock = threading.Lock()

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise WeftError(f"runtime library not found at {self.path}; build it (libweft_runtime.so) or set "
                            f"WEFT_RUNTIME_LIB / WEFT_BUILD_DIR")
        try:
            self.lib = ctypes.CDLL(str(self.path))
        except OSError as e:
            raise WeftError(f"cannot load runtime library {self.path}: {e}") from None
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                fn = getattr(self.lib, name)
            except AttributeError:
                raise WeftError(f"runtime library {self.path} does not export {name}") from None
            fn.restype = restype
            fn.argtypes = argtypes

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Runtime:
        """The shared instance for ``path`` (default: ``find_library()``)."""
        p = Path(path) if path is not None else find_library()
        with cls._lock:
            if p not in cls._cache:
                cls._cache[p] = cls(p)
            return cls._cache[p]

    def check(self, status: int | None) -> None:
        """Raises ``WeftError`` with the status's message if ``status`` is not NULL; frees it."""
        if not status:
            return
        try:
            msg = self.lib.weft_status_message(status)
            text = msg.decode("utf-8", "replace") if msg else "unknown runtime error (no message)"
        finally:
            self.lib.weft_status_free(status)
        raise WeftError(text)

    def dtype_name(self, dtype: str) -> str:
        """The runtime's name for ``dtype`` (checks both sides agree on the enum)."""
        return self.lib.weft_dtype_name(DTYPE_CODES[check_dtype(dtype)]).decode()

    def dtype_size(self, dtype: str) -> int:
        return int(self.lib.weft_dtype_size(DTYPE_CODES[check_dtype(dtype)]))

    def dtype_parse(self, name: str) -> str:
        """The element type the runtime parses ``name`` as."""
        code = c_int()
        self.check(self.lib.weft_dtype_parse(name.encode(), ctypes.byref(code)))
        return DTYPE_NAMES[code.value]


# -- Tensors ----------------------------------------------------------------------------------


class Tensor:
    """An owned ``weft_tensor_t`` (freed on ``close``, exit or collection)."""

    def __init__(self, runtime: Runtime, handle: int) -> None:
        self.runtime = runtime
        self.handle: int | None = handle

    @classmethod
    def empty(cls, runtime: Runtime, dtype: str, shape: Sequence[int]) -> Tensor:
        """A zero-filled tensor of ``dtype`` and ``shape``."""
        if len(shape) > MAX_RANK:
            raise WeftError(f"rank {len(shape)} exceeds the runtime's maximum {MAX_RANK}")
        dims = (c_int64 * max(len(shape), 1))(*shape)
        out = _handle()
        runtime.check(runtime.lib.weft_tensor_create(DTYPE_CODES[dtype], len(shape), dims, ctypes.byref(out)))
        return cls(runtime, out.value)

    @classmethod
    def from_numpy(cls, runtime: Runtime, storage: np.ndarray, dtype: str) -> Tensor:
        """A copy of ``storage`` (already in ``dtype``'s storage layout)."""
        t = cls.empty(runtime, dtype, storage.shape)
        try:
            n = t.num_bytes
            if n != storage.nbytes:
                raise WeftError(f"runtime allocated {n} bytes for {storage.nbytes} bytes of {dtype} data")
            if n:
                ctypes.memmove(t.data, storage.ctypes.data, n)
        except BaseException:
            t.close()
            raise
        return t

    @property
    def _h(self) -> int:
        if self.handle is None:
            raise WeftError("tensor already freed")
        return self.handle

    @property
    def dtype(self) -> str:
        return DTYPE_NAMES[self.runtime.lib.weft_tensor_dtype(self._h)]

    @property
    def shape(self) -> tuple[int, ...]:
        rank = self.runtime.lib.weft_tensor_rank(self._h)
        dims = self.runtime.lib.weft_tensor_shape(self._h)
        return tuple(int(dims[i]) for i in range(rank))

    @property
    def num_bytes(self) -> int:
        return int(self.runtime.lib.weft_tensor_num_bytes(self._h))

    @property
    def data(self) -> int:
        return int(self.runtime.lib.weft_tensor_data(self._h) or 0)

    def to_numpy(self) -> np.ndarray:
        """A copy of the values (bf16 as float32)."""
        dtype, shape, n = self.dtype, self.shape, self.num_bytes
        raw = np.empty(n, dtype=np.uint8)
        if n:
            ctypes.memmove(raw.ctypes.data, self.data, n)
        return from_storage(raw.view(storage_dtype(dtype)), dtype).reshape(shape)

    def close(self) -> None:
        if self.handle is not None:
            self.runtime.lib.weft_tensor_free(self.handle)
            self.handle = None

    def __enter__(self) -> Tensor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def to_argument_storage(value: ArrayLike, dtype: str, name: str) -> np.ndarray:
    """``value`` as contiguous storage of the manifest's ``dtype``, shape kept.

    Floats convert to any float type (bf16 by round-to-nearest-even; a
    uint16 array is taken as bf16 bits), integers to either integer type
    when every value fits. Anything else raises ``WeftError`` naming the
    argument. The shape is the runtime's to check.
    """
    a = np.asarray(value)
    if (why := conversion_error(a, dtype)) is not None:
        raise WeftError(f"argument {name!r}: {why}")
    return to_storage(a, dtype)


# -- Modules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueInfo:
    """An argument or result as the manifest describes it.

    ``local_shape`` is the slice each device holds of an argument that a
    partitioned module splits over its mesh, ``None`` when every device
    holds the whole value.
    """

    name: str
    role: str
    dtype: str
    shape: tuple[int, ...]
    index_bound: int | None
    local_shape: tuple[int, ...] | None = None


@dataclass(frozen=True)
class FunctionInfo:
    """An entry function: its index in the module and its signature."""

    name: str
    index: int
    arguments: tuple[ValueInfo, ...]
    results: tuple[ValueInfo, ...]

    @property
    def inputs(self) -> tuple[ValueInfo, ...]:
        return tuple(a for a in self.arguments if a.role == "input")

    @property
    def weights(self) -> tuple[ValueInfo, ...]:
        return tuple(a for a in self.arguments if a.role == "weight")


def _value_info(info: _ValueInfo) -> ValueInfo:
    rank = int(info.rank)
    shape = tuple(int(info.shape[i]) for i in range(rank))
    local_shape = tuple(int(info.local_shape[i]) for i in range(rank)) if info.local_shape else shape
    return ValueInfo(
        name=info.name.decode("utf-8") if info.name else "",
        role=ROLE_NAMES.get(info.role, f"role{info.role}"),
        dtype=DTYPE_NAMES.get(info.dtype, f"dtype{info.dtype}"),
        shape=shape,
        index_bound=None if info.index_bound < 0 else int(info.index_bound),
        local_shape=None if local_shape == shape else local_shape,
    )


def bind_inputs(fn: FunctionInfo, inputs: Mapping[str, ArrayLike] | Sequence[ArrayLike] | None
                ) -> dict[str, ArrayLike]:
    """``inputs`` by name: a mapping is checked against ``fn``'s inputs, a
    sequence (or a single array) taken in manifest order."""
    names = [a.name for a in fn.inputs]
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]  # one array is one input, not a sequence of rows
    if inputs is None:
        given: dict[str, ArrayLike] = {}
    elif isinstance(inputs, Mapping):
        given = dict(inputs)
        unknown = [n for n in given if n not in names]
        if unknown:
            raise WeftError(f"function {fn.name!r} has no input {unknown[0]!r}; its inputs are {names}")
    else:
        seq = list(inputs)
        if len(seq) != len(names):
            raise WeftError(f"function {fn.name!r} takes {len(names)} inputs {names}, got {len(seq)}")
        given = dict(zip(names, seq))
    missing = [n for n in names if n not in given]
    if missing:
        raise WeftError(f"function {fn.name!r}: missing input {missing[0]!r}")
    return given


class Module:
    """An opened ``.weft`` artifact.

    ``functions`` maps each entry function's name to its ``FunctionInfo``.
    Close it (or use it as a context manager) to unload its host code.
    """

    def __init__(self, path: str | os.PathLike[str], runtime: Runtime | None = None) -> None:
        self.runtime = runtime or Runtime.load()
        self.path = Path(path)
        out = _handle()
        self.runtime.check(self.runtime.lib.weft_module_open(os.fsencode(self.path), ctypes.byref(out)))
        self.handle: int | None = out.value
        try:
            self._read_signatures()
        except BaseException:
            self.close()
            raise

    def _read_signatures(self) -> None:
        lib, h = self.runtime.lib, self._h
        self.target: str = lib.weft_module_target(h).decode()
        self.manifest_text: str = lib.weft_module_manifest(h).decode("utf-8")
        self.functions: dict[str, FunctionInfo] = {}
        for fn in range(lib.weft_module_function_count(h)):
            name = lib.weft_module_function_name(h, fn).decode("utf-8")
            args, results = [], []
            for i in range(lib.weft_function_argument_count(h, fn)):
                info = _ValueInfo()
                lib.weft_function_argument(h, fn, i, ctypes.byref(info))
                args.append(_value_info(info))
            for i in range(lib.weft_function_result_count(h, fn)):
                info = _ValueInfo()
                lib.weft_function_result(h, fn, i, ctypes.byref(info))
                results.append(_value_info(info))
            self.functions[name] = FunctionInfo(name, fn, tuple(args), tuple(results))

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest, parsed."""
        return json.loads(self.manifest_text)

    @property
    def _h(self) -> int:
        if self.handle is None:
            raise WeftError(f"module {self.path} is closed")
        return self.handle

    def function(self, name: str) -> FunctionInfo:
        """The named function, looked up by the runtime (its error lists the functions)."""
        index = c_size_t()
        self.runtime.check(self.runtime.lib.weft_module_lookup(self._h, name.encode("utf-8"), ctypes.byref(index)))
        for fn in self.functions.values():
            if fn.index == index.value:
                return fn
        raise WeftError(f"runtime returned function index {index.value} for {name!r}, out of range")

    def run(self, function: str = "forward",
            inputs: Mapping[str, ArrayLike] | Sequence[ArrayLike] | None = None,
            weights: WeightsSource | None = None) -> list[np.ndarray]:
        """Runs ``function`` and returns its results (bf16 ones as float32).

        ``inputs`` maps input names to arrays, or lists them in manifest
        order. ``weights`` is a mapping from weight names to arrays (extra
        entries are ignored) or the path of a ``.safetensors`` file, read by
        the runtime itself.
        """
        fn = self.function(function)
        given = bind_inputs(fn, inputs)
        if fn.weights and weights is None:
            raise WeftError(f"function {fn.name!r} takes {len(fn.weights)} weights; pass weights=")
        rt = self.runtime
        owned: list[Tensor] = []  # every tensor created here, freed on the way out
        st_file: int | None = None
        try:
            args: list[Tensor] = []
            for a in fn.arguments:
                if a.role == "input" or isinstance(weights, Mapping):
                    source = given if a.role == "input" else weights
                    if a.name not in source:  # type: ignore[operator]
                        raise WeftError(f"function {fn.name!r}: missing weight {a.name!r}")
                    storage = to_argument_storage(source[a.name], a.dtype, a.name)  # type: ignore[index]
                    owned.append(Tensor.from_numpy(rt, storage, a.dtype))
                else:
                    # A weights file: the runtime reads each tensor into one of
                    # the manifest's type and checks the file's against it.
                    if st_file is None:
                        st_file = _open_safetensors(rt, weights)  # type: ignore[arg-type]
                    owned.append(Tensor.empty(rt, a.dtype, a.shape))
                    rt.check(rt.lib.weft_safetensors_read(st_file, a.name.encode("utf-8"), owned[-1].handle))
                args.append(owned[-1])
            results: list[Tensor] = []
            for r in fn.results:
                owned.append(Tensor.empty(rt, r.dtype, r.shape))
                results.append(owned[-1])
            arg_arr = (_handle * max(len(args), 1))(*[t.handle for t in args])
            res_arr = (_handle * max(len(results), 1))(*[t.handle for t in results])
            rt.check(rt.lib.weft_module_invoke(self._h, fn.index, arg_arr, len(args), res_arr, len(results)))
            return [t.to_numpy() for t in results]
        finally:
            for t in owned:
                t.close()
            if st_file is not None:
                rt.lib.weft_safetensors_close(st_file)

    def close(self) -> None:
        if self.handle is not None:
            self.runtime.lib.weft_module_close(self.handle)
            self.handle = None

    def __enter__(self) -> Module:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "handle", None) is not None:
            self.close()


# -- Files through the runtime (to check its readers against NumPy's) ---------------------------


def _open_safetensors(rt: Runtime, path: str | os.PathLike[str]) -> int:
    out = _handle()
    rt.check(rt.lib.weft_safetensors_open(os.fsencode(path), ctypes.byref(out)))
    return out.value


def load_safetensors(path: str | os.PathLike[str], runtime: Runtime | None = None) -> dict[str, tuple[str, np.ndarray]]:
    """Every tensor of a ``.safetensors`` file as the runtime reads it: name -> (dtype, values)."""
    rt = runtime or Runtime.load()
    h = _open_safetensors(rt, path)
    try:
        out: dict[str, tuple[str, np.ndarray]] = {}
        names = [rt.lib.weft_safetensors_name(h, i).decode("utf-8") for i in range(rt.lib.weft_safetensors_count(h))]
        # The C API reads into a tensor of a given type and shape and has no
        # call that reports them, so they come from this package's reader
        # of the same header; the runtime checks that they match.
        infos, _, _ = read_header(path)
        for name in names:
            info = infos[name]
            with Tensor.empty(rt, info.dtype, info.shape) as t:
                rt.check(rt.lib.weft_safetensors_read(h, name.encode("utf-8"), t.handle))
                out[name] = (info.dtype, t.to_numpy())
        return out
    finally:
        rt.lib.weft_safetensors_close(h)


def read_npy(path: str | os.PathLike[str], runtime: Runtime | None = None) -> np.ndarray:
    """A ``.npy`` file as the runtime reads it."""
    rt = runtime or Runtime.load()
    out = _handle()
    rt.check(rt.lib.weft_tensor_read_npy(os.fsencode(path), ctypes.byref(out)))
    with Tensor(rt, out.value) as t:
        return t.to_numpy()


def write_npy(array: ArrayLike, path: str | os.PathLike[str], dtype: str | None = None,
              runtime: Runtime | None = None) -> None:
    """Writes ``array`` as ``.npy`` through the runtime (f16/f32/f64/i32/i64)."""
    rt = runtime or Runtime.load()
    a = np.asarray(array)
    dt = dtype or from_numpy(a.dtype)
    with Tensor.from_numpy(rt, to_argument_storage(a, dt, str(path)), dt) as t:
        rt.check(rt.lib.weft_tensor_write_npy(t.handle, os.fsencode(path)))


def parse_tensor(text: str, runtime: Runtime | None = None) -> np.ndarray:
    """A tensor literal (``"2x3xf32=[1 2 3][4 5 6]"``) as the runtime parses it."""
    rt = runtime or Runtime.load()
    out = _handle()
    rt.check(rt.lib.weft_tensor_parse(text.encode("utf-8"), ctypes.byref(out)))
    with Tensor(rt, out.value) as t:
        return t.to_numpy()


__all__ = ["FunctionInfo", "Module", "Runtime", "Tensor", "ValueInfo", "WeftError", "bind_inputs", "find_library",
           "load_safetensors", "parse_tensor", "read_npy", "to_argument_storage", "write_npy"]
