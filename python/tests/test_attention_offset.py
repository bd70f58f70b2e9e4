"""``xf.attention`` with ``causal_offset``: a block of the queries attends as
the same rows of the whole sequence do.

This is how a device that holds one block of a sequence-split causal
attention computes its rows (``xf-partition`` passes the block's start plus
``Skv - Sq``). Each case compiles the block with a constant offset and
compares it, in f32, with rows ``[start, start + block)`` of a float64 NumPy
causal attention over the whole sequence. The tolerance is the f32 one the
other attention tests use (1e-5 relative: one online-softmax pass in f32).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import compiler_diagnostics
from weft import reference
from weft.runner import Module, Runtime

SEQ, BLOCK, HEADS, KV_HEADS, DIM = 24, 8, 4, 2, 16
TOLERANCE = 1e-5


def _module(offset: int) -> str:
    q = f"tensor<1x{BLOCK}x{HEADS}x{DIM}xf32>"
    kv = f"tensor<1x{SEQ}x{KV_HEADS}x{DIM}xf32>"
    return f"""
func.func @block(%q: {q} {{xf.name = "q"}}, %k: {kv} {{xf.name = "k"}}, %v: {kv} {{xf.name = "v"}})
    -> ({q} {{xf.name = "out"}}) {{
  %offset = arith.constant {offset} : index
  %o = xf.attention %q, %k, %v causal causal_offset(%offset) : ({q}, {kv}, {kv}, index) -> {q}
  return %o : {q}
}}
"""


@pytest.mark.parametrize("start", [0, 8, 16])
@pytest.mark.parametrize("block_kv", [5, 64])
def test_query_block_matches_rows_of_the_whole(weft_compile: Path, runtime: Runtime, tmp_path: Path,
                                               rng: np.random.Generator, start: int, block_kv: int) -> None:
    source = tmp_path / "block.mlir"
    source.write_text(_module(start))  # Skv == Sq: the diagonal offset is the block's start
    artifact = tmp_path / "block.weft"
    proc = subprocess.run([str(weft_compile), str(source), "-o", str(artifact),
                           "--attention-block-q=4", f"--attention-block-kv={block_kv}"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, compiler_diagnostics(proc.stderr)

    q = rng.standard_normal((1, SEQ, HEADS, DIM)).astype(np.float32)
    k = rng.standard_normal((1, SEQ, KV_HEADS, DIM)).astype(np.float32)
    v = rng.standard_normal((1, SEQ, KV_HEADS, DIM)).astype(np.float32)
    with Module(artifact, runtime=runtime) as m:
        (out,) = m.run("block", {"q": q[:, start:start + BLOCK], "k": k, "v": v})
    whole = reference.attention(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), causal=True)
    err = reference.max_rel_error(out, whole[:, start:start + BLOCK])
    assert err <= TOLERANCE, f"rows {start}..{start + BLOCK}: max rel error {err:.3e} > {TOLERANCE}"


def test_rows_that_see_no_key_are_zero(weft_compile: Path, runtime: Runtime, tmp_path: Path,
                                       rng: np.random.Generator) -> None:
    # Offset -4: rows 0..3 see no key (zeros), row i >= 4 sees keys 0..i-4.
    source = tmp_path / "early.mlir"
    source.write_text(_module(-4))
    artifact = tmp_path / "early.weft"
    proc = subprocess.run([str(weft_compile), str(source), "-o", str(artifact)], capture_output=True, text=True)
    assert proc.returncode == 0, compiler_diagnostics(proc.stderr)
    q = rng.standard_normal((1, BLOCK, HEADS, DIM)).astype(np.float32)
    k = rng.standard_normal((1, SEQ, KV_HEADS, DIM)).astype(np.float32)
    v = rng.standard_normal((1, SEQ, KV_HEADS, DIM)).astype(np.float32)
    with Module(artifact, runtime=runtime) as m:
        (out,) = m.run("block", {"q": q, "k": k, "v": v})
    assert np.all(out[:, :4] == 0), "rows that see no key must be zero"
    # Row i (>= 4) attends like row i - 4 of a causal attention over keys 0..
    expected = reference.attention(q[:, 4:].astype(np.float64), k[:, :BLOCK - 4].astype(np.float64),
                                   v[:, :BLOCK - 4].astype(np.float64), causal=True)
    err = reference.max_rel_error(out[:, 4:], expected)
    assert err <= TOLERANCE, f"max rel error {err:.3e} > {TOLERANCE}"
