"""The ctypes runner's helpers, which need no library: where it is looked
for, argument conversion and input binding. The bindings themselves are
tested against the real runtime in test_runner_runtime.py.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT
from weft.dtypes import round_to_dtype
from weft.runner import FunctionInfo, Runtime, ValueInfo, WeftError, bind_inputs, find_library, to_argument_storage


def test_find_library_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEFT_RUNTIME_LIB", raising=False)
    monkeypatch.delenv("WEFT_BUILD_DIR", raising=False)
    assert find_library() == REPO_ROOT / "build" / "lib" / "libweft_runtime.so"
    monkeypatch.setenv("WEFT_BUILD_DIR", "/some/build")
    assert find_library() == Path("/some/build/lib/libweft_runtime.so")
    monkeypatch.setenv("WEFT_RUNTIME_LIB", "/x/libw.so")
    assert find_library() == Path("/x/libw.so")


def test_value_info_mirrors_the_c_struct() -> None:
    # weft_value_info_t on LP64, as ShardedModuleTest.cpp asserts in C: the
    # runtime writes all of it through the pointer the runner passes.
    from weft.runner import _ValueInfo
    assert ctypes.sizeof(_ValueInfo) == 48
    assert _ValueInfo.index_bound.offset == 32
    assert _ValueInfo.local_shape.offset == 40


def test_missing_library_is_a_weft_error(tmp_path: Path) -> None:
    with pytest.raises(WeftError, match="not found"):
        Runtime(tmp_path / "libnothing.so")


def test_to_argument_storage_converts(rng: np.random.Generator) -> None:
    x = rng.normal(size=(2, 3))
    assert to_argument_storage(x, "f16", "x").dtype == np.float16
    bits = to_argument_storage(x, "bf16", "x")
    assert bits.dtype == np.uint16 and bits.shape == (2, 3)
    assert np.array_equal((bits.astype(np.uint32) << 16).view(np.float32), round_to_dtype(x, "bf16"))
    assert np.array_equal(to_argument_storage(bits, "bf16", "x"), bits)
    ids = rng.integers(0, 100, size=(4,))
    assert to_argument_storage(ids, "i32", "ids").dtype == np.int32
    assert to_argument_storage(np.float32(2.5), "f64", "s").shape == ()
    t = to_argument_storage(x.T, "f32", "x")
    assert t.flags.c_contiguous and np.array_equal(t, x.T.astype(np.float32))


@pytest.mark.parametrize("value, dtype, message", [
    (np.ones(3), "i32", "expected integer values for i32, got float64"),
    (np.ones(3, dtype=np.int32), "f32", "expected floating-point values for f32, got int32"),
    (np.ones(3, dtype=np.uint16), "f16", "expected floating-point values for f16, got uint16"),
    (np.array([0, 2**40]), "i32", r"value 1099511627776 outside the i32 range \[-2147483648, 2147483647\]"),
    (np.array([-2**31 - 1]), "i32", "value -2147483649 outside the i32 range"),
])
def test_to_argument_storage_rejects(value: np.ndarray, dtype: str, message: str) -> None:
    with pytest.raises(WeftError, match=f"^argument 'arg': {message}"):
        to_argument_storage(value, dtype, "arg")


def _fn() -> FunctionInfo:
    return FunctionInfo("forward", 0, (
        ValueInfo("input_ids", "input", "i32", (1, 4), 10),
        ValueInfo("w", "weight", "f32", (10, 2), None),
        ValueInfo("positions", "input", "i32", (1, 4), None),
    ), (ValueInfo("logits", "input", "f32", (1, 4, 2), None),))


def test_bind_inputs_by_name_and_position() -> None:
    fn = _fn()
    assert [a.name for a in fn.inputs] == ["input_ids", "positions"]
    assert [a.name for a in fn.weights] == ["w"]
    assert bind_inputs(fn, {"positions": 1, "input_ids": 2}) == {"positions": 1, "input_ids": 2}
    assert bind_inputs(fn, [5, 6]) == {"input_ids": 5, "positions": 6}
    with pytest.raises(WeftError, match="missing input 'positions'"):
        bind_inputs(fn, {"input_ids": 1})
    with pytest.raises(WeftError, match="no input 'w'"):
        bind_inputs(fn, {"input_ids": 1, "positions": 2, "w": 3})
    with pytest.raises(WeftError, match="takes 2 inputs"):
        bind_inputs(fn, [1])
