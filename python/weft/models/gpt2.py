"""GPT-2 as an ``xf`` graph, with its weights and Hugging Face conversion.

Tensor names are Hugging Face's (``transformer.h.0.attn.c_attn.weight``).
GPT-2's ``Conv1D`` already stores weights ``[in, out]``, Weft's ``xf.linear``
layout, so no tensor is transposed. The LM head is tied to the token
embedding: ``logits = h · wteᵀ``, written as ``xf.matmul ... transpose_rhs``
over ``[B*S, D]`` since ``xf.matmul`` needs operands of one rank.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from weft.config import ModelConfig
from weft.mlir import FunctionBuilder
from weft.models.common import check_shapes, finish_with_lm_head, start_forward, to_numpy

# How the module header names the model.
TITLE = "GPT-2"


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every weight's name and Weft-layout shape, in argument order."""
    _check_family(cfg)
    d, f = cfg.d_model, cfg.d_mlp
    shapes: dict[str, tuple[int, ...]] = {
        "transformer.wte.weight": (cfg.vocab, d),
        "transformer.wpe.weight": (cfg.num_positions, d),
    }
    for i in range(cfg.layers):
        p = f"transformer.h.{i}."
        shapes |= {
            p + "ln_1.weight": (d,), p + "ln_1.bias": (d,),
            p + "attn.c_attn.weight": (d, 3 * d), p + "attn.c_attn.bias": (3 * d,),
            p + "attn.c_proj.weight": (d, d), p + "attn.c_proj.bias": (d,),
            p + "ln_2.weight": (d,), p + "ln_2.bias": (d,),
            p + "mlp.c_fc.weight": (d, f), p + "mlp.c_fc.bias": (f,),
            p + "mlp.c_proj.weight": (f, d), p + "mlp.c_proj.bias": (d,),
        }
    shapes |= {"transformer.ln_f.weight": (d,), "transformer.ln_f.bias": (d,)}
    return shapes


def build(cfg: ModelConfig, name: str = "forward") -> FunctionBuilder:
    """The forward pass ``input_ids [B, S] i32 -> logits [B, S, V]``."""
    _check_family(cfg)
    b, s, d, h, dh = cfg.batch, cfg.seq, cfg.d_model, cfg.heads, cfg.head_dim
    fb, ids, w = start_forward(cfg, param_shapes(cfg), name, weight_prefix="transformer.")

    tok = fb.embedding(w["transformer.wte.weight"], ids, hint="tok_emb")
    pos_ids = fb.constant(np.arange(s, dtype=np.int32), "i32", hint="pos_ids")
    pos = fb.embedding(w["transformer.wpe.weight"], pos_ids, hint="pos_emb")
    x = fb.add(tok, pos, hint="x")

    for i in range(cfg.layers):
        p = f"transformer.h.{i}."
        with fb.scope(f"h.{i}"):
            a = fb.layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], cfg.eps, hint="ln_1")
            qkv = fb.linear(a, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"], hint="qkv")
            q, k, v = fb.split(qkv, 2, [d, d, d], hints=["q", "k", "v"])
            qh = fb.reshape(q, (b, s, h, dh), hint="qh")
            kh = fb.reshape(k, (b, s, h, dh), hint="kh")
            vh = fb.reshape(v, (b, s, h, dh), hint="vh")
            att = fb.attention(qh, kh, vh, causal=True, hint="attn")
            merged = fb.reshape(att, (b, s, d), hint="attn_merged")
            proj = fb.linear(merged, w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"], hint="attn_out")
            x = fb.add(x, proj, hint="resid_attn")

            m = fb.layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], cfg.eps, hint="ln_2")
            fc = fb.linear(m, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"], hint="fc")
            act = fb.gelu(fc, approximate="tanh", hint="gelu")
            out = fb.linear(act, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"], hint="mlp_out")
            x = fb.add(x, out, hint="resid_mlp")

    hf = fb.layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], cfg.eps, hint="ln_f")
    finish_with_lm_head(fb, hf, w["transformer.wte.weight"])  # tied to the token embedding
    return fb


# Buffers in HF GPT-2 checkpoints that are not parameters (causal masks).
_HF_BUFFER_SUFFIXES = (".attn.bias", ".attn.masked_bias")


def from_hf_state_dict(state_dict: Mapping[str, Any], cfg: ModelConfig | None = None) -> dict[str, np.ndarray]:
    """Weft weights from a Hugging Face GPT-2 state dict.

    Conv1D weights are ``[in, out]`` already and are kept as they are.
    Accepts ``GPT2LMHeadModel`` names and ``GPT2Model`` ones (no
    ``transformer.`` prefix), drops the attention-mask buffers, and drops
    ``lm_head.weight`` after checking that it is tied to ``wte``. With
    ``cfg``, checks every name and shape.
    """
    out: dict[str, np.ndarray] = {}
    lm_head = None
    for key, value in state_dict.items():
        if key == "lm_head.weight":
            lm_head = to_numpy(value)
            continue
        name = key if key.startswith("transformer.") else "transformer." + key
        if name.startswith("transformer.h.") and name.endswith(_HF_BUFFER_SUFFIXES):
            continue
        out[name] = to_numpy(value)
    if lm_head is not None and "transformer.wte.weight" in out and not np.array_equal(
            lm_head, out["transformer.wte.weight"]):
        raise ValueError("lm_head.weight differs from transformer.wte.weight; Weft's GPT-2 ties them")
    if cfg is not None:
        check_shapes(out, param_shapes(cfg))
    return out


def to_hf_state_dict(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inverse of ``from_hf_state_dict`` (``GPT2LMHeadModel`` names, tied head)."""
    out = {k: np.asarray(v) for k, v in weights.items()}
    out["lm_head.weight"] = out["transformer.wte.weight"]
    return out


def _check_family(cfg: ModelConfig) -> None:
    if cfg.family != "gpt2":
        raise ValueError(f"expected a gpt2 config, got family {cfg.family!r}")

