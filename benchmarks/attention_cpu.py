#!/usr/bin/env python3
"""Attention on the CPU: Weft's FlashAttention loop nest vs a naive graph vs PyTorch.

For B=1, H=8, D=64, f32 and each sequence length S, three implementations
compute softmax(Q·Kᵀ/√D)·V on the same fresh random inputs:

* ``weft-flash``: ``xf.attention`` compiled by weft-compile (the online-softmax
  loop nest of xf-lower-attention, parallel over heads and query blocks);
* ``weft-naive``: the same attention written as ``xf.matmul`` (Q·Kᵀ),
  ``xf.softmax`` and ``xf.matmul`` (·V), compiled by the same compiler: it
  materializes the S×S scores;
* ``torch-math``: PyTorch's attention math (``softmax(Q @ Kᵀ * scale) @ V``).

Each implementation runs in a fresh process. It records its peak resident
set (``ru_maxrss``), makes a first call and reports the growth of that peak
as the call's working memory (inputs copied in, outputs, temporaries); then
it times ``--repeat`` more calls and reports the fastest. Outputs are
compared with torch's (max abs difference).

Usage:
  WEFT_BUILD_DIR=build /usr/bin/python3 benchmarks/attention_cpu.py \
      [--sizes 512 1024 2048 4096] [--repeat 3] [--write docs/benchmarks.md]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import cpu_name, write_section  # noqa: E402  (beside this script)

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("WEFT_BUILD_DIR", ROOT / "build"))
B, H, D = 1, 8, 64


def flash_graph(s: int) -> str:
    t = f"tensor<{B}x{s}x{H}x{D}xf32>"
    return (f"func.func @attention(%q: {t}, %k: {t}, %v: {t}) -> {t} {{\n"
            f"  %o = xf.attention %q, %k, %v : ({t}, {t}, {t}) -> {t}\n"
            f"  return %o : {t}\n}}\n")


def naive_graph(s: int) -> str:
    t = f"tensor<{B}x{s}x{H}x{D}xf32>"
    th = f"tensor<{B}x{H}x{s}x{D}xf32>"
    ts = f"tensor<{B}x{H}x{s}x{s}xf32>"
    scale = 1.0 / D ** 0.5
    return f"""func.func @attention(%q: {t}, %k: {t}, %v: {t}) -> {t} {{
  %qh = xf.transpose %q permutation = [0, 2, 1, 3] : ({t}) -> {th}
  %kh = xf.transpose %k permutation = [0, 2, 1, 3] : ({t}) -> {th}
  %vh = xf.transpose %v permutation = [0, 2, 1, 3] : ({t}) -> {th}
  %s = xf.matmul %qh, %kh transpose_rhs : ({th}, {th}) -> {ts}
  %c = arith.constant dense<{scale:.17e}> : tensor<1xf32>
  %ss = xf.mul %s, %c : ({ts}, tensor<1xf32>) -> {ts}
  %p = xf.softmax %ss dim = 3 : ({ts}) -> {ts}
  %oh = xf.matmul %p, %vh : ({ts}, {th}) -> {th}
  %o = xf.transpose %oh permutation = [0, 2, 1, 3] : ({th}) -> {t}
  return %o : {t}
}}
"""


# Runs in a child process: prints one JSON line.
CHILD = r"""
import json, resource, sys, time
import numpy as np

kind, s, repeat, artifact = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(int(sys.argv[5]))
q, k, v = (rng.standard_normal((1, s, 8, 64)).astype(np.float32) for _ in range(3))
if kind == "torch-math":
    import torch
    torch.set_num_threads(max(1, len(__import__("os").sched_getaffinity(0))))
    Q, K, V = (torch.from_numpy(a).transpose(1, 2) for a in (q, k, v))
    def call():
        return (torch.softmax(Q @ K.transpose(-1, -2) * (1 / 8.0), -1) @ V).transpose(1, 2).numpy()
else:
    from weft.runner import Module
    module = Module(artifact)
    def call():
        return module.run("attention", [q, k, v])[0]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter(); out = call(); first = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(repeat):
    t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
np.save(sys.argv[6], out)
print(json.dumps({"ms": 1e3 * min(times + [first]), "peak_mib": (peak - before) / 1024}))
"""


def run_child(kind: str, s: int, repeat: int, artifact: str, seed: int, out: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), WEFT_BUILD_DIR=str(BUILD))
    proc = subprocess.run([sys.executable, "-c", CHILD, kind, str(s), str(repeat), artifact,
                           str(seed), out], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} S={s} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", type=Path, help="update this markdown file's CPU attention section")
    args = parser.parse_args()
    import numpy as np

    seed = int.from_bytes(os.urandom(4), "little")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in args.sizes:
            arts = {}
            for kind, graph in (("weft-flash", flash_graph), ("weft-naive", naive_graph)):
                src, art = Path(tmp, f"{kind}-{s}.mlir"), Path(tmp, f"{kind}-{s}.weft")
                src.write_text(graph(s))
                subprocess.run([str(BUILD / "bin" / "weft-compile"), str(src), "-o", str(art)], check=True)
                arts[kind] = str(art)
            results, outs = {}, {}
            for kind in ("weft-flash", "weft-naive", "torch-math"):
                outs[kind] = str(Path(tmp, f"{kind}-{s}.npy"))
                results[kind] = run_child(kind, s, args.repeat, arts.get(kind, ""), seed, outs[kind])
            ref = np.load(outs["torch-math"])
            for kind in results:
                results[kind]["max_abs_diff"] = float(np.abs(np.load(outs[kind]) - ref).max())
            rows.append((s, results))
            flops = 4 * B * H * s * s * D
            for kind, r in results.items():
                print(f"S={s:5d} {kind:11s} {r['ms']:9.1f} ms {flops / r['ms'] / 1e6:7.1f} GFLOP/s "
                      f"peak +{r['peak_mib']:8.1f} MiB  |diff| {r['max_abs_diff']:.1e}", flush=True)

    machine = f"{cpu_name()}, {os.cpu_count()} cores"
    date = datetime.date.today().isoformat()
    lines = [f"Machine: {machine}. Date: {date}. B={B}, H={H}, D={D}, f32, non-causal; "
             f"best of {args.repeat + 1} calls; seed {seed}.", "",
             "| S | weft-flash ms | weft-naive ms | torch-math ms | weft-flash GFLOP/s "
             "| weft-flash peak MiB | weft-naive peak MiB | torch-math peak MiB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s, r in rows:
        flops = 4 * B * H * s * s * D
        lines.append(f"| {s} | {r['weft-flash']['ms']:.1f} | {r['weft-naive']['ms']:.1f} | "
                     f"{r['torch-math']['ms']:.1f} | {flops / r['weft-flash']['ms'] / 1e6:.1f} | "
                     f"{r['weft-flash']['peak_mib']:.1f} | {r['weft-naive']['peak_mib']:.1f} | "
                     f"{r['torch-math']['peak_mib']:.1f} |")
    table = "\n".join(lines)
    print("\n" + table)
    if args.write:
        write_section(args.write, "attention-cpu", table, "Attention on the CPU",
                      "`benchmarks/attention_cpu.py`")

if __name__ == "__main__":
    main()
