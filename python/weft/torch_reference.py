"""The models again, from PyTorch's own modules: an independent reference.

``weft.reference`` and the emitted graphs share one reading of the model;
this module is a second reading, written the way PyTorch and Hugging Face
write it (``nn.MultiheadAttention`` for GPT-2, HF's module names,
``rotate_half`` and ``repeat_interleave`` for Llama), so a mistake in the
first shows up as a disagreement. It loads Weft-layout weights through the
same conversion users call (``to_hf_state_dict``), which checks that too.

Needs PyTorch (1.13 or later); the rest of the package does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from weft.config import ModelConfig
from weft.models import gpt2 as gpt2_model
from weft.models import llama as llama_model

_TORCH_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _torch_dtype(dtype: str | torch.dtype) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _TORCH_DTYPES[dtype]
    except KeyError:
        raise ValueError(f"expected dtype float64 or float32, got {dtype!r}") from None


def _t(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).to(dtype)


# -- GPT-2 -------------------------------------------------------------------------------


class GPT2Block(nn.Module):
    """Pre-norm block: LayerNorm, causal ``nn.MultiheadAttention``, LayerNorm, MLP."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.ln_1 = nn.LayerNorm(d, eps=cfg.eps)
        self.attn = nn.MultiheadAttention(d, cfg.heads, bias=True, batch_first=True)
        self.ln_2 = nn.LayerNorm(d, eps=cfg.eps)
        self.c_fc = nn.Linear(d, cfg.d_mlp)
        self.c_proj = nn.Linear(cfg.d_mlp, d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.ln_1(x)
        x = x + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    """GPT-2 with a tied LM head."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab, cfg.d_model)
        self.wpe = nn.Embedding(cfg.num_positions, cfg.d_model)
        self.h = nn.ModuleList(GPT2Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.eps)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        s = ids.shape[1]
        # nn.MultiheadAttention masks where the boolean mask is True.
        mask = torch.ones(s, s, dtype=torch.bool).triu(1)
        x = self.wte(ids) + self.wpe(torch.arange(s))
        for block in self.h:
            x = block(x, mask)
        return F.linear(self.ln_f(x), self.wte.weight)

    @torch.no_grad()
    def load_weft(self, weights: Mapping[str, np.ndarray]) -> None:
        """Loads Weft/HF GPT-2 weights: Conv1D ``[in, out]`` become ``nn.Linear`` ``[out, in]``."""
        hf = gpt2_model.to_hf_state_dict(weights)
        dtype = self.wte.weight.dtype
        self.wte.weight.copy_(_t(hf["transformer.wte.weight"], dtype))
        self.wpe.weight.copy_(_t(hf["transformer.wpe.weight"], dtype))
        for i, blk in enumerate(self.h):
            p = f"transformer.h.{i}."
            blk.ln_1.weight.copy_(_t(hf[p + "ln_1.weight"], dtype))
            blk.ln_1.bias.copy_(_t(hf[p + "ln_1.bias"], dtype))
            blk.attn.in_proj_weight.copy_(_t(hf[p + "attn.c_attn.weight"].T, dtype))
            blk.attn.in_proj_bias.copy_(_t(hf[p + "attn.c_attn.bias"], dtype))
            blk.attn.out_proj.weight.copy_(_t(hf[p + "attn.c_proj.weight"].T, dtype))
            blk.attn.out_proj.bias.copy_(_t(hf[p + "attn.c_proj.bias"], dtype))
            blk.ln_2.weight.copy_(_t(hf[p + "ln_2.weight"], dtype))
            blk.ln_2.bias.copy_(_t(hf[p + "ln_2.bias"], dtype))
            blk.c_fc.weight.copy_(_t(hf[p + "mlp.c_fc.weight"].T, dtype))
            blk.c_fc.bias.copy_(_t(hf[p + "mlp.c_fc.bias"], dtype))
            blk.c_proj.weight.copy_(_t(hf[p + "mlp.c_proj.weight"].T, dtype))
            blk.c_proj.bias.copy_(_t(hf[p + "mlp.c_proj.bias"], dtype))
        self.ln_f.weight.copy_(_t(hf["transformer.ln_f.weight"], dtype))
        self.ln_f.bias.copy_(_t(hf["transformer.ln_f.bias"], dtype))


# -- Llama (module names as in Hugging Face's LlamaForCausalLM) ---------------------------


class LlamaRMSNorm(nn.Module):
    def __init__(self, d: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """HF's ``rotate_half``: ``[x1, x2] -> [-x2, x1]`` over the last dim."""
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(seq: int, dim: int, theta: float, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """HF's rotary tables ``[S, D]``: ``inv_freq`` duplicated over both halves."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = torch.outer(torch.arange(seq, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


class LlamaAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d, dh = cfg.d_model, cfg.head_dim
        self.q_proj = nn.Linear(d, cfg.heads * dh, bias=False)
        self.k_proj = nn.Linear(d, cfg.num_kv_heads * dh, bias=False)
        self.v_proj = nn.Linear(d, cfg.num_kv_heads * dh, bias=False)
        self.o_proj = nn.Linear(cfg.heads * dh, d, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        h, hkv, dh = self.cfg.heads, self.cfg.num_kv_heads, self.cfg.head_dim
        # [B, H, S, Dh], as HF transposes before attention.
        q = self.q_proj(x).view(b, s, h, dh).transpose(1, 2)
        k = self.k_proj(x).view(b, s, hkv, dh).transpose(1, 2)
        v = self.v_proj(x).view(b, s, hkv, dh).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(h // hkv, dim=1)
        v = v.repeat_interleave(h // hkv, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, s, h * dh))


class LlamaMLP(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(cfg.d_model, cfg.d_mlp, bias=False)
        self.up_proj = nn.Linear(cfg.d_model, cfg.d_mlp, bias=False)
        self.down_proj = nn.Linear(cfg.d_mlp, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.input_layernorm = LlamaRMSNorm(cfg.d_model, cfg.eps)
        self.self_attn = LlamaAttention(cfg)
        self.post_attention_layernorm = LlamaRMSNorm(cfg.d_model, cfg.eps)
        self.mlp = LlamaMLP(cfg)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab, cfg.d_model)
        self.layers = nn.ModuleList(LlamaDecoderLayer(cfg) for _ in range(cfg.layers))
        self.norm = LlamaRMSNorm(cfg.d_model, cfg.eps)


class LlamaForCausalLM(nn.Module):
    """Parameter names match HF's ``LlamaForCausalLM`` state dict exactly."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        cos, sin = rope_cos_sin(ids.shape[1], self.cfg.head_dim, self.cfg.rope_theta,
                                self.lm_head.weight.dtype)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.model.norm(x))

    @torch.no_grad()
    def load_weft(self, weights: Mapping[str, np.ndarray]) -> None:
        """Loads Weft weights through ``to_hf_state_dict``, strictly by HF name."""
        dtype = self.lm_head.weight.dtype
        hf = {n: _t(a, dtype) for n, a in llama_model.to_hf_state_dict(weights).items()}
        self.load_state_dict(hf, strict=True)


# -- Entry points ------------------------------------------------------------------------------


def build_module(cfg: ModelConfig, weights: Mapping[str, np.ndarray], dtype: str | torch.dtype = "float64"
                 ) -> nn.Module:
    """The ``cfg.family`` model as a PyTorch module holding ``weights``, in eval mode."""
    tdtype = _torch_dtype(dtype)
    module: GPT2 | LlamaForCausalLM
    if cfg.family == "gpt2":
        module = GPT2(cfg)
    elif cfg.family == "llama":
        module = LlamaForCausalLM(cfg)
    else:
        raise ValueError(f"unknown model family {cfg.family!r}")
    module = module.to(tdtype).eval()
    module.load_weft(weights)
    return module


@torch.no_grad()
def forward(cfg: ModelConfig, weights: Mapping[str, np.ndarray], input_ids: np.ndarray,
            dtype: str | torch.dtype = "float64") -> np.ndarray:
    """Logits [B, S, V] from PyTorch, computed in ``dtype`` (float64 or float32)."""
    module = build_module(cfg, weights, dtype)
    ids = torch.from_numpy(np.asarray(input_ids, dtype=np.int64))
    return module(ids).numpy()
