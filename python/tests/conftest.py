"""Shared fixtures: the built tools and runtime, and fresh per-test random seeds.

Run as ``PYTHONPATH=python WEFT_BUILD_DIR=build python3 -m pytest -v python/tests``.
Every test that draws random numbers takes the ``seed`` fixture: a fresh
seed per test, printed (``-s`` or on failure) so that a failing case can be
replayed with ``WEFT_TEST_SEED=<seed>``.

``weft-opt``, ``weft-compile`` and ``libweft_runtime.so`` come from the
build, which ``ctest`` completes before it runs this suite, so a missing one
fails every test that needs it. ``WEFT_TEST_ALLOW_MISSING_BUILD=1`` turns
those failures into skips, for running the pure-Python tests without a
build.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO_ROOT / "python"

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

from weft.runner import Runtime, find_library  # noqa: E402 (needs the path above)


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


ALLOW_MISSING_BUILD = "WEFT_TEST_ALLOW_MISSING_BUILD"


def require_built(path: Path) -> Path:
    """``path`` if the build made it; else a failure (a skip under ``$WEFT_TEST_ALLOW_MISSING_BUILD=1``)."""
    if path.exists():
        return path
    message = f"{path} not found: build Weft (cmake --build build) or set WEFT_BUILD_DIR"
    if os.environ.get(ALLOW_MISSING_BUILD) == "1":
        pytest.skip(f"{message} ({ALLOW_MISSING_BUILD}=1)")
    pytest.fail(f"{message}, or set {ALLOW_MISSING_BUILD}=1 to skip the tests that need it", pytrace=False)


@pytest.fixture(scope="session")
def weft_opt() -> Path:
    return require_built(build_dir() / "bin" / "weft-opt")


@pytest.fixture(scope="session")
def weft_compile() -> Path:
    return require_built(build_dir() / "bin" / "weft-compile")


@pytest.fixture(scope="session")
def runtime() -> Runtime:
    """The real ``libweft_runtime.so`` (``weft.runner.find_library``), loaded once."""
    return Runtime.load(require_built(find_library().resolve()))


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

