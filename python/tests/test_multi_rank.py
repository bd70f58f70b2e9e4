"""Auto-sharded GPT-2 and Llama run on several MPI ranks as they run on one.

For each model and mesh, ``weft-compile --mesh=... --memory-budget=...``
shards the graph (the budget is small enough that the plan must split
weights: column-, row-, head- or vocabulary-parallel layers, partial sums
and all-reduces), partitions it into the per-device program and lowers its
collectives to the runtime's table; ``mpirun -np N weft-run`` runs it, one
rank per device, over the MPI back end. The logits rank 0 writes must equal
those of the same graph compiled for one device and run by ``weft-run``
within 1e-4 relative (the single-device tests' f32 tolerance: partitioning
only reorders f32 sums, e.g. a row-parallel product adds N partial dot
products), on fresh random weights and ids.

Every rank reports the weight bytes it read. Each must read exactly its own
slices, which the manifest states: whole replicated weights plus 1/k of a
weight split over k devices; for the weights the plan splits, that is 1/N
of them on a 1-D mesh of N ranks.
"""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import build_dir, compiler_diagnostics
from weft import models
from weft.config import preset
from weft.mpi import MpiNotFound, launcher
from weft.runner import Module, Runtime
from weft.safetensors import save_file

TOLERANCE = 1e-4
# (mesh, ranks, per-device memory budget forcing split weights)
MESHES = [("2xCPU", 2, "500KiB"), ("4xCPU", 4, "300KiB"), ("2x2xCPU", 4, "400KiB")]
MODEL_PARALLEL = ("column-parallel", "row-parallel", "head-parallel", "vocab-parallel", "hidden-parallel")
WEIGHTS_LINE = re.compile(r"^weights: rank (\d+) of (\d+) read (\d+) of (\d+) bytes", re.MULTILINE)
BYTES = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i32": 4, "i64": 8}


@pytest.fixture(scope="session")
def weft_run() -> Path:
    path = build_dir() / "bin" / "weft-run"
    if not path.exists():
        pytest.fail(f"{path} is not built")
    return path


def run(command: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, (f"$ {' '.join(command)}\nexit {proc.returncode}\n"
                                  + compiler_diagnostics(proc.stdout + proc.stderr))
    return proc.stdout + proc.stderr


def slice_bytes(argument: dict, mesh_shape: list[int]) -> tuple[int, int]:
    """(bytes of the whole argument, bytes of one device's slice)."""
    whole = math.prod(argument["shape"]) * BYTES[argument["dtype"]]
    devices = math.prod(math.prod(mesh_shape[a] for a in axes) for axes in argument.get("sharding", []))
    return whole, whole // devices


@pytest.mark.parametrize("family", ["gpt2", "llama"])
@pytest.mark.parametrize("mesh,ranks,budget", MESHES)
def test_sharded_model_on_ranks_matches_single_device(weft_compile: Path, weft_run: Path, runtime: Runtime,
                                                      tmp_path: Path, seed: int, family: str, mesh: str,
                                                      ranks: int, budget: str) -> None:
    try:
        prefix, env = launcher(ranks)
    except MpiNotFound as error:
        pytest.skip(str(error))
    cfg = preset(family, "tiny")
    source = tmp_path / "model.mlir"
    source.write_text(models.emit(cfg))
    weights = tmp_path / "weights.safetensors"
    save_file(models.init_weights(cfg, seed), weights, dtypes=cfg.dtype)
    ids = tmp_path / "ids.npy"
    np.save(ids, models.random_input_ids(cfg, seed + 1).astype(np.int32))

    # One device.
    single = tmp_path / "single.weft"
    run([str(weft_compile), str(source), "-o", str(single)])
    expected = tmp_path / "expected.npy"
    run([str(weft_run), f"--module={single}", f"--weights={weights}", f"--input=@{ids}",
         f"--output=@{expected}"])

    # N ranks.
    sharded = tmp_path / "sharded.weft"
    summary = tmp_path / "plan.txt"
    run([str(weft_compile), str(source), "-o", str(sharded), f"--mesh={mesh}",
         f"--memory-budget={budget}", f"--plan-summary={summary}"])
    plan = summary.read_text()
    assert any(kind in plan for kind in MODEL_PARALLEL), f"expected a plan that splits weights:\n{plan}"
    logits = tmp_path / "logits.npy"
    output = run(prefix + [str(weft_run), f"--module={sharded}", f"--weights={weights}", f"--input=@{ids}",
                           f"--output=@{logits}", f"--expected_output=@{expected}",
                           f"--expected_f32_threshold={TOLERANCE}"], env=env)
    assert "SUCCESS" in output, output

    got, want = np.load(logits).astype(np.float64), np.load(expected).astype(np.float64)
    assert got.shape == want.shape
    err = float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30))
    print(f"{family} on {mesh} ({budget}): max rel. difference from one device {err:.2e}")
    assert err <= TOLERANCE

    # Each rank read its slices and nothing else.
    with Module(sharded, runtime=runtime) as module:
        manifest = module.manifest
    mesh_shape = manifest["mesh"]["shape"]
    assert math.prod(mesh_shape) == ranks
    parts = [slice_bytes(a, mesh_shape) for a in manifest["functions"][0]["arguments"] if a["role"] == "weight"]
    split = [(w, s) for w, s in parts if s < w]
    total, own = sum(w for w, _ in parts), sum(s for _, s in parts)
    reports = {int(m[1]): (int(m[2]), int(m[3]), int(m[4])) for m in WEIGHTS_LINE.finditer(output)}
    assert sorted(reports) == list(range(ranks)), f"expected one weights line per rank:\n{output}"
    for rank, (size, read, whole) in reports.items():
        assert size == ranks and whole == total, reports
        assert read == own, f"rank {rank} read {read} bytes, its slices are {own} bytes"
    split_whole, split_own = sum(w for w, _ in split), sum(s for _, s in split)
    assert split_whole >= total // 4, f"the plan splits only {split_whole} of {total} weight bytes"
    if len(mesh_shape) == 1:
        assert split_own * ranks == split_whole
    print(f"  each rank read {own} of {total} weight bytes ({own / total:.1%}); "
          f"split weights {split_own} of {split_whole} ({split_own / split_whole:.1%})")
