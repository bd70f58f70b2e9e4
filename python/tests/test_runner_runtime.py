"""The runner against the real libweft_runtime.so and artifacts from weft-compile.

Covers the runtime's readers against this package's writers (safetensors,
npy, tensor literals); a small module compiled from ``weft.mlir`` (every
element type, a rank-0 input, an integer result, an index bound) run
through ``Module.run`` with the runner's conversions, its error messages,
and a check that every handle the runtime gives out is released; and tiny
GPT-2 and Llama compiled and run against the NumPy reference.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import REPO_ROOT, compiler_diagnostics, run_weft_opt
from weft import models, reference
from weft.build import build_model
from weft.config import preset
from weft.dtypes import round_to_dtype, to_storage
from weft.mlir import FunctionBuilder, module_text
from weft.runner import Module, Runtime, ValueInfo, WeftError, load_safetensors, parse_tensor, read_npy, write_npy
from weft.safetensors import load_file_with_dtypes, save_file


def _compile(weft_compile: Path, mlir: Path, out: Path) -> None:
    proc = subprocess.run([str(weft_compile), str(mlir), "-o", str(out)], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"weft-compile failed on {mlir.name}:\n" + compiler_diagnostics(proc.stderr), pytrace=False)


# -- Handle tracking -------------------------------------------------------------------------------


class _TrackedLibrary:
    """The runtime library, recording each handle it gives out until it is released.

    Stands between a ``Runtime`` and the real library, so that a test can
    check that the runner releases every status, tensor, safetensors file
    and module it receives, once. The calls that return a status are read
    from runtime.h, so a new one is tracked without a change here.
    """

    _STATUS_CALLS = frozenset(re.findall(r"^weft_status_t (weft_\w+)\(",
                                         (REPO_ROOT / "runtime/include/weft/runtime.h").read_text(), re.M))
    # Status calls whose last parameter receives a new object.
    _CREATORS = frozenset({"weft_tensor_create", "weft_tensor_read_npy", "weft_tensor_parse",
                           "weft_safetensors_open", "weft_module_open"})
    _RELEASERS = frozenset({"weft_status_free", "weft_tensor_free", "weft_safetensors_close", "weft_module_close"})

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib
        self.live: dict[int, str] = {}  # handle -> the call that returned it
        self.seen = 0  # handles ever tracked
        self.errors: list[str] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        fn = getattr(self._lib, name)
        if name in self._RELEASERS:
            def release(handle: int | None) -> None:
                if handle and self.live.pop(handle, None) is None:
                    self.errors.append(f"{name} of {handle:#x}, which is not live")
                fn(handle)
            return release
        if name not in self._STATUS_CALLS:
            return fn

        def call(*args: Any) -> int | None:
            status = fn(*args)
            if status:
                self.live[status] = f"status of {name}"
            elif name in self._CREATORS:
                self.live[args[-1]._obj.value] = name  # args[-1] is ctypes.byref(out)
            else:
                return status
            self.seen += 1
            return status
        return call


@pytest.fixture
def tracked(runtime: Runtime) -> Iterator[Runtime]:
    """A private ``Runtime`` over the real library whose handles are tracked; fails on a leak."""
    rt = Runtime(runtime.path)
    lib = _TrackedLibrary(rt.lib)
    rt.lib = lib  # type: ignore[assignment]
    yield rt
    assert lib.seen > 0, "no handle went through the tracker"
    assert not lib.errors, lib.errors
    assert not lib.live, f"the runner did not release: {sorted(lib.live.values())}"


# -- The runtime's readers and writers ------------------------------------------------------------


def test_dtype_enum_matches_header(runtime: Runtime) -> None:
    for name, size in (("f16", 2), ("bf16", 2), ("f32", 4), ("f64", 8), ("i32", 4), ("i64", 8)):
        assert runtime.dtype_name(name) == name
        assert runtime.dtype_parse(name) == name
        assert runtime.dtype_size(name) == size
    with pytest.raises(WeftError):
        runtime.dtype_parse("f8")


def test_runtime_reads_our_safetensors(tracked: Runtime, tmp_path: Path, rng: np.random.Generator) -> None:
    tensors = {
        "a": rng.normal(size=(3, 5)),
        "b": rng.normal(size=(7,)).astype(np.float32),
        "c": rng.normal(size=(2, 3, 4)).astype(np.float16),
        "d": rng.integers(-1000, 1000, size=(4, 1), dtype=np.int32),
        "e": rng.integers(-2**40, 2**40, size=(5,), dtype=np.int64),
        "f": rng.normal(size=(6, 2)).astype(np.float32),
        "s": np.array(rng.normal(), dtype=np.float32),
    }
    path = tmp_path / "w.safetensors"
    save_file(tensors, path, dtypes={"f": "bf16"}, metadata={"format": "weft"})
    ours = load_file_with_dtypes(path)
    theirs = load_safetensors(path, tracked)
    assert list(theirs) == list(ours)
    for name, (dtype, values) in ours.items():
        assert theirs[name][0] == dtype
        assert theirs[name][1].dtype == values.dtype and np.array_equal(theirs[name][1], values), name


def test_runtime_rejects_corrupt_safetensors(tracked: Runtime, tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "w.safetensors"
    save_file({"x": rng.normal(size=(16,))}, path)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(WeftError, match="w.safetensors"):
        load_safetensors(path, tracked)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
def test_runtime_npy_matches_numpy(tracked: Runtime, tmp_path: Path, rng: np.random.Generator, dtype: type) -> None:
    x = (rng.normal(size=(3, 4)) * 100).astype(dtype)
    np.save(tmp_path / "a.npy", x)
    back = read_npy(tmp_path / "a.npy", tracked)
    assert back.dtype == x.dtype and np.array_equal(back, x)
    write_npy(x, tmp_path / "b.npy", runtime=tracked)
    y = np.load(tmp_path / "b.npy")
    assert y.dtype == x.dtype and np.array_equal(y, x)


def test_runtime_parses_literals(tracked: Runtime) -> None:
    assert parse_tensor("2x3xf32=[1 2 3][4 5 6]", tracked).tolist() == [[1, 2, 3], [4, 5, 6]]
    assert parse_tensor("4xi32=1 2 3 4", tracked).tolist() == [1, 2, 3, 4]
    assert parse_tensor("2x2xf64=0.5", tracked).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(WeftError):
        parse_tensor("2xf99=1 2", tracked)


# -- A compiled module --------------------------------------------------------------------------


def _small_module() -> str:
    """Two functions that between them take and return every element type.

    ``forward``: ``out = table[input_ids] * scale`` in bf16, the ids bounded
    by the table's 5 rows. ``mixed``: f16, f64, a rank-0 input and an i64
    constant result. Every result is exact (a product of two bf16 values is
    exact in f32, and a single f64 product is correctly rounded), so runs
    are compared with ``array_equal``.
    """
    fwd = FunctionBuilder("forward")
    ids = fwd.arg("input_ids", (2, 3), "i32", "input")
    table = fwd.arg("table", (5, 4), "bf16", "weight")
    scale = fwd.arg("scale", (4,), "bf16", "weight")
    fwd.ret([fwd.mul(fwd.embedding(table, ids), scale)], ["out"])
    mixed = FunctionBuilder("mixed")
    x = mixed.arg("x", (3,), "f16", "input")
    y = mixed.arg("y", (2,), "f64", "input")
    a = mixed.arg("a", (), "f64", "input")
    answer = mixed.constant(np.array(42, dtype=np.int64), "i64", hint="answer")
    mixed.ret([mixed.add(x, x), mixed.mul(y, a), answer], ["twice_x", "y_times_a", "answer"])
    return module_text([fwd, mixed], comment="weft.runner test module")


@pytest.fixture(scope="module")
def small_module(weft_compile: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("small_module")
    (d / "small.mlir").write_text(_small_module())
    _compile(weft_compile, d / "small.mlir", d / "small.weft")
    return d / "small.weft"


def _forward_expected(ids: np.ndarray, table: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return round_to_dtype(round_to_dtype(table, "bf16")[ids] * round_to_dtype(scale, "bf16"), "bf16")


def test_small_module_signatures(tracked: Runtime, small_module: Path) -> None:
    with Module(small_module, runtime=tracked) as m:
        assert m.target == "cpu"
        assert m.manifest["target"] == "cpu"
        assert [f["name"] for f in m.manifest["functions"]] == ["forward", "mixed"]
        assert list(m.functions) == ["forward", "mixed"]
        fwd = m.functions["forward"]
        assert fwd.arguments == (
            ValueInfo("input_ids", "input", "i32", (2, 3), 5),
            ValueInfo("table", "weight", "bf16", (5, 4), None),
            ValueInfo("scale", "weight", "bf16", (4,), None),
        )
        assert fwd.results == (ValueInfo("out", "input", "bf16", (2, 3, 4), None),)
        assert [a.name for a in fwd.inputs] == ["input_ids"] and [a.name for a in fwd.weights] == ["table", "scale"]
        mixed = m.functions["mixed"]
        assert mixed.arguments[2] == ValueInfo("a", "input", "f64", (), None)
        assert mixed.results[2] == ValueInfo("answer", "input", "i64", (), None)
        assert m.function("mixed") is mixed


def test_small_module_run_converts_dtypes(tracked: Runtime, small_module: Path, tmp_path: Path,
                                          rng: np.random.Generator) -> None:
    ids = rng.integers(0, 5, size=(2, 3))       # int64 -> i32
    table = rng.normal(size=(5, 4))             # float64 -> bf16
    scale = rng.normal(size=4)
    expected = _forward_expected(ids, table, scale)
    with Module(small_module, runtime=tracked) as m:
        (out,) = m.run("forward", {"input_ids": ids}, weights={"table": table, "scale": scale, "unused": np.ones(1)})
        assert out.dtype == np.float32 and out.shape == (2, 3, 4)
        assert np.array_equal(out, expected)
        # Positional inputs, and bf16 passed as raw bits.
        bits = {"table": to_storage(table, "bf16"), "scale": to_storage(scale, "bf16")}
        (out,) = m.run("forward", [ids], weights=bits)
        assert np.array_equal(out, expected)
        # One array is the one input, not a sequence of its rows.
        (out,) = m.run("forward", ids, weights=bits)
        assert np.array_equal(out, expected)
        # A weights file, read by the runtime.
        save_file({"scale": scale, "table": table}, tmp_path / "w.safetensors", dtypes="bf16")
        (out,) = m.run("forward", {"input_ids": ids}, weights=tmp_path / "w.safetensors")
        assert np.array_equal(out, expected)


def test_small_module_f16_f64_scalars_and_integer_results(tracked: Runtime, small_module: Path,
                                                          rng: np.random.Generator) -> None:
    x = rng.normal(size=3).astype(np.float16)
    y, a = rng.normal(size=2), rng.normal()
    with Module(small_module, runtime=tracked) as m:
        twice_x, y_times_a, answer = m.run("mixed", {"x": x, "y": y, "a": np.float64(a)})
    assert twice_x.dtype == np.float16 and np.array_equal(twice_x, x + x)
    assert y_times_a.dtype == np.float64 and np.array_equal(y_times_a, y * a)
    assert answer.dtype == np.int64 and answer.shape == () and int(answer) == 42


def test_small_module_errors_carry_runtime_messages(tracked: Runtime, small_module: Path, tmp_path: Path,
                                                    rng: np.random.Generator) -> None:
    w = {"table": rng.normal(size=(5, 4)), "scale": rng.normal(size=4)}
    ids = rng.integers(0, 5, size=(2, 3)).astype(np.int32)
    bad = ids.copy()
    bad[1, 2] = 7
    with Module(small_module, runtime=tracked) as m:
        with pytest.raises(WeftError, match=re.escape("function 'forward': input 'input_ids' (argument 0): "
                                                      "expected i32 [2, 3], found i32 [2, 4]")):
            m.run("forward", {"input_ids": np.zeros((2, 4), np.int32)}, weights=w)
        with pytest.raises(WeftError, match=re.escape("input 'input_ids' element [1, 2] = 7 is outside [0, 5)")):
            m.run("forward", {"input_ids": bad}, weights=w)
        with pytest.raises(WeftError, match=re.escape("weight 'table' (argument 1): expected bf16 [5, 4], "
                                                      "found bf16 [4, 4]")):
            m.run("forward", {"input_ids": ids}, weights={"table": np.zeros((4, 4)), "scale": w["scale"]})
        with pytest.raises(WeftError, match=r"has no function 'backward' \(it has 'forward', 'mixed'\)"):
            m.run("backward", {})
        with pytest.raises(WeftError, match="safetensors file '.*absent.safetensors': cannot open"):
            m.run("forward", {"input_ids": ids}, weights=tmp_path / "absent.safetensors")
        save_file({"table": w["table"]}, tmp_path / "partial.safetensors", dtypes="bf16")
        with pytest.raises(WeftError, match="partial.safetensors': no tensor named 'scale'"):
            m.run("forward", {"input_ids": ids}, weights=tmp_path / "partial.safetensors")
        save_file(w, tmp_path / "f32.safetensors", dtypes="f32")
        with pytest.raises(WeftError, match=re.escape("tensor 'table': expected bf16 [5, 4], found f32 [5, 4]")):
            m.run("forward", {"input_ids": ids}, weights=tmp_path / "f32.safetensors")
        # Caught in Python, before the runtime is called.
        with pytest.raises(WeftError, match="missing weight 'scale'"):
            m.run("forward", {"input_ids": ids}, weights={"table": w["table"]})
        with pytest.raises(WeftError, match="takes 2 weights; pass weights="):
            m.run("forward", {"input_ids": ids})
        with pytest.raises(WeftError, match="argument 'input_ids': expected integer values for i32, got float32"):
            m.run("forward", {"input_ids": ids.astype(np.float32)}, weights=w)


def test_module_open_errors(tracked: Runtime, small_module: Path, tmp_path: Path) -> None:
    with pytest.raises(WeftError, match="artifact '.*missing.weft': cannot open"):
        Module(tmp_path / "missing.weft", runtime=tracked)
    (tmp_path / "junk.weft").write_bytes(b"\0" * 128)
    with pytest.raises(WeftError, match="artifact '.*junk.weft': not a Weft artifact"):
        Module(tmp_path / "junk.weft", runtime=tracked)
    m = Module(small_module, runtime=tracked)
    m.close()
    with pytest.raises(WeftError, match="closed"):
        m.run("mixed", {"x": np.ones(3, np.float16), "y": np.ones(2), "a": np.float64(1)})


# -- Compiled models -----------------------------------------------------------------------------

# Per-dtype bound on max |compiled - reference| / max |reference|. Measured
# on the tiny presets: f64 6e-16, f32 4e-7, f16 7e-4, bf16 5e-3.
_TOLERANCE = {"f64": 1e-12, "f32": 1e-5, "f16": 5e-3, "bf16": 3e-2}


@pytest.mark.parametrize("family, dtype", [("gpt2", "f32"), ("llama", "f32"), ("gpt2", "f16"), ("llama", "bf16"),
                                           ("llama", "f64")])
def test_compiled_model_matches_reference(runtime: Runtime, weft_opt: Path, weft_compile: Path, tmp_path: Path,
                                          seed: int, family: str, dtype: str) -> None:
    cfg = preset(family, "tiny", dtype=dtype)
    paths = build_model(cfg, tmp_path, seed=seed)
    run_weft_opt(weft_opt, paths.model.read_text())
    out = tmp_path / "model.weft"
    _compile(weft_compile, paths.model, out)
    ids = np.load(paths.input_ids)
    with Module(out, runtime=runtime) as m:
        fn = m.functions["forward"]
        assert [a.name for a in fn.arguments] == ["input_ids", *models.param_shapes(cfg)]
        assert fn.arguments[0].index_bound == cfg.vocab
        (logits,) = m.run("forward", {"input_ids": ids}, weights=paths.weights)
    exact = reference.forward(cfg, models.init_weights(cfg, seed), ids)
    err = reference.max_rel_error(logits, exact)
    print(f"{family} {dtype}: max rel error compiled vs reference {err:.3e}")
    assert logits.shape == exact.shape
    assert err <= _TOLERANCE[dtype]
    assert np.array_equal(round_to_dtype(logits, dtype), logits)
