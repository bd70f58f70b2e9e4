"""NumPy reference semantics of the ``xf`` ops and of the model graphs.

Everything computes in float64 whatever the inputs' type, so that the
reference is the exact-arithmetic answer to within ~1e-15 relative error,
and compiled code in f32/f16/bf16 is judged against it with tolerances that
reflect only its own precision. The op functions follow docs/Dialects/Xf.md
to the letter (mask alignment, head grouping, rope pairing); the forward
passes follow the graphs that ``weft.models`` emits, op for op.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np

from weft.config import ModelConfig

_erf = np.frompyfunc(math.erf, 1, 1)


def _f64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


# -- Ops ---------------------------------------------------------------------------


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """``xf.layer_norm``: biased variance over the last dimension."""
    x = _f64(x)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * _f64(gamma) + _f64(beta)


def rms_norm(x: np.ndarray, gamma: np.ndarray, eps: float) -> np.ndarray:
    """``xf.rms_norm``: ``x / sqrt(mean(x²) + eps) * gamma``."""
    x = _f64(x)
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * _f64(gamma)


def gelu(x: np.ndarray, approximate: Literal["none", "tanh"] = "none") -> np.ndarray:
    """``xf.gelu``: exact (erf) or GPT-2's tanh approximation."""
    x = _f64(x)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    if approximate != "none":
        raise ValueError(f"expected approximate 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, without overflow or cancellation for large ``|x|``."""
    x = _f64(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def silu(x: np.ndarray) -> np.ndarray:
    """``xf.silu``: ``x * sigmoid(x)``."""
    return _f64(x) * sigmoid(x)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``xf.softmax`` along ``axis`` (max-subtracted)."""
    x = _f64(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def rope_angles(positions: np.ndarray, dim: int, theta: float) -> np.ndarray:
    """Angles ``position · theta^(-2i/dim)``, shape ``positions.shape + [dim/2]``."""
    freq = theta ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    return _f64(positions)[..., None] * freq


def rope(x: np.ndarray, theta: float, positions: np.ndarray | None = None,
         interleaved: bool = False) -> np.ndarray:
    """``xf.rope`` on ``x`` [B, S, H, D].

    Pairs ``(i, i + D/2)`` (rotate-half, HF Llama) or, ``interleaved``,
    ``(2i, 2i + 1)``; positions default to ``0 .. S-1`` for every batch row.
    """
    x = _f64(x)
    b, s, _, d = x.shape
    if d % 2:
        raise ValueError(f"expected an even head dim, got {d}")
    pos = np.broadcast_to(np.arange(s), (b, s)) if positions is None else np.asarray(positions)
    ang = rope_angles(pos, d, theta)[:, :, None, :]  # [B, S, 1, D/2]
    cos, sin = np.cos(ang), np.sin(ang)
    if interleaved:
        x1, x2 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x1 * cos - x2 * sin
        out[..., 1::2] = x2 * cos + x1 * sin
        return out
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def causal_mask(sq: int, skv: int) -> np.ndarray:
    """``[Sq, Skv]`` booleans, True where query ``i`` sees key ``j``.

    Aligned to the bottom right: ``j <= i + (Skv - Sq)``.
    """
    return np.arange(skv)[None, :] <= np.arange(sq)[:, None] + (skv - sq)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = False,
              scale: float | None = None) -> np.ndarray:
    """``xf.attention``: q [B,Sq,Hq,D], k [B,Skv,Hkv,D], v [B,Skv,Hkv,Dv].

    Query head ``h`` reads key/value head ``h // (Hq / Hkv)``.
    """
    q, k, v = _f64(q), _f64(k), _f64(v)
    hq, hkv = q.shape[2], k.shape[2]
    if hq % hkv:
        raise ValueError(f"expected kv heads {hkv} to divide query heads {hq}")
    group = hq // hkv
    k = np.repeat(k, group, axis=2)
    v = np.repeat(v, group, axis=2)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[3])
    scores = np.einsum("bihd,bjhd->bhij", q, k) * scale
    if causal:
        scores = np.where(causal_mask(q.shape[1], k.shape[1]), scores, -np.inf)
    return np.einsum("bhij,bjhd->bihd", softmax(scores, axis=-1), v)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``xf.linear``: ``x · weight + bias`` with ``weight`` [in, out]."""
    y = _f64(x) @ _f64(weight)
    return y + _f64(bias) if bias is not None else y


def embedding(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``xf.embedding``: rows of ``table`` at ``ids``."""
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(f"ids outside [0, {table.shape[0]})")
    return _f64(table)[ids]


# -- Models ---------------------------------------------------------------------------


def gpt2_forward(weights: Mapping[str, np.ndarray], input_ids: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """GPT-2 logits [B, S, V] in float64, from Weft-layout weights."""
    w = {n: _f64(a) for n, a in weights.items()}
    b, s = input_ids.shape
    h, dh = cfg.heads, cfg.head_dim
    x = embedding(w["transformer.wte.weight"], input_ids) + w["transformer.wpe.weight"][:s]
    for i in range(cfg.layers):
        p = f"transformer.h.{i}."
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], cfg.eps)
        q, k, v = np.split(linear(a, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"]), 3, axis=-1)
        att = attention(*(t.reshape(b, s, h, dh) for t in (q, k, v)), causal=True)
        x = x + linear(att.reshape(b, s, h * dh), w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"])
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], cfg.eps)
        f = gelu(linear(m, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"]), approximate="tanh")
        x = x + linear(f, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"])
    x = layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], cfg.eps)
    return x @ w["transformer.wte.weight"].T


def llama_forward(weights: Mapping[str, np.ndarray], input_ids: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """Llama logits [B, S, V] in float64, from Weft-layout weights."""
    w = {n: _f64(a) for n, a in weights.items()}
    b, s = input_ids.shape
    h, hkv, dh = cfg.heads, cfg.num_kv_heads, cfg.head_dim
    x = embedding(w["model.embed_tokens.weight"], input_ids)
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        a = rms_norm(x, w[p + "input_layernorm.weight"], cfg.eps)
        q = linear(a, w[p + "self_attn.q_proj.weight"]).reshape(b, s, h, dh)
        k = linear(a, w[p + "self_attn.k_proj.weight"]).reshape(b, s, hkv, dh)
        v = linear(a, w[p + "self_attn.v_proj.weight"]).reshape(b, s, hkv, dh)
        att = attention(rope(q, cfg.rope_theta), rope(k, cfg.rope_theta), v, causal=True)
        x = x + linear(att.reshape(b, s, h * dh), w[p + "self_attn.o_proj.weight"])
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg.eps)
        g = silu(linear(m, w[p + "mlp.gate_proj.weight"])) * linear(m, w[p + "mlp.up_proj.weight"])
        x = x + linear(g, w[p + "mlp.down_proj.weight"])
    x = rms_norm(x, w["model.norm.weight"], cfg.eps)
    return x @ w["lm_head.weight"].T


def forward(cfg: ModelConfig, weights: Mapping[str, np.ndarray], input_ids: np.ndarray) -> np.ndarray:
    """Float64 logits of the ``cfg.family`` model."""
    if cfg.family == "gpt2":
        return gpt2_forward(weights, input_ids, cfg)
    if cfg.family == "llama":
        return llama_forward(weights, input_ids, cfg)
    raise ValueError(f"unknown model family {cfg.family!r}")


def max_rel_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """``max |actual - expected| / max |expected|``: error relative to the scale.

    Normalizing by the largest magnitude rather than per element keeps
    values that cancel to near zero from dominating the measure.
    """
    expected = _f64(expected)
    scale = np.abs(expected).max() if expected.size else 0.0
    diff = np.abs(_f64(actual) - expected).max() if expected.size else 0.0
    return float(diff / scale) if scale > 0 else float(diff)
