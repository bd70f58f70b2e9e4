"""Launching Weft programs on several ranks with ``mpirun``.

``launcher(n)`` gives the command prefix and environment that start ``n``
processes on this machine with the MPI found on ``PATH``. For Open MPI that
includes what containers and CI need: running as root
(``--allow-run-as-root`` and the two ``OMPI_ALLOW_RUN_AS_ROOT`` variables),
more ranks than cores (``--oversubscribe``, no binding), no cross-memory
attach between processes (``btl_vader_single_copy_mechanism=none``), and,
without ssh or rsh, the ``isolated`` launcher that keeps the job on this
node.

As a command, it runs a program under that launcher::

    python3 -m weft.mpi -np 2 -- build/bin/weft-run --module=model.weft ...

and exits with the program's status (a killed run exits non-zero).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence


class MpiNotFound(RuntimeError):
    """No ``mpirun``/``mpiexec`` on ``PATH``."""


def find_mpirun() -> str:
    """The ``mpirun`` to use, or raises ``MpiNotFound`` saying what to install."""
    mpirun = shutil.which("mpirun") or shutil.which("mpiexec")
    if not mpirun:
        raise MpiNotFound("mpirun not found on PATH; install openmpi-bin (Debian) to run on several ranks")
    return mpirun


def launcher(num_ranks: int, mpirun: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv prefix and the environment that start ``num_ranks`` local processes."""
    if num_ranks < 1:
        raise ValueError(f"need at least one rank, got {num_ranks}")
    mpirun = mpirun or find_mpirun()
    env = dict(os.environ)
    prefix = [mpirun, "-np", str(num_ranks)]
    version = subprocess.run([mpirun, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        prefix += ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
        env.update({
            "OMPI_ALLOW_RUN_AS_ROOT": "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
            "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
            "OMPI_MCA_rmaps_base_oversubscribe": "1",
        })
        # Without ssh or rsh, mpirun refuses to start even on one node unless
        # told that the job stays on it.
        if not (shutil.which("ssh") or shutil.which("rsh")):
            env.setdefault("OMPI_MCA_plm", "isolated")
    return prefix, env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m weft.mpi", description=__doc__.split("\n\n")[0])
    parser.add_argument("-np", type=int, required=True, help="number of ranks")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- PROGRAM ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no program given after --")
    try:
        prefix, env = launcher(args.np)
    except (MpiNotFound, ValueError) as error:
        print(f"weft.mpi: error: {error}", file=sys.stderr)
        return 1
    print("$ " + " ".join(prefix + command), flush=True)
    return subprocess.run(prefix + command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
