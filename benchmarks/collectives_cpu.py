#!/usr/bin/env python3
"""Collectives on the CPU: the runtime's MPI back end against the alpha-beta model.

For 2 and 4 ranks (one mesh axis, one process per device, started by
mpirun) and f32 tensors of 1 KiB to 64 MiB, ``weft-collectives-test
--benchmark`` times all_reduce, all_gather, reduce_scatter and all_to_all
through the runtime's C API (the slowest rank's mean per call, repeated for
about --seconds per size after a warm-up call). Sizes are the whole tensor:
all_reduce's and reduce_scatter's input, all_gather's output, all_to_all's
buffer.

Each time is set beside the cost model's prediction (lib/Sharding's
alpha-beta formulas, n ranks, B bytes):

* all_reduce (ring): 2(n-1)/n * B / bw + 2(n-1) * alpha
* the others:          (n-1)/n * B / bw +  (n-1) * alpha

once with the CPU preset's link (as weft-opt resolves the preset) and once with
alpha and bw fitted to the measurements by least squares on relative
residuals (so that microsecond and 100-millisecond calls weigh alike). The
fit's error is its RMS and largest relative residual.

Usage:
  WEFT_BUILD_DIR=build /usr/bin/python3 benchmarks/collectives_cpu.py \\
      [--ranks 2 4] [--max-bytes 67108864] [--seconds 0.2] [--write docs/benchmarks.md]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import cpu_name, write_section  # noqa: E402  (beside this script)

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("WEFT_BUILD_DIR", ROOT / "build"))
COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all")


def preset_link() -> tuple[float, float]:
    """(bandwidth B/s, latency s) of the CPU preset, as weft-opt resolves it."""
    weft_opt = BUILD / "bin" / "weft-opt"
    proc = subprocess.run([str(weft_opt), "-", "--mlir-print-op-generic"],
                          input='mesh.mesh @m(preset = "2xCPU")', capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cannot resolve the CPU preset with {weft_opt}: {proc.stderr.strip()}")
    match = re.search(r"#mesh\.link<bandwidth = ([0-9.e+-]+), latency = ([0-9.e+-]+)>", proc.stdout)
    if not match:
        raise SystemExit(f"no link in weft-opt's CPU preset:\n{proc.stdout}")
    return float(match.group(1)), float(match.group(2))


def coefficients(collective: str, n: int) -> tuple[float, float]:
    """(bytes factor, latency steps) of the alpha-beta formula."""
    if collective == "all_reduce":
        return 2 * (n - 1) / n, 2 * (n - 1)
    return (n - 1) / n, n - 1


def predict(row: dict, bandwidth: float, latency: float) -> float:
    factor, steps = coefficients(row["collective"], row["ranks"])
    return factor * row["bytes"] / bandwidth + steps * latency


def run(ranks: int, max_bytes: int, seconds: float) -> list[dict]:
    """Runs the benchmark under mpirun; the JSON lines rank 0 prints."""
    mpirun = shutil.which("mpirun")
    if not mpirun:
        sys.exit("error: mpirun not found (Debian: openmpi-bin)")
    program = BUILD / "bin" / "weft-collectives-test"
    if not program.exists():
        sys.exit(f"error: {program} not found: build weft-collectives-test first")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = [mpirun, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
               "-np", str(ranks), str(program), f"--mesh={ranks}",
               f"--benchmark={max_bytes}", f"--benchmark-seconds={seconds}"]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed:\n{out.stdout}{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def fit(rows: list[dict]) -> tuple[float, float, float, float]:
    """Least-squares alpha and bw on relative residuals: (bw, alpha, rms, max).

    Solves sum_i (predict_i / t_i - 1)^2 for (1/bw, alpha), linear in both;
    a negative solution for one is clamped to zero and the other refitted.
    """
    a = np.array([[coefficients(r["collective"], r["ranks"])[0] * r["bytes"] / r["seconds"],
                   coefficients(r["collective"], r["ranks"])[1] / r["seconds"]] for r in rows])
    ones = np.ones(len(rows))
    (inverse_bw, alpha), *_ = np.linalg.lstsq(a, ones, rcond=None)
    if inverse_bw <= 0:
        inverse_bw, alpha = 1e-30, float(np.linalg.lstsq(a[:, 1:], ones, rcond=None)[0][0])
    elif alpha < 0:
        inverse_bw, alpha = float(np.linalg.lstsq(a[:, :1], ones, rcond=None)[0][0]), 0.0
    residuals = a @ np.array([inverse_bw, alpha]) - ones
    return 1 / inverse_bw, alpha, float(np.sqrt(np.mean(residuals ** 2))), float(np.max(np.abs(residuals)))


def size_name(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


def describe_fit(label: str, result: tuple[float, float, float, float]) -> str:
    bw, alpha, rms, worst = result
    return (f"{label}: alpha = {alpha * 1e6:.2f} us, bw = {bw / 1e9:.2f} GB/s "
            f"(relative error RMS {rms:.0%}, max {worst:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--max-bytes", type=int, default=64 << 20)
    parser.add_argument("--seconds", type=float, default=0.2, help="time per size and collective")
    parser.add_argument("--write", type=Path, help="update this markdown file's collectives section")
    args = parser.parse_args()

    preset_bandwidth, preset_latency = preset_link()
    load = os.getloadavg()[0]
    rows: list[dict] = []
    for ranks in args.ranks:
        print(f"== {ranks} ranks", file=sys.stderr)
        rows += run(ranks, args.max_bytes, args.seconds)

    joint = fit(rows)
    fits = [describe_fit("all rows", joint)]
    for ranks in args.ranks:
        fits.append(describe_fit(f"{ranks} ranks", fit([r for r in rows if r["ranks"] == ranks])))
    bw, alpha = joint[0], joint[1]

    lines = ["| collective | ranks | size | measured us | preset model us | fitted model us | fitted / measured |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        preset = predict(r, preset_bandwidth, preset_latency)
        fitted = predict(r, bw, alpha)
        lines.append(f"| {r['collective']} | {r['ranks']} | {size_name(r['bytes'])} | "
                     f"{r['seconds'] * 1e6:.1f} | {preset * 1e6:.1f} | {fitted * 1e6:.1f} | "
                     f"{fitted / r['seconds']:.2f} |")
    version = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout.splitlines()
    header = (f"Machine: {cpu_name()}, {os.cpu_count()} cores, load average {load:.1f} at the start. "
              f"Date: {datetime.date.today().isoformat()}. {version[0] if version else 'MPI'}; "
              f"f32, one mesh axis, mean of repeated calls, slowest rank.\n\n"
              "Fitted link (least squares on relative error): " + "; ".join(fits) + ". "
              f"CPU preset: alpha = {preset_latency * 1e6:.2f} us, bw = {preset_bandwidth / 1e9:.2f} GB/s.")
    table = header + "\n\n" + "\n".join(lines)
    print(table)

    if args.write:
        write_section(args.write, "collectives-cpu", table, "Collectives on the CPU",
                      "`benchmarks/collectives_cpu.py`")

if __name__ == "__main__":
    main()
