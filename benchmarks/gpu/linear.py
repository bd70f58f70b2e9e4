#!/usr/bin/env python3
"""Linear layers on tensor cores: Weft's fused GEMM vs cuBLAS through PyTorch.

Runs on the GPU machine (python3 with PyTorch and safetensors), over the
cases benchmarks/gpu/prepare.py compiled (``linear/cases.json``): one
``xf.linear`` (weight ``[K, N]``) with its epilogue per case, for GPT-2 and
Llama layer shapes at M = 4096 and 16384 tokens, in f16 and bf16.

For each case, fresh random inputs (seeded per case; x ~ N(0, 1), weight
~ N(0, 1/K), bias and residual ~ N(0, 1)) go to a .safetensors file;
``weft-run --device=cuda`` computes the layer and writes it back. The result
must match a float64 reference of the same chain (PyTorch on the GPU, no
intermediate rounding) within a relative error max |y − ref| / max |ref| of
2e-3 for f16 and 1.6e-2 for bf16 — about four units in the last place of
the output type, room for the roundings the op chain itself performs — and
every element must be finite. The error of PyTorch's own chain in the same
type is reported beside it.

Timing: weft-run's device time (CUDA events around the call, mean of
--repeat runs after one warm-up) against ``torch.matmul(x, w)`` alone
(cuBLAS, no epilogue) and against ``F.linear`` plus the epilogue as PyTorch
runs it unfused (CUDA events, same repeats). TFLOP/s count 2·M·N·K.

Usage: python3 benchmarks/gpu/linear.py --bundle gpu-bundle --weft-run build-gpu/bin/weft-run
           [--repeat 20] [--json linear.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_weft, timed_ms  # noqa: E402

TOLERANCE = {"f16": 2e-3, "bf16": 1.6e-2}
DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16}


def epilogue(y: torch.Tensor, case: dict, b: torch.Tensor | None, r: torch.Tensor | None,
             round_to: torch.dtype | None = None) -> torch.Tensor:
    """The case's chain after the product; `round_to` rounds where the op chain does."""
    rnd = (lambda t: t.to(round_to).to(y.dtype)) if round_to else (lambda t: t)
    if b is not None:
        y = y + b
    act = case["activation"]
    if act:
        y = rnd(y)
        y = F.gelu(y, approximate="tanh") if act == "gelu_tanh" else F.silu(y)
    if r is not None:
        y = rnd(y) + r
    return y


def run_case(case: dict, bundle: Path, weft_run: Path, repeat: int, work: Path, timeout: float, seed: int) -> dict:
    m, k, n = case["m"], case["k"], case["n"]
    dtype = DTYPES[case["dtype"]]
    gen = torch.Generator(device="cuda").manual_seed(seed)
    x = torch.randn(m, k, device="cuda", dtype=dtype, generator=gen)
    w = (torch.randn(k, n, device="cuda", dtype=torch.float32, generator=gen) / k ** 0.5).to(dtype)
    tensors = {"x": x, "w": w}
    b = r = None
    if case["bias"]:
        b = tensors["b"] = torch.randn(n, device="cuda", dtype=dtype, generator=gen)
    if case["residual"]:
        r = tensors["r"] = torch.randn(m, n, device="cuda", dtype=dtype, generator=gen)
    weights = work / "inputs.safetensors"
    save_file({name: t.cpu() for name, t in tensors.items()}, str(weights))
    out = work / "y.npy"
    row = dict(case)
    flops = 2 * m * n * k
    result, weft_ms, error = run_weft(weft_run, bundle / "linear" / (case["name"] + ".weft"), weights, out,
                                      repeat, timeout)
    if error:
        row["error"] = error
        return row
    got = torch.from_numpy(result.astype(np.float64)).cuda().reshape(m, n)
    ref = epilogue(x.double() @ w.double(), case, None if b is None else b.double(),
                   None if r is None else r.double())
    scale = ref.abs().max()
    row["rel_error"] = float((got - ref).abs().max() / scale)
    row["finite"] = bool(torch.isfinite(got).all())
    torch_chain = lambda: epilogue(F.linear(x, w.t(), b), case, None, r)  # noqa: E731
    row["torch_rel_error"] = float((torch_chain().double() - ref).abs().max() / scale)
    row["weft_ms"] = weft_ms
    row["cublas_ms"] = timed_ms(lambda: torch.matmul(x, w), repeat)
    row["torch_chain_ms"] = timed_ms(torch_chain, repeat)
    for key in ("weft", "cublas", "torch_chain"):
        ms = row.get(f"{key}_ms")
        row[f"{key}_tflops"] = flops / (ms * 1e-3) / 1e12 if ms else None
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--weft-run", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--max-seconds", type=float, default=120, help="per case")
    args = parser.parse_args()
    cases = json.loads((args.bundle / "linear" / "cases.json").read_text())
    rows, failed = [], 0
    print(f"{'case':34} {'':3} {'err':>8} {'torch':>8}   TFLOP/s {'weft':>7} {'cuBLAS':>7} {'torch chain':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for index, case in enumerate(cases):
            row = run_case(case, args.bundle, args.weft_run, args.repeat, Path(tmp), args.max_seconds,
                           seed=1000 + index)
            ok = "error" not in row and row["finite"] and row["rel_error"] <= TOLERANCE[case["dtype"]]
            failed += not ok
            row["ok"] = ok
            rows.append(row)
            fmt = lambda v: f"{v:7.1f}" if v else "      -"  # noqa: E731
            print(f"{row['name']:34} {'ok ' if ok else 'BAD'} {row.get('rel_error', float('nan')):8.1e} "
                  f"{row.get('torch_rel_error', float('nan')):8.1e}           {fmt(row.get('weft_tflops'))} "
                  f"{fmt(row.get('cublas_tflops'))} {fmt(row.get('torch_chain_tflops')):>11}"
                  + (f"  {row['error']}" if "error" in row else ""), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"device": torch.cuda.get_device_name(), "tolerance": TOLERANCE,
                                         "rows": rows}, indent=1))
    print(f"linear: {len(rows) - failed} of {len(rows)} cases within tolerance of float64")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
