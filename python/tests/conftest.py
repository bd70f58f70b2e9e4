"""Shared fixtures: tool paths, weft-opt, and fresh per-test random seeds.

Run as ``PYTHONPATH=python WEFT_BUILD_DIR=build python3 -m pytest -v python/tests``.
Every test that draws random numbers takes the ``seed`` fixture: a fresh
seed per test, printed (``-s`` or on failure) so that a failing case can be
replayed with ``WEFT_TEST_SEED=<seed>``.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO_ROOT / "python"

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))


def build_dir() -> Path:
    """``$WEFT_BUILD_DIR`` (relative to the working directory), else ``<repo>/build``."""
    env = os.environ.get("WEFT_BUILD_DIR")
    return Path(env).resolve() if env else REPO_ROOT / "build"


def compiler_diagnostics(stderr: str, limit: int = 40) -> str:
    """The error lines of a compiler log (and what follows each), not its IR dumps."""
    lines = stderr.splitlines()
    picked: list[str] = []
    for i, line in enumerate(lines):
        if "error" in line:
            picked += [line[:300]] + [l[:300] for l in lines[i + 1:i + 6] if not l.lstrip().startswith(("%", "^"))]
    return "\n".join((picked or lines[-limit:])[:limit])


def weft_opt_path() -> Path:
    return build_dir() / "bin" / "weft-opt"


@pytest.fixture(scope="session")
def weft_opt() -> Path:
    """The weft-opt binary; its absence is a failure, not a skip (the build makes it)."""
    path = weft_opt_path()
    assert path.exists(), f"weft-opt not found at {path}; build Weft or set WEFT_BUILD_DIR"
    return path


def run_weft_opt(weft_opt: Path, text: str, *args: str) -> str:
    """Parses and verifies ``text`` with weft-opt; returns its output, fails with its diagnostics."""
    proc = subprocess.run([str(weft_opt), "-", *args], input=text, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"weft-opt rejected the graph:\n{proc.stderr}"
    return proc.stdout


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """A fresh random seed per test (or ``$WEFT_TEST_SEED``), printed for replay."""
    env = os.environ.get("WEFT_TEST_SEED")
    s = int(env) if env else random.SystemRandom().randrange(2**31)
    print(f"\n[{request.node.name}] seed = {s} (replay with WEFT_TEST_SEED={s})")
    return s


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def c_compiler() -> str | None:
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return cc
    return None
