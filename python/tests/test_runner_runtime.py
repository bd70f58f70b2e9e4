"""The runner against the real libweft_runtime.so.

Skipped, with the reason, only when the library file is absent. Covers the
runtime's readers against this package's writers (safetensors, npy), an
artifact assembled by hand from docs/artifact.md (a manifest plus a host
library compiled from C, so the runtime's loader and invoke path are tested
without the compiler), and, where weft-compile is built, whole models
compiled and run against the NumPy reference.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import build_dir, c_compiler, compiler_diagnostics, run_weft_opt
from weft import artifact, models, reference
from weft.build import build_model
from weft.config import preset
from weft.dtypes import round_to_dtype
from weft.runner import Module, Runtime, ValueInfo, WeftError, find_library, load_safetensors, parse_tensor, \
    read_npy, write_npy
from weft.safetensors import load_file_with_dtypes, save_file

LIB = find_library() if find_library().is_absolute() else find_library().resolve()

pytestmark = pytest.mark.skipif(not LIB.exists(), reason=f"runtime library not built: {LIB} is absent")


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime.load(LIB)


def test_dtype_enum_matches_header(runtime: Runtime) -> None:
    for name, size in (("f16", 2), ("bf16", 2), ("f32", 4), ("f64", 8), ("i32", 4), ("i64", 8)):
        assert runtime.dtype_name(name) == name
        assert runtime.dtype_parse(name) == name
        assert runtime.dtype_size(name) == size
    with pytest.raises(WeftError):
        runtime.dtype_parse("f8")


def test_runtime_reads_our_safetensors(runtime: Runtime, tmp_path: Path, rng: np.random.Generator) -> None:
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
    theirs = load_safetensors(path, runtime)
    assert list(theirs) == list(ours)
    for name, (dtype, values) in ours.items():
        assert theirs[name][0] == dtype
        assert theirs[name][1].dtype == values.dtype and np.array_equal(theirs[name][1], values), name


def test_runtime_rejects_corrupt_safetensors(runtime: Runtime, tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "w.safetensors"
    save_file({"x": rng.normal(size=(16,))}, path)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(WeftError, match="w.safetensors"):
        load_safetensors(path, runtime)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
def test_runtime_npy_matches_numpy(runtime: Runtime, tmp_path: Path, rng: np.random.Generator, dtype: type) -> None:
    x = (rng.normal(size=(3, 4)) * 100).astype(dtype)
    np.save(tmp_path / "a.npy", x)
    back = read_npy(tmp_path / "a.npy", runtime)
    assert back.dtype == x.dtype and np.array_equal(back, x)
    write_npy(x, tmp_path / "b.npy", runtime=runtime)
    y = np.load(tmp_path / "b.npy")
    assert y.dtype == x.dtype and np.array_equal(y, x)


def test_runtime_parses_literals(runtime: Runtime) -> None:
    assert parse_tensor("2x3xf32=[1 2 3][4 5 6]", runtime).tolist() == [[1, 2, 3], [4, 5, 6]]
    assert parse_tensor("4xi32=1 2 3 4", runtime).tolist() == [1, 2, 3, 4]
    assert parse_tensor("2x2xf64=0.5", runtime).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(WeftError):
        parse_tensor("2xf99=1 2", runtime)


def test_module_open_errors(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(WeftError, match="missing.weft"):
        Module(tmp_path / "missing.weft", runtime=runtime)
    (tmp_path / "junk.weft").write_bytes(b"\0" * 128)
    with pytest.raises(WeftError, match="junk.weft"):
        Module(tmp_path / "junk.weft", runtime=runtime)


# -- A hand-built artifact ---------------------------------------------------------------------

_HOSTLIB_C = textwrap.dedent("""
    #include <stdint.h>
    /* Strided memref descriptors (docs/artifact.md, "Entry ABI"). */
    typedef struct { void *allocated, *aligned; int64_t offset; } m0;
    typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } m1;
    typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } m2;
    typedef struct { void *allocated, *aligned; int64_t offset, sizes[3], strides[3]; } m3;

    /* out[b, s, :] = table[ids[b, s], :] * scale */
    void weft_entry_forward(void **args) {
      m2 *ids = args[0], *table = args[1]; m1 *scale = args[2]; m3 *out = args[3];
      const int32_t *id = (const int32_t *)ids->aligned + ids->offset;
      const float *t = (const float *)table->aligned + table->offset;
      const float *sc = (const float *)scale->aligned + scale->offset;
      float *o = (float *)out->aligned + out->offset;
      for (int64_t b = 0; b < out->sizes[0]; ++b)
        for (int64_t s = 0; s < out->sizes[1]; ++s) {
          int32_t row = id[b * ids->strides[0] + s * ids->strides[1]];
          for (int64_t d = 0; d < out->sizes[2]; ++d)
            o[b * out->strides[0] + s * out->strides[1] + d * out->strides[2]] =
                t[row * table->strides[0] + d * table->strides[1]] * sc[d * scale->strides[0]];
        }
    }

    /* y = a * x + y0, with a rank-0 argument. */
    void weft_entry_axpy(void **args) {
      m0 *a = args[0]; m1 *x = args[1], *y0 = args[2], *y = args[3];
      double av = *((const double *)a->aligned + a->offset);
      for (int64_t i = 0; i < y->sizes[0]; ++i)
        ((double *)y->aligned)[y->offset + i * y->strides[0]] =
            av * ((const double *)x->aligned)[x->offset + i * x->strides[0]] +
            ((const double *)y0->aligned)[y0->offset + i * y0->strides[0]];
    }
""")

_MANIFEST = {
    "format": "weft-artifact", "version": 1, "target": "cpu", "mesh": None,
    "functions": [
        {"name": "forward", "symbol": "weft_entry_forward",
         "arguments": [
             {"name": "input_ids", "role": "input", "dtype": "i32", "shape": [2, 3], "index_bound": 5},
             {"name": "table", "role": "weight", "dtype": "f32", "shape": [5, 4]},
             {"name": "scale", "role": "weight", "dtype": "f32", "shape": [4]}],
         "results": [{"name": "out", "dtype": "f32", "shape": [2, 3, 4]}]},
        {"name": "axpy", "symbol": "weft_entry_axpy",
         "arguments": [
             {"name": "a", "role": "input", "dtype": "f64", "shape": []},
             {"name": "x", "role": "input", "dtype": "f64", "shape": [6]},
             {"name": "y0", "role": "input", "dtype": "f64", "shape": [6]}],
         "results": [{"name": "y", "dtype": "f64", "shape": [6]}]},
    ],
}


@pytest.fixture(scope="module")
def hand_built_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = c_compiler()
    assert cc is not None, "a C compiler is needed to build the test artifact's host library"
    d = tmp_path_factory.mktemp("artifact")
    (d / "host.c").write_text(_HOSTLIB_C)
    proc = subprocess.run([cc, "-std=c11", "-O1", "-shared", "-fPIC", str(d / "host.c"), "-o", str(d / "host.so")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    path = d / "hand.weft"
    artifact.write(path, {"manifest": json.dumps(_MANIFEST).encode(), "hostlib": (d / "host.so").read_bytes()})
    return path


def test_hand_built_artifact_signatures(runtime: Runtime, hand_built_artifact: Path) -> None:
    with Module(hand_built_artifact, runtime=runtime) as m:
        assert m.target == "cpu"
        assert m.manifest == _MANIFEST
        assert list(m.functions) == ["forward", "axpy"]
        assert m.functions["forward"].arguments[0] == ValueInfo("input_ids", "input", "i32", (2, 3), 5)
        assert m.functions["forward"].arguments[1] == ValueInfo("table", "weight", "f32", (5, 4), None)
        assert m.functions["axpy"].arguments[0].shape == ()
        assert m.functions["axpy"].results == (ValueInfo("y", "input", "f64", (6,), None),)


def test_hand_built_artifact_runs(runtime: Runtime, hand_built_artifact: Path, tmp_path: Path,
                                  rng: np.random.Generator) -> None:
    ids = rng.integers(0, 5, size=(2, 3)).astype(np.int32)
    table, scale = rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    expected = table[ids] * scale
    save_file({"scale": scale, "table": table}, tmp_path / "w.safetensors")
    with Module(hand_built_artifact, runtime=runtime) as m:
        (out,) = m.run("forward", {"input_ids": ids}, weights={"table": table, "scale": scale})
        assert out.dtype == np.float32 and np.array_equal(out, expected)
        (out,) = m.run("forward", [ids], weights=tmp_path / "w.safetensors")
        assert np.array_equal(out, expected)
        a, x, y0 = rng.normal(), rng.normal(size=6), rng.normal(size=6)
        (y,) = m.run("axpy", {"a": np.float64(a), "x": x, "y0": y0})
        assert np.array_equal(y, a * x + y0)


def test_hand_built_artifact_errors(runtime: Runtime, hand_built_artifact: Path, tmp_path: Path,
                                    rng: np.random.Generator) -> None:
    w = {"table": rng.normal(size=(5, 4)), "scale": rng.normal(size=4)}
    with Module(hand_built_artifact, runtime=runtime) as m:
        with pytest.raises(WeftError, match=r"input_ids.*\[2, 3\].*\[2, 4\]"):
            m.run("forward", {"input_ids": np.zeros((2, 4), np.int32)}, weights=w)
        bad = np.zeros((2, 3), np.int32)
        bad[1, 1] = 5
        with pytest.raises(WeftError, match=r"input_ids.* 5 .*\[0, 5\)"):
            m.run("forward", {"input_ids": bad}, weights=w)
        with pytest.raises(WeftError, match=r"table.*\[5, 4\].*\[4, 4\]"):
            m.run("forward", {"input_ids": bad * 0}, weights={"table": np.zeros((4, 4)), "scale": w["scale"]})
        with pytest.raises(WeftError, match="no function 'backward'"):
            m.run("backward", {})
        save_file({"table": w["table"]}, tmp_path / "partial.safetensors", dtypes="f32")
        with pytest.raises(WeftError, match="partial.safetensors.*'scale'"):
            m.run("forward", {"input_ids": bad * 0}, weights=tmp_path / "partial.safetensors")


# -- Compiled models -----------------------------------------------------------------------------

WEFT_COMPILE = build_dir() / "bin" / "weft-compile"


# Per-dtype bound on max |compiled - reference| / max |reference|. Measured
# on the tiny presets: f64 6e-16, f32 4e-7, f16 7e-4, bf16 5e-3.
_TOLERANCE = {"f64": 1e-12, "f32": 1e-5, "f16": 5e-3, "bf16": 3e-2}


@pytest.mark.skipif(not WEFT_COMPILE.exists(), reason=f"weft-compile not built: {WEFT_COMPILE} is absent")
@pytest.mark.parametrize("family, dtype", [("gpt2", "f32"), ("llama", "f32"), ("gpt2", "f16"), ("llama", "bf16"),
                                           ("llama", "f64")])
def test_compiled_model_matches_reference(runtime: Runtime, weft_opt, tmp_path: Path, seed: int, family: str,
                                          dtype: str) -> None:
    cfg = preset(family, "tiny", dtype=dtype)
    paths = build_model(cfg, tmp_path, seed=seed)
    run_weft_opt(weft_opt, paths.model.read_text())
    out = tmp_path / "model.weft"
    proc = subprocess.run([str(WEFT_COMPILE), str(paths.model), "-o", str(out)], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        pytest.fail("weft-compile failed:\n" + compiler_diagnostics(proc.stderr), pytrace=False)
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
