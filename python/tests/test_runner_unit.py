"""The ctypes runner without the real runtime: marshalling helpers, and the
bindings driven through a mock library built from tests/runtime_mock/
against the real runtime.h (so a signature that drifts fails to compile).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, c_compiler
from weft import artifact
from weft.dtypes import round_to_dtype
from weft.runner import (FunctionInfo, Module, Runtime, ValueInfo, WeftError, bind_inputs, find_library,
                         to_argument_storage)

# -- Helpers (no library) ------------------------------------------------------------------------


def test_find_library_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEFT_RUNTIME_LIB", raising=False)
    monkeypatch.delenv("WEFT_BUILD_DIR", raising=False)
    assert find_library() == REPO_ROOT / "build" / "lib" / "libweft_runtime.so"
    monkeypatch.setenv("WEFT_BUILD_DIR", "/some/build")
    assert find_library() == Path("/some/build/lib/libweft_runtime.so")
    monkeypatch.setenv("WEFT_RUNTIME_LIB", "/x/libw.so")
    assert find_library() == Path("/x/libw.so")


def test_missing_library_is_a_weft_error(tmp_path: Path) -> None:
    with pytest.raises(WeftError, match="not found"):
        Runtime(tmp_path / "libnothing.so")


def test_to_argument_storage_converts(rng: np.random.Generator) -> None:
    x = rng.normal(size=(2, 3))
    assert to_argument_storage(x, "f16", "x").dtype == np.float16
    bits = to_argument_storage(x, "bf16", "x")
    assert bits.dtype == np.uint16 and bits.shape == (2, 3)
    assert np.array_equal((bits.astype(np.uint32) << 16).view(np.float32), round_to_dtype(x, "bf16"))
    assert to_argument_storage(bits, "bf16", "x") is not None
    assert np.array_equal(to_argument_storage(bits, "bf16", "x"), bits)
    ids = rng.integers(0, 100, size=(4,))
    assert to_argument_storage(ids, "i32", "ids").dtype == np.int32
    assert to_argument_storage(np.float32(2.5), "f64", "s").shape == ()
    t = to_argument_storage(x.T, "f32", "x")
    assert t.flags.c_contiguous and np.array_equal(t, x.T.astype(np.float32))


@pytest.mark.parametrize("value, dtype, message", [
    (np.ones(3), "i32", "expected integer values"),
    (np.ones(3, dtype=np.int32), "f32", "expected floating-point values"),
    (np.array([2**40]), "i32", "outside the i32 range"),
])
def test_to_argument_storage_rejects(value: np.ndarray, dtype: str, message: str) -> None:
    with pytest.raises(WeftError, match=message):
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


def test_artifact_container_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.weft"
    sections = {"manifest": b'{"format": "weft-artifact"}', "hostlib": bytes(range(200))}
    artifact.write(path, sections)
    raw = path.read_bytes()
    assert raw[:8] == b"WEFTART\0"
    assert artifact.read(path) == sections
    assert artifact.read_manifest(path) == {"format": "weft-artifact"}
    # Section data starts 64-byte aligned.
    for i in range(2):
        offset = int.from_bytes(raw[16 + 32 * i + 8:16 + 32 * i + 16], "little")
        assert offset % 64 == 0
    path.write_bytes(b"WEFTART\0" + (2).to_bytes(4, "little") + (1).to_bytes(4, "little"))
    with pytest.raises(artifact.ArtifactError, match="version 2"):
        artifact.read(path)


# -- Bindings against the mock runtime ---------------------------------------------------------


@pytest.fixture(scope="module")
def mock_runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    cc = c_compiler()
    if cc is None:
        pytest.skip("no C compiler to build the mock runtime (cc, gcc or clang)")
    out = tmp_path_factory.mktemp("mock") / "libweft_runtime_mock.so"
    src = Path(__file__).parent / "runtime_mock" / "weft_runtime_mock.c"
    proc = subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-shared", "-fPIC", "-O1",
                           "-I", str(REPO_ROOT / "runtime" / "include"), str(src), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"mock runtime does not compile against runtime.h:\n{proc.stderr}"
    return Runtime(out)


@pytest.fixture
def mock_module(mock_runtime: Runtime, tmp_path: Path) -> Module:
    path = tmp_path / "fake.weft"
    path.write_bytes(b"WEFTART\0")
    with Module(path, runtime=mock_runtime) as m:
        yield m
    assert mock_runtime.lib.mock_live_objects() == 0, "runner leaked runtime tensors or statuses"


def test_mock_signatures(mock_module: Module) -> None:
    m = mock_module
    assert m.target == "cpu" and m.manifest["format"] == "weft-artifact"
    assert list(m.functions) == ["forward", "echo"]
    fwd = m.functions["forward"]
    assert fwd.arguments == (
        ValueInfo("input_ids", "input", "i32", (2, 3), 5),
        ValueInfo("table", "weight", "bf16", (5, 4), None),
        ValueInfo("scale", "weight", "f32", (4,), None),
    )
    assert fwd.results == (ValueInfo("out", "input", "f32", (2, 3, 4), None),)
    assert m.functions["echo"].results[2] == ValueInfo("answer", "input", "i64", (), None)


def test_mock_dtype_enum_agrees(mock_runtime: Runtime) -> None:
    for name in ("f16", "bf16", "f32", "f64", "i32", "i64"):
        assert mock_runtime.dtype_name(name) == name
        assert mock_runtime.dtype_parse(name) == name
    assert mock_runtime.dtype_size("bf16") == 2
    with pytest.raises(WeftError, match="unknown element type 'f8'"):
        mock_runtime.dtype_parse("f8")


def test_mock_run_converts_dtypes(mock_module: Module, rng: np.random.Generator) -> None:
    ids = rng.integers(0, 5, size=(2, 3))
    table = rng.normal(size=(5, 4))            # float64 -> bf16
    scale = rng.normal(size=4)                 # float64 -> f32
    (out,) = mock_module.run("forward", inputs={"input_ids": ids}, weights={"table": table, "scale": scale,
                                                                              "unused": np.zeros(1)})
    expected = round_to_dtype(table, "bf16")[ids] * scale.astype(np.float32)
    assert out.dtype == np.float32 and out.shape == (2, 3, 4)
    assert np.array_equal(out, expected)
    # Positional inputs, bf16 passed as raw bits.
    bits = to_argument_storage(table, "bf16", "table")
    (out2,) = mock_module.run("forward", [ids], weights={"table": bits, "scale": scale})
    assert np.array_equal(out2, expected)
    # One array is the one input, not a sequence of its rows.
    (out3,) = mock_module.run("forward", ids.astype(np.int64), weights={"table": table, "scale": scale})
    assert np.array_equal(out3, expected)


def test_mock_run_f16_f64_and_scalar_results(mock_module: Module, rng: np.random.Generator) -> None:
    x = rng.normal(size=3).astype(np.float16)
    y = rng.normal(size=2)
    x_out, neg_y, answer = mock_module.run("echo", {"x": x, "y": y})
    assert x_out.dtype == np.float16 and np.array_equal(x_out, x)
    assert neg_y.dtype == np.float64 and np.array_equal(neg_y, -y)
    assert answer.dtype == np.int64 and answer.shape == () and int(answer) == 42


def test_mock_errors_carry_runtime_messages(mock_module: Module, tmp_path: Path, rng: np.random.Generator) -> None:
    m = mock_module
    w = {"table": rng.normal(size=(5, 4)), "scale": rng.normal(size=4)}
    ids = rng.integers(0, 5, size=(2, 3))
    with pytest.raises(WeftError, match=r"^argument 'input_ids': expected i32 \[2, 3\], got i32 \[2, 4\]$"):
        m.run("forward", {"input_ids": np.zeros((2, 4), dtype=np.int32)}, weights=w)
    bad = ids.copy()
    bad[1, 2] = 7
    with pytest.raises(WeftError, match=r"^input 'input_ids': element 5 is 7, expected a value in \[0, 5\)$"):
        m.run("forward", {"input_ids": bad}, weights=w)
    with pytest.raises(WeftError, match="no function 'backward' in the module; it has: forward, echo"):
        m.run("backward", {})
    with pytest.raises(WeftError, match="cannot open safetensors file '.*w.safetensors'"):
        m.run("forward", {"input_ids": ids}, weights=tmp_path / "w.safetensors")
    with pytest.raises(WeftError, match="missing weight 'scale'"):
        m.run("forward", {"input_ids": ids}, weights={"table": w["table"]})
    with pytest.raises(WeftError, match="pass weights="):
        m.run("forward", {"input_ids": ids})
    with pytest.raises(WeftError, match="expected integer values for i32"):
        m.run("forward", {"input_ids": ids.astype(np.float32)}, weights=w)


def test_mock_open_errors(mock_runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(WeftError, match="cannot open artifact '.*missing.weft'"):
        Module(tmp_path / "missing.weft", runtime=mock_runtime)
    (tmp_path / "junk.weft").write_bytes(b"not an artifact")
    with pytest.raises(WeftError, match="not a weft artifact"):
        Module(tmp_path / "junk.weft", runtime=mock_runtime)
    (tmp_path / "ok.weft").write_bytes(b"WEFTART\0")
    m = Module(tmp_path / "ok.weft", runtime=mock_runtime)
    m.close()
    with pytest.raises(WeftError, match="closed"):
        m.run("echo", {"x": np.zeros(3, np.float16), "y": np.zeros(2)})
    assert mock_runtime.lib.mock_live_objects() == 0
