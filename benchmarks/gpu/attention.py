#!/usr/bin/env python3
"""Attention forward on the GPU: Weft's kernel vs PyTorch's SDPA back ends.

Runs on the GPU machine (python3 with PyTorch and safetensors), over the
cases benchmarks/gpu/prepare.py compiled. For each case, fresh random
q, k, v (the case's dtype) go to a .safetensors file; ``weft-run
--device=cuda`` computes the attention and writes it back; the result must
match a float64 reference (PyTorch on the GPU) within a relative error of
2e-3 — max |o − ref| / max |ref|; the f16/bf16 inputs are exact in float64,
so this measures the kernel's own error — and every element finite. Timing: weft-run's device time (CUDA
events around the call, mean of --repeat runs after one warm-up) and
``torch.nn.functional.scaled_dot_product_attention`` restricted to the
FlashAttention-2 and the cuDNN back ends, and a Triton FlashAttention kernel
after Triton's fused-attention tutorial (triton_attention.py, autotuned
first, checked against the same reference) (CUDA events, same repeats).
TFLOP/s count 4·B·S²·H·D for full attention and half of it for causal.
On sm_90 bundles each case also runs the sm_80 kernel (mma.sync, compiled
with --attention-wgmma=false) beside the Hopper one (TMA, wgmma), checked
the same way.

Usage: python3 benchmarks/gpu/attention.py --bundle gpu-bundle --weft-run build-gpu/bin/weft-run
           [--repeat 10] [--json results.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))  # common, triton_attention
from common import run_weft, timed_ms  # noqa: E402

TOLERANCE = 2e-3
DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16}


def sdpa_ms(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool, backend, repeat: int) -> float | None:
    from torch.nn.attention import sdpa_kernel
    qt, kt, vt = (x.transpose(1, 2) for x in (q, k, v))  # (B, H, S, D)
    attend = lambda: torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, is_causal=causal)  # noqa: E731
    try:
        with sdpa_kernel(backend):
            return timed_ms(attend, repeat)
    except RuntimeError:
        return None  # the back end does not take this case


def triton_ms(q, k, v, causal: bool, ref: torch.Tensor, repeat: int) -> tuple[float | None, str | None]:
    """The Triton kernel's time, or None and why (not installed, wrong)."""
    try:
        from triton_attention import attention
    except ImportError as error:
        return None, f"triton: {error}"
    got = attention(q, k, v, causal)
    error = float((got.double() - ref).abs().max() / ref.abs().max())
    if not error <= TOLERANCE:
        return None, f"triton: relative error {error:.1e}"
    return timed_ms(lambda: attention(q, k, v, causal), repeat), None


def reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    qt, kt, vt = (x.transpose(1, 2).double() for x in (q, k, v))
    scores = qt @ kt.transpose(-1, -2) / qt.shape[-1] ** 0.5
    if causal:
        s = scores.shape[-1]
        scores = scores.masked_fill(torch.ones(s, s, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return (torch.softmax(scores, dim=-1) @ vt).transpose(1, 2)


def run_case(case: dict, bundle: Path, weft_run: Path, repeat: int, work: Path, timeout: float) -> dict:
    b, s, h, d = case["batch"], case["seq"], case["heads"], case["dim"]
    dtype = DTYPES[case["dtype"]]
    gen = torch.Generator(device="cuda").manual_seed(torch.seed() % 2**63)
    q, k, v = (torch.randn(b, s, h, d, device="cuda", dtype=dtype, generator=gen) for _ in range(3))
    weights = work / "qkv.safetensors"
    save_file({"q": q.cpu(), "k": k.cpu(), "v": v.cpu()}, str(weights))
    out = work / "o.npy"
    row = dict(case)
    flops = 4 * b * s * s * h * d / (2 if case["causal"] else 1)
    result, weft_ms, error = run_weft(weft_run, bundle / "attention" / (case["name"] + ".weft"), weights, out,
                                      repeat, timeout)
    if error:
        row["error"] = error
        return row
    got = torch.from_numpy(result.astype(np.float64)).cuda()
    ref = reference(q, k, v, case["causal"])
    row["rel_error"] = float((got - ref).abs().max() / ref.abs().max())
    row["finite"] = bool(torch.isfinite(got).all())
    row["weft_ms"] = weft_ms
    # On sm_90 bundles, the sm_80 kernel (mma.sync) beside the Hopper one.
    mma = bundle / "attention" / (case["name"] + ".mma.weft")
    if mma.exists():
        result, mma_ms, error = run_weft(weft_run, mma, weights, out, repeat, timeout)
        if error:
            row["mma_error"] = error
        else:
            mma_got = torch.from_numpy(result.astype(np.float64)).cuda()
            row["mma_rel_error"] = float((mma_got - ref).abs().max() / ref.abs().max())
            row["mma_ms"] = mma_ms
    from torch.nn.attention import SDPBackend
    row["flash2_ms"] = sdpa_ms(q, k, v, case["causal"], SDPBackend.FLASH_ATTENTION, repeat)
    row["cudnn_ms"] = sdpa_ms(q, k, v, case["causal"], SDPBackend.CUDNN_ATTENTION, repeat)
    row["triton_ms"], note = triton_ms(q, k, v, case["causal"], ref, repeat)
    if note:
        row["triton_note"] = note
    for key in ("weft", "mma", "flash2", "cudnn", "triton"):
        ms = row.get(f"{key}_ms")
        row[f"{key}_tflops"] = flops / (ms * 1e-3) / 1e12 if ms else None
    return row


def markdown(rows: list[dict], device: str, repeat: int) -> str:
    import datetime
    fmt = lambda x: f"{x:.1f}" if x else "–"  # noqa: E731
    lines = [f"Attention forward on {device}, {datetime.date.today().isoformat()} "
             f"(B·S = 16k, H·D = 2048; TFLOP/s, mean of {repeat} runs after a warm-up; "
             f"relative error vs float64):", "",
             "| dtype | D | causal | S | error | Weft | Weft mma.sync | SDPA FA2 | SDPA cuDNN | Triton "
             "| Weft / FA2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["dtype"], r["dim"], r["causal"], r["seq"])):
        ratio = (f"{r['weft_tflops'] / r['flash2_tflops']:.2f}"
                 if r.get("weft_tflops") and r.get("flash2_tflops") else "–")
        error = f"{r['rel_error']:.1e}" if "rel_error" in r else r.get("error", ["–"])[0]
        lines.append(f"| {r['dtype']} | {r['dim']} | {'yes' if r['causal'] else 'no'} | {r['seq']} | {error} | "
                     f"{fmt(r.get('weft_tflops'))} | {fmt(r.get('mma_tflops'))} | "
                     f"{fmt(r.get('flash2_tflops'))} | "
                     f"{fmt(r.get('cudnn_tflops'))} | {fmt(r.get('triton_tflops'))} | {ratio} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--weft-run", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path,
                        help="also write the table as Markdown with the device and date (docs/benchmarks.md)")
    parser.add_argument("--max-seconds", type=float, default=60,
                        help="per case; a case that takes longer skips the longer sequences of its kind")
    args = parser.parse_args()
    cases = json.loads((args.bundle / "attention" / "cases.json").read_text())
    rows, failed = [], 0
    too_slow: set[tuple] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for case in sorted(cases, key=lambda c: c["seq"]):
            kind = (case["dtype"], case["dim"], case["causal"])
            if kind in too_slow:
                print(f"{case['name']:24} skipped: a shorter sequence of this kind timed out", flush=True)
                continue
            row = run_case(case, args.bundle, args.weft_run, args.repeat, Path(tmp), args.max_seconds)
            if "timed out" in str(row.get("error", "")):
                too_slow.add(kind)
            # Both kernels of an sm_90 bundle must pass.
            ok = ("error" not in row and row["finite"] and row["rel_error"] <= TOLERANCE
                  and "mma_error" not in row and row.get("mma_rel_error", 0.0) <= TOLERANCE)
            failed += not ok
            row["ok"] = ok
            rows.append(row)
            fmt = lambda x: f"{x:8.1f}" if x else "       -"  # noqa: E731
            print(f"{row['name']:24} {'ok ' if ok else 'BAD'} err {row.get('rel_error', float('nan')):.1e} "
                  f"TFLOP/s weft {fmt(row.get('weft_tflops'))} mma.sync {fmt(row.get('mma_tflops'))} "
                  f"flash2 {fmt(row.get('flash2_tflops'))} "
                  f"cudnn {fmt(row.get('cudnn_tflops'))} triton {fmt(row.get('triton_tflops'))}"
                  + (f"  {row['error']}" if "error" in row else "")
                  + (f"  mma.sync: {row['mma_error']}" if "mma_error" in row else "")
                  + (f"  mma.sync err {row['mma_rel_error']:.1e}" if "mma_rel_error" in row else "")
                  + (f"  ({row['triton_note']})" if "triton_note" in row else ""),
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps({"device": torch.cuda.get_device_name(), "rows": rows}, indent=1))
    if args.markdown:
        args.markdown.write_text(markdown(rows, torch.cuda.get_device_name(), args.repeat))
    print(f"attention: {len(rows) - failed} of {len(rows)} cases within {TOLERANCE} of float64")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
