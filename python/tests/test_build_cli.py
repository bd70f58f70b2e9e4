"""``python3 -m weft.build``: the files it writes and what they hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import PYTHON_DIR, run_weft_opt
from weft import models, reference
from weft.config import preset
from weft.safetensors import load_file_with_dtypes


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    return subprocess.run([sys.executable, "-m", "weft.build", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize("family, flags, npy_dtype", [
    ("llama", ["--dtype", "bf16", "--kv-heads", "1", "--layers", "3"], np.float32),
    ("gpt2", ["--dtype", "f16", "--batch", "2", "--seq", "40"], np.float16),
])
def test_cli_writes_model_weights_inputs_and_expected(tmp_path: Path, weft_opt, seed: int, family: str,
                                                      flags: list[str], npy_dtype: type) -> None:
    out = tmp_path / "out"
    proc = _run_cli(family, "--preset", "tiny", *flags, "--seed", str(seed), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for name in ("model.mlir", "weights.safetensors", "input_ids.npy", "expected_logits.npy", "config.json"):
        assert str(out / name) in proc.stdout, name

    saved = json.loads((out / "config.json").read_text())
    cfg = preset(family, "tiny", **{k: v for k, v in saved["config"].items() if k != "family"})
    assert saved["seed"] == seed and saved["input_seed"] == seed + 1
    assert cfg.dtype == flags[1]
    if family == "llama":
        assert (cfg.kv_heads, cfg.layers) == (1, 3)
    else:
        assert (cfg.batch, cfg.seq, cfg.n_positions) == (2, 40, 40)

    run_weft_opt(weft_opt, (out / "model.mlir").read_text())

    weights = load_file_with_dtypes(out / "weights.safetensors")
    expected_weights = models.init_weights(cfg, seed)
    assert list(weights) == list(expected_weights)
    for name, (dtype, values) in weights.items():
        assert dtype == cfg.dtype
        assert np.array_equal(values, expected_weights[name]), name

    ids = np.load(out / "input_ids.npy")
    assert ids.dtype == np.int32 and ids.shape == (cfg.batch, cfg.seq)
    assert 0 <= ids.min() and ids.max() < cfg.vocab and np.unique(ids).size > 1

    logits = np.load(out / "expected_logits.npy")
    assert logits.dtype == npy_dtype and logits.shape == (cfg.batch, cfg.seq, cfg.vocab)
    exact = reference.forward(cfg, {n: v for n, (_, v) in weights.items()}, ids)
    assert np.array_equal(logits, exact.astype(npy_dtype))
    assert np.abs(exact).max() > 0.1


def test_cli_reports_bad_configs(tmp_path: Path) -> None:
    proc = _run_cli("llama", "--kv-heads", "3", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert "expected kv_heads 3 to divide heads 4" in proc.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("family, name", [("gpt2", "gpt2-124m"), ("llama", "llama2-70b"), ("gpt2", "gpt3-175b")])
def test_cli_graph_only_writes_the_graph_and_config(tmp_path: Path, weft_opt, family: str, name: str) -> None:
    out = tmp_path / "out"
    proc = _run_cli(family, "--preset", name, "--graph-only", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.mlir"]
    cfg = preset(family, name)
    assert f"{models.num_parameters(cfg)} parameters (graph only)" in proc.stdout
    saved = json.loads((out / "config.json").read_text())
    assert saved == {"config": cfg.to_dict(), "graph_only": True}
    text = (out / "model.mlir").read_text()
    assert text == models.emit(cfg)
    run_weft_opt(weft_opt, text)


def test_build_graph_makes_no_weights_and_no_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from weft import build

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("--graph-only must not make weights, inputs or logits")

    for module, attr in ((models, "init_weights"), (models, "random_input_ids"), (reference, "forward")):
        monkeypatch.setattr(module, attr, forbidden)
    assert build.main(["gpt2", "--preset", "gpt3-175b", "--graph-only", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.mlir"]


@pytest.mark.parametrize("flags, message", [
    (["llama", "--preset", "gpt2-124m"], "preset 'gpt2-124m' is defined for gpt2 only, not llama"),
    (["gpt2", "--preset", "llama2-70b"], "preset 'llama2-70b' is defined for llama only, not gpt2"),
    (["gpt2", "--seed", "3"], "--seed and --input-seed have no effect with --graph-only"),
])
def test_cli_graph_only_errors(tmp_path: Path, flags: list[str], message: str) -> None:
    proc = _run_cli(*flags, "--graph-only", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "x").exists()


def test_full_build_too_large_for_memory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from weft import build

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("weights must not be allocated")

    monkeypatch.setattr(models, "init_weights", forbidden)
    monkeypatch.setattr(build, "_physical_memory", lambda: 64 * 2**30)
    assert build.main(["llama", "--preset", "llama2-70b", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "68976648192 parameters take 257.0 GiB as bf16, more than this machine's 64.0 GiB" in err
    assert "--graph-only" in err and not (tmp_path / "x").exists()
