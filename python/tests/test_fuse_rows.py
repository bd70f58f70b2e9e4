"""``weft-fuse-rows`` on the CPU: fused programs compute what unfused ones do.

The CUDA pipeline groups every norm and softmax with its neighbours into one
loop nest over row tiles (one kernel each). The same pass runs on the CPU
behind ``weft-compile --fuse-rows``, so its numerics are checked here, where
no GPU is needed: each case is compiled with and without it, run on fresh
random weights and inputs (``seed`` fixture, printed for replay), and both
results are compared with each other and with a float64 NumPy reference.

Tolerances (``max|a - b| / max|b|``): a tile computes each row's sums in
the order the unfused ops do, so fused and unfused f32 programs agree
exactly today (measured 0); the bound, 1e-5, leaves room for a reordering of
float32 sums. Against float64 the bound is the end-to-end tests' 1e-4 for
whole f32 models (measured 2e-7 to 4e-7) and 1e-5 for the one-layer graph
(3e-7).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import compiler_diagnostics
from weft import models, reference
from weft.build import build_model
from weft.config import preset
from weft.mlir import FunctionBuilder, module_text
from weft.runner import Module, Runtime

FUSED_VS_UNFUSED = 1e-5
MODEL_VS_FLOAT64 = 1e-4
GRAPH_VS_FLOAT64 = 1e-5

# Linalg on tensors as the pipelines have it when weft-fuse-rows runs.
_TO_LINALG = ("builtin.module(func.func(xf-lower-attention,xf-lower-to-linalg,canonicalize,cse,"
              "linalg-fuse-elementwise-ops,canonicalize,cse,weft-fuse-rows))")


def _compile(weft_compile: Path, mlir: Path, out: Path, *flags: str) -> Path:
    proc = subprocess.run([str(weft_compile), str(mlir), "-o", str(out), *flags],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, compiler_diagnostics(proc.stderr)
    return out


def _row_groups(weft_opt: Path, mlir: Path) -> int:
    """Loop nests weft-fuse-rows forms in ``mlir`` (block-mapped foralls)."""
    proc = subprocess.run([str(weft_opt), str(mlir), f"--pass-pipeline={_TO_LINALG}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, compiler_diagnostics(proc.stderr)
    return len(re.findall(r"\{mapping = \[#gpu\.block<", proc.stdout))


# (family, overrides, expected groups): one per norm, so 2 per layer plus the
# final one; seq 80 x batch 2 gives several tiles per batch row (80 = 4 x 20).
MODELS = [
    ("gpt2", {}, 5),
    ("llama", {}, 5),
    ("gpt2", {"seq": 80, "batch": 2}, 5),
]


@pytest.mark.parametrize("family,overrides,groups", MODELS,
                         ids=[f"{f}-" + ("-".join(f"{k}{v}" for k, v in o.items()) or "tiny") for f, o, _ in MODELS])
def test_fused_model_matches_unfused(weft_compile: Path, weft_opt: Path, runtime: Runtime, tmp_path: Path,
                                     seed: int, family: str, overrides: dict, groups: int) -> None:
    cfg = preset(family, "tiny", dtype="f32", **overrides)
    paths = build_model(cfg, tmp_path, seed=seed)
    assert _row_groups(weft_opt, paths.model) == groups

    plain = _compile(weft_compile, paths.model, tmp_path / "plain.weft")
    fused = _compile(weft_compile, paths.model, tmp_path / "fused.weft", "--fuse-rows")
    assert plain.read_bytes() != fused.read_bytes(), "--fuse-rows changed nothing"

    ids = np.load(paths.input_ids)
    outs = {}
    for name, artifact in (("plain", plain), ("fused", fused)):
        with Module(artifact, runtime=runtime) as m:
            (outs[name],) = m.run("forward", {"input_ids": ids}, weights=paths.weights)
    expected = reference.forward(cfg, models.init_weights(cfg, seed), ids)

    between = reference.max_rel_error(outs["fused"], outs["plain"])
    fused_err = reference.max_rel_error(outs["fused"], expected)
    plain_err = reference.max_rel_error(outs["plain"], expected)
    print(f"{family} {overrides}: fused vs unfused {between:.2e}, vs float64: fused {fused_err:.2e}, "
          f"unfused {plain_err:.2e}")
    assert np.isfinite(outs["fused"]).all()
    assert between <= FUSED_VS_UNFUSED
    assert fused_err <= MODEL_VS_FLOAT64


def _norms_graph(b: int, s: int, d: int) -> str:
    """Layer norm, residual add, softmax over the features, RMS norm."""
    fb = FunctionBuilder("forward")
    x = fb.arg("x", (b, s, d), "f32", role="input")
    r = fb.arg("r", (b, s, d), "f32", role="input")
    g = fb.arg("g", (d,), "f32", role="weight")
    beta = fb.arg("beta", (d,), "f32", role="weight")
    h = fb.add(fb.layer_norm(x, g, beta, 1e-5, hint="ln"), r, hint="resid")
    p = fb.softmax(h, 2, hint="p")
    y = fb.rms_norm(fb.add(p, h, hint="sum"), g, 1e-6, hint="rms")
    fb.ret([y, p], names=["y", "p"])
    return module_text([fb])


def test_fused_norms_match_numpy(weft_compile: Path, weft_opt: Path, runtime: Runtime, tmp_path: Path,
                                 seed: int) -> None:
    b, s, d = 2, 48, 96
    mlir = tmp_path / "norms.mlir"
    mlir.write_text(_norms_graph(b, s, d))
    # Every op reads the rows of the one before: the whole graph is one
    # nest, which also yields the softmax (a result) for the return.
    assert _row_groups(weft_opt, mlir) == 1
    fused = _compile(weft_compile, mlir, tmp_path / "fused.weft", "--fuse-rows")

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((b, s, d)).astype(np.float32) * 3 + 1
    r = rng.standard_normal((b, s, d)).astype(np.float32)
    g = rng.uniform(0.5, 1.5, d).astype(np.float32)
    beta = rng.standard_normal(d).astype(np.float32)
    with Module(fused, runtime=runtime) as m:
        y, p = m.run("forward", {"x": x, "r": r}, weights={"g": g, "beta": beta})

    h = reference.layer_norm(x, g, beta, 1e-5) + r
    p_ref = reference.softmax(h, axis=2)
    y_ref = reference.rms_norm(p_ref + h, g, 1e-6)
    errors = (reference.max_rel_error(p, p_ref), reference.max_rel_error(y, y_ref))
    print(f"norms graph vs float64: softmax {errors[0]:.2e}, rms norm {errors[1]:.2e}")
    assert max(errors) <= GRAPH_VS_FLOAT64
