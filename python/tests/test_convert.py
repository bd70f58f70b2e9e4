"""Hugging Face state dicts <-> Weft weights: names kept, nn.Linear weights transposed (Llama only)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from weft import models, reference, torch_reference
from weft.config import preset
from weft.models import gpt2, llama
from weft.reference import max_rel_error


def _random_hf_llama(cfg, seed: int) -> dict[str, torch.Tensor]:
    """A state dict from HF-named PyTorch modules, every parameter random."""
    torch.manual_seed(seed)
    module = torch_reference.LlamaForCausalLM(cfg).double()
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(1.0 if p.ndim == 1 else 0.0, 0.05 if p.ndim == 1 else 0.02)
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_llama_from_hf_transposes_linears_only(seed: int) -> None:
    cfg = preset("llama", "tiny", dtype="f64")
    hf = _random_hf_llama(cfg, seed)
    w = llama.from_hf_state_dict(hf, cfg)
    assert list(w) == list(models.param_shapes(cfg))
    q = "model.layers.0.self_attn.q_proj.weight"
    k = "model.layers.1.self_attn.k_proj.weight"
    assert hf[k].shape == (cfg.num_kv_heads * cfg.head_dim, cfg.d_model)  # nn.Linear: [out, in]
    assert w[k].shape == (cfg.d_model, cfg.num_kv_heads * cfg.head_dim)  # Weft: [in, out]
    assert np.array_equal(w[q], hf[q].numpy().T)
    for name in ("model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                 "model.layers.0.input_layernorm.weight"):
        assert np.array_equal(w[name], hf[name].numpy()), name
    # x · W_weft is what nn.Linear computes with W_hf.
    x = torch.from_numpy(np.random.default_rng(seed).normal(size=(3, cfg.d_model)))
    assert np.allclose(reference.linear(x.numpy(), w[q]), torch.nn.functional.linear(x, hf[q]).numpy(),
                       rtol=1e-13, atol=1e-15)


def test_llama_converted_weights_give_torch_logits(seed: int) -> None:
    cfg = preset("llama", "tiny", dtype="f64")
    hf = _random_hf_llama(cfg, seed)
    module = torch_reference.LlamaForCausalLM(cfg).double().eval()
    module.load_state_dict(hf)
    ids = models.random_input_ids(cfg, seed)
    with torch.no_grad():
        expected = module(torch.from_numpy(ids.astype(np.int64))).numpy()
    got = reference.forward(cfg, llama.from_hf_state_dict(hf, cfg), ids)
    assert max_rel_error(got, expected) <= 1e-10


def test_llama_round_trip(seed: int) -> None:
    cfg = preset("llama", "tiny")
    w = models.init_weights(cfg, seed)
    hf = models.to_hf_state_dict("llama", w)
    assert hf["model.layers.0.mlp.down_proj.weight"].shape == (cfg.d_model, cfg.d_mlp)
    back = models.from_hf_state_dict("llama", hf, cfg)
    assert list(back) == list(w)
    for name in w:
        assert np.array_equal(back[name], w[name]) and back[name].flags.c_contiguous, name


def test_llama_checkpoint_quirks(seed: int) -> None:
    cfg = preset("llama", "tiny", dtype="f64")
    hf = _random_hf_llama(cfg, seed)
    hf["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(cfg.head_dim // 2)
    tied = {k: v for k, v in hf.items() if k != "lm_head.weight"}
    w = llama.from_hf_state_dict(tied, cfg)
    assert np.array_equal(w["lm_head.weight"], hf["model.embed_tokens.weight"].numpy())
    bf16 = {k: v.to(torch.bfloat16) for k, v in hf.items()}
    wb = llama.from_hf_state_dict(bf16)
    assert wb["lm_head.weight"].dtype == np.float32


def test_llama_shape_mismatch_is_reported(seed: int) -> None:
    cfg = preset("llama", "tiny")
    hf = models.to_hf_state_dict("llama", models.init_weights(cfg, seed))
    with pytest.raises(ValueError, match="expected model.layers.0.self_attn.k_proj.weight of shape"):
        llama.from_hf_state_dict(hf, cfg.replace(kv_heads=4))
    del hf["model.norm.weight"]
    with pytest.raises(ValueError, match="missing"):
        llama.from_hf_state_dict(hf, cfg)


def test_gpt2_from_hf_keeps_conv1d_layout(seed: int) -> None:
    cfg = preset("gpt2", "tiny")
    w = models.init_weights(cfg, seed)
    # A GPT2Model-style dict: no "transformer." prefix, mask buffers, tied head.
    hf = {k.removeprefix("transformer."): torch.from_numpy(v) for k, v in w.items()}
    for i in range(cfg.layers):
        hf[f"h.{i}.attn.bias"] = torch.ones(1, 1, cfg.seq, cfg.seq).tril()
        hf[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    hf["lm_head.weight"] = hf["wte.weight"]
    back = gpt2.from_hf_state_dict(hf, cfg)
    assert list(back) == list(w)
    for name in w:
        assert np.array_equal(back[name], w[name]), name
    assert np.array_equal(models.to_hf_state_dict("gpt2", w)["lm_head.weight"], w["transformer.wte.weight"])


def test_gpt2_untied_head_rejected(seed: int) -> None:
    cfg = preset("gpt2", "tiny")
    hf = models.to_hf_state_dict("gpt2", models.init_weights(cfg, seed))
    hf["lm_head.weight"] = hf["lm_head.weight"] + 1
    with pytest.raises(ValueError, match="ties"):
        gpt2.from_hf_state_dict(hf, cfg)
