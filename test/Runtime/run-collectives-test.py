#!/usr/bin/env python3
"""Runs weft-collectives-test under mpirun and checks how it ends.

    run-collectives-test.py [--mpirun PATH] --np N [--max-seconds S]
        [--expect-failure [TEXT ...] | --exec] -- PROGRAM ARGS...

Without --expect-failure the run must exit 0 and print its summary with no
failed check. With it, the run must exit non-zero within --max-seconds and
its output must contain every TEXT (the dead-rank tests: the survivors name
the collective that timed out). With --exec it only launches: the output
and exit code are the run's own (lit tests of weft-run under mpirun).

The launch command comes from python/weft/mpi.py, which makes Open MPI work
as root, with more ranks than cores and in containers. A hang is killed
after --max-seconds and reported as one. When mpirun is
missing the test is skipped loudly (exit 77, ctest's SKIP_RETURN_CODE).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import time

# The launcher shared with the Python frontend, python/weft/mpi.py, loaded
# as a file: the weft package itself needs numpy, this script does not.
_MPI_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "python", "weft", "mpi.py")
_spec = importlib.util.spec_from_file_location("weft_mpi", _MPI_PY)
mpi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mpi)

SKIP = 77


def execute(full: list[str], env: dict[str, str], max_seconds: float) -> int:
    """Runs ``full`` with its output passed through; its exit code, or 1 after a hang."""
    process = subprocess.Popen(full, env=env, start_new_session=True)
    try:
        return process.wait(timeout=max_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        print(f"run-collectives-test.py: the run hung: killed after {max_seconds:.0f} s", file=sys.stderr)
        return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mpirun", default="", help="mpirun to use (default: from PATH)")
    parser.add_argument("--np", type=int, required=True, help="number of ranks")
    parser.add_argument("--max-seconds", type=float, default=240, help="wall-clock limit of the run")
    parser.add_argument("--expect-failure", nargs="*", default=None, metavar="TEXT",
                        help="the run must fail, printing every TEXT")
    parser.add_argument("--exec", action="store_true",
                        help="only launch: pass the run's output and exit code through")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- PROGRAM ARGS...")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no program given after --")

    mpirun = args.mpirun or shutil.which("mpirun") or shutil.which("mpiexec")
    if not mpirun or not os.access(mpirun, os.X_OK):
        print(f"SKIPPED: mpirun not found ({args.mpirun or 'PATH'}); install openmpi-bin "
              "to run the multi-process collectives tests")
        return SKIP

    launcher, env = mpi.launcher(args.np, mpirun)
    if args.exec:
        return execute(launcher + command, env, args.max_seconds)
    # Fresh inputs on every run, reproducible from the printed seed.
    seed = int(env.get("WEFT_TEST_SEED") or random.SystemRandom().randrange(1, 2**63))
    if args.expect_failure is None:
        command = command + [f"--seed={seed}"]
    full = launcher + command
    print("$ " + " ".join(full), flush=True)

    start = time.monotonic()
    process = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=args.max_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        print(output)
        print(f"FAILED: the run hung: killed after {args.max_seconds:.0f} s")
        return 1
    elapsed = time.monotonic() - start
    print(output)
    print(f"exit code {process.returncode} after {elapsed:.1f} s")

    if args.expect_failure is None:
        if process.returncode != 0:
            print(f"FAILED: exit code {process.returncode} (seed {seed})")
            return 1
        if " 0 failed" not in output:
            print("FAILED: no summary with 0 failed checks")
            return 1
        return 0

    if process.returncode == 0:
        print("FAILED: the run succeeded, expected a failure")
        return 1
    missing = [text for text in args.expect_failure if text not in output]
    if missing:
        print("FAILED: the output lacks: " + "; ".join(repr(t) for t in missing))
        return 1
    print(f"OK: failed as expected within {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
