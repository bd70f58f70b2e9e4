"""Partitioned GPT-2 and Llama programs compute what the whole model does.

For each model and mesh the graph goes through ``xf-auto-shard`` (under a
per-device memory budget small enough, in some cases, to force tensor
parallelism: split weights, partial sums, all-reduces),
``xf-partition`` (the per-device program with ``mesh`` collectives) and
``xf-simulate-spmd`` (every device's program side by side on one device,
collectives as tensor sums, concatenations and slices). The compiled result
must equal the float64 NumPy forward pass on fresh random weights and ids
within the f32 tolerance of the single-device end-to-end tests (1e-4
relative): partitioning changes only the order of some f32 sums.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import compiler_diagnostics
from weft import models, reference
from weft.config import preset
from weft.runner import Module, Runtime
from weft.safetensors import save_file

TOLERANCE = 1e-4

# (mesh, memory budget or None, whether the plan must split weights)
CASES = [
    ("2xCPU", None, False),
    ("2x2xCPU", None, False),
    ("4xCPU", "300KiB", True),
    ("2x2xCPU", "400KiB", True),
    ("2x4xCPU", "300KiB", True),
]
MODEL_PARALLEL = ("column-parallel", "row-parallel", "head-parallel", "vocab-parallel", "hidden-parallel")


@pytest.mark.parametrize("family", ["gpt2", "llama"])
@pytest.mark.parametrize("mesh,budget,splits_weights", CASES)
def test_partitioned_model_matches_reference(weft_opt: Path, weft_compile: Path, runtime: Runtime,
                                             tmp_path: Path, seed: int, family: str, mesh: str,
                                             budget: str | None, splits_weights: bool) -> None:
    cfg = preset(family, "tiny")
    weights = models.init_weights(cfg, seed)
    ids = models.random_input_ids(cfg, seed + 1)
    source = tmp_path / "model.mlir"
    source.write_text(models.emit(cfg))

    summary = tmp_path / "plan.txt"
    option = f"mesh={mesh} plan-summary={summary}" + (f" memory-budget={budget}" if budget else "")
    simulated = tmp_path / "simulated.mlir"
    proc = subprocess.run([str(weft_opt), str(source), f"--xf-auto-shard={option}", "--xf-partition",
                           "--xf-simulate-spmd", "-o", str(simulated)], capture_output=True, text=True)
    assert proc.returncode == 0, compiler_diagnostics(proc.stderr)
    plan = summary.read_text()
    if splits_weights:
        assert any(kind in plan for kind in MODEL_PARALLEL), f"expected a model-parallel plan:\n{plan}"

    artifact = tmp_path / "model.weft"
    proc = subprocess.run([str(weft_compile), str(simulated), "-o", str(artifact)], capture_output=True, text=True)
    assert proc.returncode == 0, compiler_diagnostics(proc.stderr)
    weights_file = tmp_path / "weights.safetensors"
    save_file(weights, weights_file, dtypes=cfg.dtype)
    with Module(artifact, runtime=runtime) as m:
        (logits,) = m.run("forward", {"input_ids": ids.astype(np.int32)}, weights=str(weights_file))
    err = reference.max_rel_error(logits, reference.forward(cfg, weights, ids))
    print(f"{family} on {mesh} (budget {budget}): max rel error {err:.2e}")
    assert err <= TOLERANCE, f"{family} on {mesh}: partitioned vs NumPy {err:.3e} > {TOLERANCE}\n{plan}"
