"""What the GPU benchmarks share: CUDA-event timing and one weft-run call.

Imported by attention.py and linear.py (which put this folder on sys.path).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import torch


def timed_ms(fn, repeat: int) -> float:
    """Mean milliseconds of `fn` over `repeat` runs after one warm-up (CUDA events)."""
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeat):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / repeat


def run_weft(weft_run: Path, module: Path, weights: Path, out: Path, repeat: int,
             timeout: float) -> tuple[np.ndarray | None, float | None, list[str] | None]:
    """Runs `module` on the GPU with `weights` bound by name: (output, mean device ms, None), or
    (None, None, the error's last line) when it fails or takes longer than `timeout` seconds."""
    try:
        proc = subprocess.run([str(weft_run), f"--module={module}", "--device=cuda", f"--weights={weights}",
                               f"--output=@{out}", f"--repeat={repeat}", "--print_max_element_count=0"],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, [f"timed out after {timeout:.0f} s"]
    if proc.returncode != 0:
        return None, None, (proc.stdout + proc.stderr).strip().splitlines()[-1:]
    found = re.search(r"time: mean ([0-9.]+) ms", proc.stdout)
    return np.load(out), float(found.group(1)) if found else None, None
