#!/usr/bin/env python3
"""Auto-sharding solve time: xf-auto-shard on published model sizes and H100 meshes.

Builds the graphs of GPT-2 124M, Llama 2 70B and GPT-3 175B with
``python3 -m weft.build --graph-only`` (no weights), then, for each model and
each mesh preset (8xH100-NVLink, 2x4xH100-IB, 2x8xH100-IB, 8x8xH100-IB), runs

  weft-opt model.mlir --xf-auto-shard="mesh=<preset> time-limit=<T>
      tie-layers=<true|false> plan-report=<dir>/plan.json" -o /dev/null

with tied layers (T = 10 s) and, for GPT-2, also untied (T = 60 s). Each
call is timed from the outside (wall time: parse, ILP build, solve, rewrite)
and its plan report read back: ILP size, solver status and gap, the plan's
modelled step time and its compute, communication and per-device peak
memory. The goal is a wall time within 10 s tied and 60 s untied. A call
that fails gives a row with the first line of its error; the rest still run.

Usage:
  /usr/bin/python3 benchmarks/auto_shard.py [--weft-opt build/bin/weft-opt]
      [--models gpt2-124m llama2-70b gpt3-175b] [--meshes 8xH100-NVLink ...]
      [--keep DIR] [--write docs/benchmarks.md]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (beside this script)
from report import cpu_name, markers, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# (preset, family), in table order.
MODELS: dict[str, str] = {"gpt2-124m": "gpt2", "llama2-70b": "llama", "gpt3-175b": "gpt2"}
MESHES: tuple[str, ...] = ("8xH100-NVLink", "2x4xH100-IB", "2x8xH100-IB", "8x8xH100-IB")
# The models also solved with untied layers (one ILP over every layer).
UNTIED_MODELS: tuple[str, ...] = ("gpt2-124m",)
# Wall-time goals, seconds, by tie-layers; also the default solver time limits.
GOAL_S: dict[bool, float] = {True: 10.0, False: 60.0}

SECTION = "auto-shard"
BEGIN, END = markers(SECTION)
COLUMNS: tuple[str, ...] = ("model", "mesh", "tied", "ops", "ILP nodes", "variables", "status", "gap", "solve s",
                            "total wall s", "plan ms", "compute ms", "comm ms", "peak GiB/device", "goal")


@dataclass
class Row:
    """One weft-opt call: what was asked, how long it took, and the plan report or the error."""

    model: str
    mesh: str
    tied: bool
    wall_s: float | None = None
    plan: dict[str, Any] | None = None
    error: str | None = None

    @property
    def goal_s(self) -> float:
        return GOAL_S[self.tied]

    @property
    def goal_met(self) -> bool:
        return self.error is None and self.wall_s is not None and self.wall_s <= self.goal_s


def first_error_line(text: str, limit: int = 120) -> str:
    """The first line of ``text`` that mentions an error, else its first non-empty line, shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    picked = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "no output")
    return picked if len(picked) <= limit else picked[:limit - 1] + "…"


def check_plan(plan: Any) -> dict[str, Any]:
    """``plan`` if it has the fields the table reads; ``ValueError`` naming the first missing one."""
    need = {"mesh": ("name",),
            "solver": ("status", "objective_ms", "gap", "solve_seconds", "variables"),
            "graph": ("ops", "nodes"),
            "totals": ("compute_ms", "communication_ms", "peak_memory_bytes")}
    if not isinstance(plan, Mapping):
        raise ValueError(f"expected a JSON object, got {type(plan).__name__}")
    for section, keys in need.items():
        if not isinstance(plan.get(section), Mapping):
            raise ValueError(f"no {section!r} object")
        for key in keys:
            if key not in plan[section]:
                raise ValueError(f"no {section}.{key}")
    return dict(plan)


def auto_shard_option(mesh: str, time_limit: float, tied: bool, plan_path: Path) -> str:
    """The ``--xf-auto-shard=...`` argument (one argv entry: no shell quoting)."""
    report = str(plan_path)
    if any(c.isspace() for c in report):
        report = f'"{report}"'
    return (f"--xf-auto-shard=mesh={mesh} time-limit={time_limit:g} tie-layers={'true' if tied else 'false'} "
            f"plan-report={report}")


def run_case(weft_opt: Path, graph: Path, model: str, mesh: str, tied: bool, time_limit: float, work: Path,
             timeout: float) -> Row:
    """Runs one weft-opt call and reads its plan report; never raises for a failed call."""
    row = Row(model, mesh, tied)
    run_dir = work / f"{model}-{mesh}-{'tied' if tied else 'untied'}"
    run_dir.mkdir(parents=True, exist_ok=True)
    plan_path = run_dir / "plan.json"
    plan_path.unlink(missing_ok=True)
    cmd = [str(weft_opt), str(graph), auto_shard_option(mesh, time_limit, tied, plan_path), "-o", os.devnull]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        row.wall_s = time.perf_counter() - start
        row.error = f"timed out after {timeout:g} s"
        return row
    except OSError as e:
        row.error = f"cannot run {weft_opt}: {e.strerror or e}"
        return row
    row.wall_s = time.perf_counter() - start
    (run_dir / "stderr.txt").write_text(proc.stderr)
    if proc.returncode != 0:
        row.error = f"exit {proc.returncode}: {first_error_line(proc.stderr or proc.stdout)}"
        return row
    try:
        row.plan = check_plan(json.loads(plan_path.read_text()))
    except (OSError, ValueError) as e:
        row.error = f"bad plan report {plan_path.name}: {first_error_line(str(e))}"
    return row


def _fmt(x: Any, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def row_cells(row: Row) -> list[str]:
    """The table cells of ``row``, in ``COLUMNS`` order."""
    head = [row.model, row.mesh, "yes" if row.tied else "no"]
    wall = _fmt(row.wall_s, ".2f")
    if row.error is not None or row.plan is None:
        reason = (row.error or "no plan").replace("|", "\\|")
        return head + ["—", "—", "—", f"failed: {reason}", "—", "—", wall, "—", "—", "—", "—", "—"]
    solver, graph, totals = row.plan["solver"], row.plan["graph"], row.plan["totals"]
    gap = solver.get("gap")
    return head + [
        str(graph["ops"]), str(graph["nodes"]), str(solver["variables"]), str(solver["status"]),
        _fmt(gap, ".3g"),
        _fmt(solver["solve_seconds"], ".2f"), wall,
        _fmt(solver["objective_ms"], ".2f"), _fmt(totals["compute_ms"], ".2f"),
        _fmt(totals["communication_ms"], ".2f"), _fmt(totals["peak_memory_bytes"] / 2**30, ".2f"),
        f"{'met' if row.goal_met else 'missed'} (≤ {row.goal_s:g} s)",
    ]


def table_lines(rows: Sequence[Row]) -> list[str]:
    """A markdown table of ``rows``."""
    numeric = {"ops", "ILP nodes", "variables", "gap", "solve s", "total wall s", "plan ms", "compute ms",
               "comm ms", "peak GiB/device"}
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---:" if c in numeric else "---" for c in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in rows]
    return lines


def git_commit() -> str:
    try:
        proc = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=10)
        return proc.stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def build_graphs(models: Sequence[str], out: Path) -> dict[str, Path]:
    """``python3 -m weft.build <family> --preset <model> --graph-only`` for each model; its model.mlir."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    graphs = {}
    for model in models:
        out_dir = out / model
        proc = subprocess.run([sys.executable, "-m", "weft.build", MODELS[model], "--preset", model, "--graph-only",
                               "--out", str(out_dir)], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"weft.build {model} failed:\n{proc.stderr}")
        graphs[model] = out_dir / "model.mlir"
    return graphs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weft-opt", type=Path, default=ROOT / "build" / "bin" / "weft-opt",
                        help="weft-opt binary (default: build/bin/weft-opt)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--meshes", nargs="+", default=list(MESHES), help="mesh presets (default: %(default)s)")
    parser.add_argument("--time-limit-tied", type=float, default=GOAL_S[True],
                        help="solver time limit with tied layers, seconds (default: %(default)g)")
    parser.add_argument("--time-limit-untied", type=float, default=GOAL_S[False],
                        help="solver time limit with untied layers, seconds (default: %(default)g)")
    parser.add_argument("--no-untied", action="store_true", help="skip the untied GPT-2 runs")
    parser.add_argument("--keep", type=Path, help="write graphs, plan reports and logs here instead of a temp dir")
    parser.add_argument("--write", type=Path, help="update this markdown file's auto-sharding section")
    args = parser.parse_args(argv)
    if not args.weft_opt.exists():
        print(f"warning: {args.weft_opt} not found; every run will fail", file=sys.stderr)

    cases = [(m, mesh, True) for m in args.models for mesh in args.meshes]
    if not args.no_untied:
        cases += [(m, mesh, False) for m in args.models if m in UNTIED_MODELS for mesh in args.meshes]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="weft-auto-shard-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        graphs = build_graphs(args.models, work / "graphs")
        for model, mesh, tied in cases:
            limit = args.time_limit_tied if tied else args.time_limit_untied
            row = run_case(args.weft_opt, graphs[model], model, mesh, tied, limit, work / "plans",
                           timeout=3 * limit + 120)
            rows.append(row)
            cells = dict(zip(COLUMNS, row_cells(row)))
            print(f"{model:11s} {mesh:14s} {'tied' if tied else 'untied':6s} wall {cells['total wall s']:>7s} s  "
                  f"{cells['status']}  plan {cells['plan ms']} ms  goal {cells['goal']}", flush=True)

    machine = f"{cpu_name()}, {os.cpu_count()} cores"
    date = datetime.date.today().isoformat()
    lines = [f"Machine: {machine}. Date: {date}. Commit: {git_commit()}. Solver time limit "
             f"{args.time_limit_tied:g} s tied, {args.time_limit_untied:g} s untied; goal: wall ≤ "
             f"{GOAL_S[True]:g} s tied, ≤ {GOAL_S[False]:g} s untied.", "", *table_lines(rows)]
    table = "\n".join(lines)
    print("\n" + table)
    if args.write:
        intro = ("`/usr/bin/python3 benchmarks/auto_shard.py --write docs/benchmarks.md`\n\n"
                 "`xf-auto-shard` on the `--graph-only` graphs of GPT-2 124M (f16, B=8, S=1024), Llama 2 70B "
                 "(bf16, B=4, S=4096) and GPT-3 175B (f16, B=4, S=2048) for four H100 meshes. \"total wall s\" "
                 "is the whole weft-opt call (parse, ILP build, solve, rewrite); \"plan ms\" is the ILP "
                 "objective, the plan's modelled step time; \"gap\" is the solver's relative optimality gap "
                 "as the plan report gives it; peak memory is per device.")
        write_section(args.write, SECTION, table, "Auto-sharding solve time", intro)
    return 0


if __name__ == "__main__":
    sys.exit(main())
