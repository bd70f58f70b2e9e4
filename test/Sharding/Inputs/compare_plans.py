"""Compares two xf-auto-shard plan reports: ours, then upstream's plan.

Usage: compare_plans.py OURS.json UPSTREAM.json MIN_SAVING
Prints both objectives and the saving; exits 1 when ours costs more than
upstream's or saves less than MIN_SAVING (a fraction).
"""

import json
import sys


def objective_ms(path: str) -> float:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    if report["solver"]["status"] != "optimal":
        sys.exit(f"{path}: solver status {report['solver']['status']}, expected optimal")
    return report["solver"]["objective_ms"]


def main() -> None:
    ours, upstream = objective_ms(sys.argv[1]), objective_ms(sys.argv[2])
    minimum = float(sys.argv[3])
    saving = 1.0 - ours / upstream
    print(f"weft {ours:.3f} ms, upstream {upstream:.3f} ms: weft saves {saving * 100:.0f}%")
    if saving < minimum:
        sys.exit(f"expected weft to save at least {minimum * 100:.0f}%, saved {saving * 100:.1f}%")


if __name__ == "__main__":
    main()
