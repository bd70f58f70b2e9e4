"""benchmarks/auto_shard.py without the pass: plan reading, rows, the table and its section, with a stand-in weft-opt."""

from __future__ import annotations

import importlib.util
import json
import stat
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location("auto_shard_bench", REPO_ROOT / "benchmarks" / "auto_shard.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench  # dataclasses look their module up
_spec.loader.exec_module(bench)

PLAN = {
    "mesh": {"name": "2x8xH100-IB", "shape": [2, 8], "axes": ["node", "gpu"], "device": "H100", "devices": 16},
    "solver": {"status": "optimal", "objective_ms": 123.456, "best_bound_ms": 123.4, "gap": 0.00045,
               "solve_seconds": 1.5, "build_seconds": 0.25, "variables": 4321, "integer_variables": 4000,
               "constraints": 9000, "time_limit_seconds": 10.0},
    "graph": {"ops": 250, "nodes": 40, "strategy_sets": 40, "layers": 12, "tied": True},
    "totals": {"compute_ms": 100.0, "communication_ms": 23.456, "peak_memory_bytes": 3 * 2**30,
               "parameter_bytes": 2**28, "memory_budget_bytes": 80 * 2**30},
    "layers": [], "ops": [],
}

# A stand-in for weft-opt: writes PLAN to the plan-report path of its --xf-auto-shard option.
FAKE_OPT = """#!{python}
import json, sys
option = next(a for a in sys.argv if a.startswith("--xf-auto-shard="))
fields = dict(kv.split("=", 1) for kv in option.split("=", 1)[1].split())
plan = json.loads({plan!r})
plan["mesh"]["name"] = fields["mesh"]
plan["graph"]["tied"] = fields["tie-layers"] == "true"
open(fields["plan-report"], "w").write(json.dumps(plan))
"""

FAILING_OPT = """#!/bin/sh
echo "note: building the ILP" >&2
echo "model.mlir:3:5: error: 'xf.linear' op has no sharding strategy" >&2
echo "more detail" >&2
exit 1
"""


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_row_cells_from_a_plan() -> None:
    row = bench.Row("gpt2-124m", "2x8xH100-IB", True, wall_s=2.345, plan=bench.check_plan(PLAN))
    cells = dict(zip(bench.COLUMNS, bench.row_cells(row)))
    assert cells == {
        "model": "gpt2-124m", "mesh": "2x8xH100-IB", "tied": "yes", "ops": "250", "ILP nodes": "40",
        "variables": "4321", "status": "optimal", "gap": "0.00045", "solve s": "1.50", "total wall s": "2.35",
        "plan ms": "123.46", "compute ms": "100.00", "comm ms": "23.46", "peak GiB/device": "3.00",
        "goal": "met (≤ 10 s)",
    }
    slow = bench.Row("gpt2-124m", "8xH100-NVLink", False, wall_s=61.0, plan=PLAN)
    assert bench.row_cells(slow)[-1] == "missed (≤ 60 s)"


def test_failed_rows_and_bad_plans() -> None:
    row = bench.Row("llama2-70b", "8xH100-NVLink", True, wall_s=0.5, error="exit 1: a | b")
    cells = dict(zip(bench.COLUMNS, bench.row_cells(row)))
    assert cells["status"] == "failed: exit 1: a \\| b" and cells["total wall s"] == "0.50"
    assert cells["plan ms"] == cells["goal"] == "—"
    assert len(bench.table_lines([row])[2].split(" | ")) == len(bench.COLUMNS)
    with pytest.raises(ValueError, match="no solver.gap"):
        bench.check_plan({**PLAN, "solver": {k: v for k, v in PLAN["solver"].items() if k != "gap"}})
    with pytest.raises(ValueError, match="no 'totals' object"):
        bench.check_plan({k: v for k, v in PLAN.items() if k != "totals"})
    assert bench.first_error_line("note: x\n\nfile:1:2: error: boom\nmore") == "file:1:2: error: boom"
    assert bench.first_error_line("\n  just this\nthat") == "just this"
    assert len(bench.first_error_line("error: " + "x" * 500)) == 120


def test_run_case_reads_the_report_or_the_error(tmp_path: Path) -> None:
    graph = tmp_path / "model.mlir"
    graph.write_text("module {}\n")
    ok = _script(tmp_path / "fake-opt", FAKE_OPT.format(python=sys.executable, plan=json.dumps(PLAN)))
    row = bench.run_case(ok, graph, "gpt2-124m", "8x8xH100-IB", False, 60, tmp_path / "plans", timeout=60)
    assert row.error is None, row.error
    assert row.plan["mesh"]["name"] == "8x8xH100-IB" and row.plan["graph"]["tied"] is False
    assert row.wall_s is not None and row.goal_met

    bad = _script(tmp_path / "failing-opt", FAILING_OPT)
    row = bench.run_case(bad, graph, "gpt2-124m", "8x8xH100-IB", True, 10, tmp_path / "plans", timeout=60)
    assert row.error == "exit 1: model.mlir:3:5: error: 'xf.linear' op has no sharding strategy"
    assert not row.goal_met

    row = bench.run_case(tmp_path / "missing", graph, "gpt2-124m", "8x8xH100-IB", True, 10, tmp_path / "plans",
                         timeout=60)
    assert row.error is not None and row.error.startswith("cannot run")


def test_option_and_section() -> None:
    assert bench.auto_shard_option("2x4xH100-IB", 10.0, True, Path("/d/plan.json")) == \
        "--xf-auto-shard=mesh=2x4xH100-IB time-limit=10 tie-layers=true plan-report=/d/plan.json"
    block = f"{bench.BEGIN}\nnew\n{bench.END}"
    text = f"# B\n\n## Auto-sharding solve time\n\nintro\n\n{bench.BEGIN}\nold\n{bench.END}\n\n## Next\n"
    replace = bench.report.replace_section
    assert replace(text, bench.SECTION, "new", "Auto-sharding solve time", "intro") == text.replace("old", "new")
    appended = replace("# B\n", bench.SECTION, "new", "Auto-sharding solve time", "intro")
    assert appended == f"# B\n\n## Auto-sharding solve time\n\nintro\n\n{block}\n"
