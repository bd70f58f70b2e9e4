"""NumPy reference ops against PyTorch's, on fresh random inputs.

Tolerance: float64 throughout, so the ops agree to rounding: max error
relative to the largest magnitude ``<= 1e-12`` (``weft.reference.max_rel_error``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from weft import reference as ref
from weft.reference import max_rel_error

TOL = 1e-12


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(x, dtype=np.float64))


def test_layer_norm(rng: np.random.Generator) -> None:
    x = rng.normal(2.0, 3.0, size=(2, 5, 48))
    g, b = rng.normal(1.0, 0.3, size=48), rng.normal(size=48)
    expected = F.layer_norm(_t(x), (48,), _t(g), _t(b), eps=1e-5).numpy()
    assert max_rel_error(ref.layer_norm(x, g, b, 1e-5), expected) <= TOL


def test_rms_norm(rng: np.random.Generator) -> None:
    x, g = rng.normal(size=(3, 4, 40)), rng.normal(1.0, 0.3, size=40)
    t = _t(x)
    expected = (t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-6) * _t(g)).numpy()
    assert max_rel_error(ref.rms_norm(x, g, 1e-6), expected) <= TOL


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(rng: np.random.Generator, approximate: str) -> None:
    x = rng.normal(0.0, 3.0, size=(4, 257))
    expected = F.gelu(_t(x), approximate=approximate).numpy()
    assert max_rel_error(ref.gelu(x, approximate), expected) <= TOL
    # The two modes differ by more than the tolerance: the test can tell them apart.
    other = "tanh" if approximate == "none" else "none"
    assert max_rel_error(ref.gelu(x, other), expected) > 1e-5


def test_silu_including_large_magnitudes(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.normal(0.0, 4.0, size=500), [-800.0, -40.0, 40.0, 800.0]])
    expected = F.silu(_t(x)).numpy()
    got = ref.silu(x)
    assert np.all(np.isfinite(got))
    assert max_rel_error(got, expected) <= TOL


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax(rng: np.random.Generator, axis: int) -> None:
    x = rng.normal(0.0, 10.0, size=(6, 9))
    expected = torch.softmax(_t(x), dim=axis).numpy()
    assert max_rel_error(ref.softmax(x, axis=axis), expected) <= TOL


def _torch_mha(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: torch.Tensor | None) -> np.ndarray:
    """PyTorch's multi-head attention with identity projections: pure SDPA per head.

    Inputs are [B, S, H, D] with equal head counts; ``F.multi_head_attention_forward``
    wants [S, B, H*D] and a float or boolean mask (True = masked).
    """
    b, sq, h, d = q.shape
    skv = k.shape[1]
    e = h * d
    eye = torch.eye(e, dtype=torch.float64)
    to_sbe = lambda x, s: _t(x).reshape(b, s, e).transpose(0, 1)  # noqa: E731
    out, _ = F.multi_head_attention_forward(
        to_sbe(q, sq), to_sbe(k, skv), to_sbe(v, skv), e, h,
        in_proj_weight=None, in_proj_bias=None, bias_k=None, bias_v=None, add_zero_attn=False,
        dropout_p=0.0, out_proj_weight=eye, out_proj_bias=None, training=False, need_weights=False,
        attn_mask=mask, use_separate_proj_weight=True, q_proj_weight=eye, k_proj_weight=eye, v_proj_weight=eye)
    return out.transpose(0, 1).reshape(b, sq, h, d).numpy()


@pytest.mark.parametrize("hq, hkv", [(4, 4), (4, 2), (6, 1)], ids=["mha", "gqa", "mqa"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_attention_vs_torch(rng: np.random.Generator, hq: int, hkv: int, causal: bool) -> None:
    b, s, d = 2, 7, 8
    q = rng.normal(size=(b, s, hq, d))
    k = rng.normal(size=(b, s, hkv, d))
    v = rng.normal(size=(b, s, hkv, d))
    mask = torch.ones(s, s, dtype=torch.bool).triu(1) if causal else None
    # GQA in PyTorch terms: each kv head serves hq / hkv consecutive query heads.
    expected = _torch_mha(q, np.repeat(k, hq // hkv, axis=2), np.repeat(v, hq // hkv, axis=2), mask)
    assert max_rel_error(ref.attention(q, k, v, causal=causal), expected) <= TOL


def test_attention_causal_mask_is_bottom_right(rng: np.random.Generator) -> None:
    # 3 queries against 8 keys (5 cached): query i sees keys 0 .. i + 5.
    b, sq, skv, h, d = 1, 3, 8, 2, 4
    q, k, v = rng.normal(size=(b, sq, h, d)), rng.normal(size=(b, skv, h, d)), rng.normal(size=(b, skv, h, d))
    mask = ~torch.ones(sq, skv, dtype=torch.bool).tril(diagonal=skv - sq)
    expected = _torch_mha(q, k, v, mask)
    assert max_rel_error(ref.attention(q, k, v, causal=True), expected) <= TOL
    # The last query sees every key: same as unmasked attention for that row.
    full = ref.attention(q, k, v)
    assert max_rel_error(ref.attention(q, k, v, causal=True)[:, -1], full[:, -1]) <= TOL
    assert max_rel_error(ref.attention(q, k, v, causal=True)[:, 0], full[:, 0]) > 1e-3


def test_attention_scale_and_value_head_dim(rng: np.random.Generator) -> None:
    q, k = rng.normal(size=(1, 4, 2, 8)), rng.normal(size=(1, 5, 1, 8))
    v = rng.normal(size=(1, 5, 1, 3))
    scores = np.einsum("bihd,bjd->bhij", q, k[:, :, 0]) * 0.3
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    expected = np.einsum("bhij,bjd->bihd", p, v[:, :, 0])
    assert max_rel_error(ref.attention(q, k, v, scale=0.3), expected) <= TOL


def _hf_apply_rotary_pos_emb(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor
                             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Hugging Face Llama's ``apply_rotary_pos_emb``, written out here: [B, H, S, D]."""

    def rotate_half(x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    cos, sin = cos[None, None], sin[None, None]
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


@pytest.mark.parametrize("theta", [10000.0, 500000.0])
def test_rope_rotate_half_matches_hf(rng: np.random.Generator, theta: float) -> None:
    b, s, h, hkv, d = 2, 11, 4, 2, 16
    q, k = rng.normal(size=(b, s, h, d)), rng.normal(size=(b, s, hkv, d))
    # HF's LlamaRotaryEmbedding tables, in float64.
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = torch.outer(torch.arange(s, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    hq, hk = _hf_apply_rotary_pos_emb(_t(q).transpose(1, 2), _t(k).transpose(1, 2), emb.cos(), emb.sin())
    assert max_rel_error(ref.rope(q, theta), hq.transpose(1, 2).numpy()) <= TOL
    assert max_rel_error(ref.rope(k, theta), hk.transpose(1, 2).numpy()) <= TOL
    # Position 0 is not rotated; later positions are.
    assert np.array_equal(ref.rope(q, theta)[:, 0], q[:, 0])
    assert max_rel_error(ref.rope(q, theta, interleaved=True), hq.transpose(1, 2).numpy()) > 1e-3


def test_rope_interleaved_matches_complex_form(rng: np.random.Generator) -> None:
    # Meta's original Llama: pairs (2i, 2i+1) as complex numbers times e^{i·angle}.
    b, s, h, d, theta = 1, 9, 3, 12, 10000.0
    x = rng.normal(size=(b, s, h, d))
    xc = torch.view_as_complex(_t(x).reshape(b, s, h, d // 2, 2))
    freqs = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64)[: d // 2] / d))
    angles = torch.outer(torch.arange(s, dtype=torch.float64), freqs)
    expected = torch.view_as_real(xc * torch.polar(torch.ones_like(angles), angles)[None, :, None, :])
    assert max_rel_error(ref.rope(x, theta, interleaved=True), expected.reshape(b, s, h, d).numpy()) <= TOL


def test_rope_explicit_positions(rng: np.random.Generator) -> None:
    x = rng.normal(size=(2, 5, 2, 8))
    pos = rng.integers(0, 100, size=(2, 5))
    out = ref.rope(x, 10000.0, positions=pos)
    # Each row equals rope at default positions of a sequence long enough to reach it.
    for bi in range(2):
        for si in range(5):
            p = int(pos[bi, si])
            padded = np.zeros((1, p + 1, 2, 8))
            padded[0, p] = x[bi, si]
            assert max_rel_error(out[bi, si], ref.rope(padded, 10000.0)[0, p]) <= TOL


def test_rope_preserves_pair_norms(rng: np.random.Generator) -> None:
    x = rng.normal(size=(1, 6, 2, 10))
    y = ref.rope(x, 10000.0)
    n = lambda a: a[..., :5] ** 2 + a[..., 5:] ** 2  # noqa: E731
    assert np.allclose(n(x), n(y), rtol=1e-13, atol=0)
    assert np.abs(y - x).max() > 0.1
