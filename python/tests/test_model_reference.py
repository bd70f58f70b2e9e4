"""Whole-model references: NumPy (weft.reference) against PyTorch modules (weft.torch_reference).

Both in float64: logits agree to ``max_rel_error <= 1e-10``. PyTorch in
float32 against NumPy float64: ``<= 1e-5``, a check that the tolerance
separates precisions. Weights and token ids are drawn from a fresh seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from weft import models, reference, torch_reference
from weft.config import preset
from weft.reference import max_rel_error

CONFIGS = [
    ("gpt2", {}),
    ("gpt2", {"batch": 2, "seq": 9, "layers": 3}),
    ("llama", {}),                      # GQA
    ("llama", {"kv_heads": 4}),         # MHA
    ("llama", {"kv_heads": 1, "batch": 2, "rope_theta": 5e5}),  # MQA
]


def _id(c: tuple[str, dict]) -> str:
    return "-".join([c[0]] + [f"{k}{v}" for k, v in c[1].items()])


@pytest.mark.parametrize("family, overrides", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_numpy_matches_torch_float64(seed: int, family: str, overrides: dict) -> None:
    cfg = preset(family, "tiny", dtype="f64", **overrides)
    weights = models.init_weights(cfg, seed)
    ids = models.random_input_ids(cfg, seed + 1)
    expected = torch_reference.forward(cfg, weights, ids, dtype="float64")
    got = reference.forward(cfg, weights, ids)
    assert got.shape == (cfg.batch, cfg.seq, cfg.vocab)
    assert np.abs(got).max() > 0.1, "logits too small to compare meaningfully"
    err = max_rel_error(got, expected)
    print(f"max rel error numpy vs torch (float64): {err:.3e}")
    assert err <= 1e-10


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_torch_float32_is_close_but_distinguishable(seed: int, family: str) -> None:
    cfg = preset(family, "tiny", dtype="f32")
    weights = models.init_weights(cfg, seed)
    ids = models.random_input_ids(cfg, seed + 1)
    err = max_rel_error(torch_reference.forward(cfg, weights, ids, dtype="float32"), reference.forward(cfg, weights, ids))
    print(f"max rel error torch float32 vs numpy float64: {err:.3e}")
    assert 1e-10 < err <= 1e-5


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_logits_are_causal(seed: int, family: str) -> None:
    """Changing token t changes the logits at positions >= t and no others."""
    cfg = preset(family, "tiny", dtype="f64")
    weights = models.init_weights(cfg, seed)
    ids = models.random_input_ids(cfg, seed + 1)
    t = cfg.seq // 2
    changed = ids.copy()
    changed[0, t] = (ids[0, t] + 1) % cfg.vocab
    a, b = reference.forward(cfg, weights, ids), reference.forward(cfg, weights, changed)
    assert np.array_equal(a[:, :t], b[:, :t])
    assert np.abs(a[:, t:] - b[:, t:]).max(axis=-1).min() > 1e-6


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_every_weight_matters(seed: int, family: str) -> None:
    """Perturbing any one weight tensor changes the logits: none is left unused."""
    cfg = preset(family, "tiny", dtype="f64", layers=1)
    weights = models.init_weights(cfg, seed)
    ids = models.random_input_ids(cfg, seed + 1)
    base = reference.forward(cfg, weights, ids)
    rng = np.random.default_rng(seed)
    for name, w in weights.items():
        changed = dict(weights)
        changed[name] = w + rng.normal(0.0, 0.05, size=w.shape)
        if name == "transformer.wpe.weight":
            # Only the first seq rows are looked up.
            changed[name][cfg.seq:] = w[cfg.seq:]
        assert max_rel_error(reference.forward(cfg, changed, ids), base) > 1e-6, name
