"""Llama as an ``xf`` graph, with its weights and Hugging Face conversion.

Tensor names are Hugging Face's (``model.layers.0.self_attn.q_proj.weight``),
layouts Weft's: every ``*_proj.weight`` is ``[in, out]``, the transpose of
PyTorch's ``nn.Linear``; ``model.embed_tokens.weight`` and
``lm_head.weight`` are ``[V, D]`` as in HF, the head applied with
``xf.matmul ... transpose_rhs``. Rotary embeddings use HF's rotate-half
pairing; attention is causal and grouped-query when ``kv_heads < heads``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from weft.config import ModelConfig
from weft.mlir import FunctionBuilder
from weft.models.common import check_shapes, finish_with_lm_head, start_forward, to_numpy

# How the module header names the model.
TITLE = "Llama"

# The projections stored transposed in HF checkpoints (nn.Linear).
LINEAR_SUFFIXES = (
    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
    "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
)


def is_linear_weight(name: str) -> bool:
    """Whether ``name`` is an ``nn.Linear`` weight that Weft stores transposed."""
    return name.startswith("model.layers.") and name.endswith(LINEAR_SUFFIXES)


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every weight's name and Weft-layout shape, in argument order."""
    _check_family(cfg)
    d, f = cfg.d_model, cfg.d_mlp
    dq, dkv = cfg.heads * cfg.head_dim, cfg.num_kv_heads * cfg.head_dim
    shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (cfg.vocab, d)}
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        shapes |= {
            p + "input_layernorm.weight": (d,),
            p + "self_attn.q_proj.weight": (d, dq),
            p + "self_attn.k_proj.weight": (d, dkv),
            p + "self_attn.v_proj.weight": (d, dkv),
            p + "self_attn.o_proj.weight": (dq, d),
            p + "post_attention_layernorm.weight": (d,),
            p + "mlp.gate_proj.weight": (d, f),
            p + "mlp.up_proj.weight": (d, f),
            p + "mlp.down_proj.weight": (f, d),
        }
    shapes |= {"model.norm.weight": (d,), "lm_head.weight": (cfg.vocab, d)}
    return shapes


def build(cfg: ModelConfig, name: str = "forward") -> FunctionBuilder:
    """The forward pass ``input_ids [B, S] i32 -> logits [B, S, V]``."""
    _check_family(cfg)
    b, s, h, hkv, dh = cfg.batch, cfg.seq, cfg.heads, cfg.num_kv_heads, cfg.head_dim
    fb, ids, w = start_forward(cfg, param_shapes(cfg), name, weight_prefix="model.")

    x = fb.embedding(w["model.embed_tokens.weight"], ids, hint="x")
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        with fb.scope(f"layers.{i}"):
            a = fb.rms_norm(x, w[p + "input_layernorm.weight"], cfg.eps, hint="input_norm")
            q = fb.linear(a, w[p + "self_attn.q_proj.weight"], hint="q")
            k = fb.linear(a, w[p + "self_attn.k_proj.weight"], hint="k")
            v = fb.linear(a, w[p + "self_attn.v_proj.weight"], hint="v")
            qh = fb.reshape(q, (b, s, h, dh), hint="qh")
            kh = fb.reshape(k, (b, s, hkv, dh), hint="kh")
            vh = fb.reshape(v, (b, s, hkv, dh), hint="vh")
            qr = fb.rope(qh, cfg.rope_theta, hint="q_rope")
            kr = fb.rope(kh, cfg.rope_theta, hint="k_rope")
            att = fb.attention(qr, kr, vh, causal=True, hint="attn")
            merged = fb.reshape(att, (b, s, h * dh), hint="attn_merged")
            o = fb.linear(merged, w[p + "self_attn.o_proj.weight"], hint="attn_out")
            x = fb.add(x, o, hint="resid_attn")

            m = fb.rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg.eps, hint="post_norm")
            gate = fb.linear(m, w[p + "mlp.gate_proj.weight"], hint="gate")
            up = fb.linear(m, w[p + "mlp.up_proj.weight"], hint="up")
            act = fb.mul(fb.silu(gate, hint="gate_silu"), up, hint="swiglu")
            down = fb.linear(act, w[p + "mlp.down_proj.weight"], hint="mlp_out")
            x = fb.add(x, down, hint="resid_mlp")

    xn = fb.rms_norm(x, w["model.norm.weight"], cfg.eps, hint="norm")
    finish_with_lm_head(fb, xn, w["lm_head.weight"])
    return fb


def from_hf_state_dict(state_dict: Mapping[str, Any], cfg: ModelConfig | None = None) -> dict[str, np.ndarray]:
    """Weft weights from a Hugging Face ``LlamaForCausalLM`` state dict.

    Transposes every ``nn.Linear`` weight (``[out, in]`` to ``[in, out]``);
    keeps embeddings, norms and ``lm_head.weight`` as they are. Drops the
    ``rotary_emb.inv_freq`` buffers older checkpoints carry, and copies the
    embedding into ``lm_head.weight`` for tied checkpoints that omit it.
    With ``cfg``, checks every name and shape.
    """
    out: dict[str, np.ndarray] = {}
    for name, value in state_dict.items():
        if name.endswith("rotary_emb.inv_freq"):
            continue
        a = to_numpy(value)
        out[name] = np.ascontiguousarray(a.T) if is_linear_weight(name) else a
    if "lm_head.weight" not in out and "model.embed_tokens.weight" in out:
        out["lm_head.weight"] = out["model.embed_tokens.weight"]
    if cfg is not None:
        check_shapes(out, param_shapes(cfg))
    return out


def to_hf_state_dict(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inverse of ``from_hf_state_dict``: ``nn.Linear`` weights back to ``[out, in]``."""
    return {n: np.ascontiguousarray(np.asarray(a).T) if is_linear_weight(n) else np.asarray(a)
            for n, a in weights.items()}


def _check_family(cfg: ModelConfig) -> None:
    if cfg.family != "llama":
        raise ValueError(f"expected a llama config, got family {cfg.family!r}")

