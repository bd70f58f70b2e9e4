"""Emitted GPT-2 and Llama graphs: weft-opt accepts them, and their signatures match the weights."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import run_weft_opt
from weft import models
from weft.config import ModelConfig, preset
from weft.dtypes import round_to_dtype, value_dtype

# (family, preset, overrides): every dtype, MHA/GQA/MQA, batch > 1, both presets.
CONFIGS = [
    ("gpt2", "tiny", {}),
    ("gpt2", "tiny", {"dtype": "f16"}),
    ("gpt2", "tiny", {"dtype": "bf16", "batch": 3}),
    ("gpt2", "tiny", {"dtype": "f64", "seq": 7, "n_positions": 9}),
    ("gpt2", "small", {}),
    ("llama", "tiny", {}),                                   # GQA: 4 heads over 2
    ("llama", "tiny", {"dtype": "bf16", "kv_heads": 4}),     # MHA
    ("llama", "tiny", {"dtype": "f16", "kv_heads": 1}),      # MQA
    ("llama", "tiny", {"dtype": "f64", "rope_theta": 5e5, "batch": 2}),
    ("llama", "small", {"dtype": "bf16"}),
]


def _id(c: tuple[str, str, dict]) -> str:
    return "-".join([c[0], c[1]] + [f"{k}{v}" for k, v in c[2].items()])


# weft-opt's printed signature: %argN: tensor<...> {xf.name = "...", xf.role = "..."}
_ARG = re.compile(r'%arg\d+: tensor<([0-9x]*)(\w+)> \{xf\.name = "([^"]+)", xf\.role = "(\w+)"\}')
_RESULT = re.compile(r'-> \(?tensor<([0-9x]*)(\w+)> \{xf\.name = "([^"]+)"\}')


def _shape(dims: str) -> tuple[int, ...]:
    return tuple(int(d) for d in dims.split("x") if d)


@pytest.mark.parametrize("family, name, overrides", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_graph_verifies_and_signature_matches_weights(weft_opt, family: str, name: str, overrides: dict) -> None:
    cfg = preset(family, name, **overrides)
    text = models.emit(cfg)
    printed = run_weft_opt(weft_opt, text)

    args = _ARG.findall(printed)
    weights = models.init_weights(cfg, seed=0)
    assert args[0] == (f"{cfg.batch}x{cfg.seq}x", "i32", "input_ids", "input")
    weight_args = args[1:]
    assert [a[2] for a in weight_args] == list(weights), "weight arguments differ from the weights dict"
    for dims, dtype, wname, role in weight_args:
        assert role == "weight"
        assert dtype == cfg.dtype
        assert _shape(dims) == weights[wname].shape, wname
    (result,) = _RESULT.findall(printed)
    assert result == (f"{cfg.batch}x{cfg.seq}x{cfg.vocab}x", cfg.dtype, "logits")

    ops = re.findall(r"= (xf\.\w+|arith\.constant)", printed)
    assert ops.count("xf.attention") == cfg.layers
    if family == "gpt2":
        assert ops.count("xf.layer_norm") == 2 * cfg.layers + 1
        assert ops.count("xf.gelu") == cfg.layers and "approximate = tanh" in printed
        assert "dense<[0, 1, 2" in printed and f"tensor<{cfg.seq}xi32>" in printed
    else:
        assert ops.count("xf.rms_norm") == 2 * cfg.layers + 1
        assert ops.count("xf.rope") == 2 * cfg.layers
        assert ops.count("xf.silu") == cfg.layers
        assert f"tensor<{cfg.batch}x{cfg.seq}x{cfg.num_kv_heads}x{cfg.head_dim}x{cfg.dtype}>" in printed
    assert "transpose_rhs" in printed


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_graph_survives_canonicalize(weft_opt, family: str) -> None:
    run_weft_opt(weft_opt, models.emit(preset(family, "tiny")), "-canonicalize")


@pytest.mark.parametrize("family", ["gpt2", "llama"])
@pytest.mark.parametrize("dtype", ["f16", "bf16", "f32", "f64"])
def test_init_weights_seeded_random_and_representable(family: str, dtype: str) -> None:
    cfg = preset(family, "tiny", dtype=dtype)
    a = models.init_weights(cfg, seed=3)
    b = models.init_weights(cfg, seed=3)
    c = models.init_weights(cfg, seed=4)
    assert list(a) == list(models.param_shapes(cfg))
    for name, x in a.items():
        assert x.dtype == value_dtype(dtype)
        assert np.array_equal(x, b[name]), f"{name}: same seed, different values"
        assert not np.array_equal(x, c[name]), f"{name}: different seeds, same values"
        assert np.array_equal(round_to_dtype(x, dtype), x), f"{name} not representable in {dtype}"
        assert np.unique(x).size >= 8, f"{name}: expected random values, not a constant"
        if name.endswith(".bias"):
            assert 0 < np.abs(x).max() < 0.2
        elif x.ndim == 1:
            assert np.all(np.abs(x - 1) < 0.5), f"{name}: gains should lie near one"
        else:
            assert 0.015 < x.std() < 0.025, f"{name}: std {x.std()}"


def test_weights_do_not_depend_on_layer_count() -> None:
    two = models.init_weights(preset("llama", "tiny", layers=2), seed=5)
    three = models.init_weights(preset("llama", "tiny", layers=3), seed=5)
    for name, x in two.items():
        assert np.array_equal(x, three[name])


@pytest.mark.parametrize("fields, message", [
    (dict(family="gpt2", heads=4, kv_heads=2), "multi-head"),
    (dict(family="llama", heads=4, kv_heads=3), "divide heads"),
    (dict(family="llama", heads=3), "divide d_model"),
    (dict(family="gpt2", seq=64, n_positions=32), "n_positions"),
    (dict(family="llama", dtype="f8"), "dtype"),
    (dict(family="llama", layers=0), "layers"),
    (dict(family="llama", eps=0.0), "eps"),
    (dict(family="llama", d_model=12, heads=4), "even head dim"),
])
def test_config_validation(fields: dict, message: str) -> None:
    base = dict(layers=1, heads=4, d_model=64, d_mlp=128, vocab=32, seq=8)
    with pytest.raises(ValueError, match=message):
        ModelConfig(**(base | fields))


def test_presets() -> None:
    t = preset("llama", "tiny")
    assert (t.layers, t.heads, t.kv_heads, t.d_model, t.d_mlp, t.vocab, t.seq, t.batch) == (2, 4, 2, 64, 256, 512, 16, 1)
    s = preset("gpt2", "small")
    assert (s.layers, s.heads, s.kv_heads, s.d_model, s.d_mlp, s.vocab, s.seq, s.batch) == (4, 8, 8, 256, 1024, 2048, 64, 2)
    # A longer sequence grows GPT-2's position table unless it is given.
    assert preset("gpt2", "tiny", seq=100).n_positions == 100
    with pytest.raises(ValueError, match="n_positions"):
        preset("gpt2", "tiny", seq=100, n_positions=50)
