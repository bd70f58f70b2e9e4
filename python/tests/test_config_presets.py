"""The published-size presets: their fields, parameter counts and graphs."""

from __future__ import annotations

import pytest

from conftest import run_weft_opt
from weft import models
from weft.config import PRESETS, preset

# preset -> (family, published parameter count, exact count of this config).
PUBLISHED = {
    "gpt2-124m": ("gpt2", 124e6, 124_439_808),         # HF gpt2: 124,439,808 (head tied to wte)
    "llama2-70b": ("llama", 69e9, 68_976_648_192),     # Llama 2 70B: 68,976,648,192 (head untied)
    "gpt3-175b": ("gpt2", 175e9, 174_604_259_328),     # GPT-3 "175B"
}


def test_published_preset_fields() -> None:
    g = preset("gpt2", "gpt2-124m")
    assert (g.layers, g.heads, g.kv_heads, g.d_model, g.d_mlp, g.vocab, g.n_positions, g.seq, g.batch, g.dtype) == \
        (12, 12, 12, 768, 3072, 50257, 1024, 1024, 8, "f16")
    l = preset("llama", "llama2-70b")
    assert (l.layers, l.heads, l.kv_heads, l.d_model, l.d_mlp, l.vocab, l.seq, l.batch, l.dtype) == \
        (80, 64, 8, 8192, 28672, 32000, 4096, 4, "bf16")
    assert (l.rope_theta, l.eps, l.head_dim) == (10000.0, 1e-5, 128)
    t = preset("gpt2", "gpt3-175b")
    assert (t.layers, t.heads, t.kv_heads, t.d_model, t.d_mlp, t.vocab, t.n_positions, t.seq, t.batch, t.dtype) == \
        (96, 96, 96, 12288, 49152, 50257, 2048, 2048, 4, "f16")
    assert t.head_dim == 128
    # Overrides still apply on top.
    assert preset("llama", "llama2-70b", layers=2, dtype="f32").layers == 2


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_parameter_counts(name: str) -> None:
    family, nominal, exact = PUBLISHED[name]
    n = models.num_parameters(preset(family, name))
    assert n == exact
    assert abs(n - nominal) <= 0.02 * nominal, f"{name}: {n} parameters, published {nominal:.3g}"


def test_num_parameters_counts_the_weights() -> None:
    for family in ("gpt2", "llama"):
        cfg = preset(family, "tiny")
        assert models.num_parameters(cfg) == sum(a.size for a in models.init_weights(cfg).values())
    # GPT-2 in closed form: V·D + P·D + L·(12·D² + 13·D) + 2·D.
    cfg = preset("gpt2", "gpt3-175b")
    d = cfg.d_model
    assert models.num_parameters(cfg) == (cfg.vocab + cfg.num_positions) * d + cfg.layers * (12 * d * d + 13 * d) + 2 * d


@pytest.mark.parametrize("family, name, other", [
    ("llama", "gpt2-124m", "gpt2"), ("llama", "gpt3-175b", "gpt2"), ("gpt2", "llama2-70b", "llama"),
])
def test_preset_of_another_family_is_rejected(family: str, name: str, other: str) -> None:
    with pytest.raises(ValueError, match=f"preset '{name}' is defined for {other} only, not {family}"):
        preset(family, name)


def test_unknown_preset_lists_them_all() -> None:
    with pytest.raises(ValueError, match="unknown preset 'huge'; expected one of " + ", ".join(PRESETS)):
        preset("gpt2", "huge")


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_graphs_verify(weft_opt, name: str) -> None:
    family = PUBLISHED[name][0]
    cfg = preset(family, name)
    text = models.emit(cfg)
    # One attention per layer, and the weights' shapes in the signature.
    assert text.count("xf.attention") == cfg.layers
    d = cfg.d_model
    assert f"tensor<{cfg.batch}x{cfg.seq}x{cfg.vocab}x{cfg.dtype}>" in text
    assert f"tensor<{d}x{cfg.d_mlp}x{cfg.dtype}>" in text
    run_weft_opt(weft_opt, text)
