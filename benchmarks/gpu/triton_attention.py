"""A Triton FlashAttention forward kernel, the Triton column of the attention benchmark.

Written for this benchmark after the algorithm of Triton's fused-attention
tutorial (python/tutorials/06-fused-attention.py): one program per (query
block, batch·head), K/V blocks streamed through ``tl.dot`` with the online
softmax in exp2 units, and for causal attention the blocks left of the
diagonal block run without a mask, the diagonal block with one. Autotuned
over four of the tutorial's block shapes, warp counts and pipeline depths. Layout
[B, S, H, D], self-attention (Sq = Skv), scale 1/sqrt(D).
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl

LOG2E = 1.4426950408889634


@triton.jit
def _key_blocks(acc, l_i, m_i, q, k_ptrs, v_ptrs, offs_m, offs_n, lo, hi, seq, stride_s,
                scale_log2, BLOCK_N: tl.constexpr, MASK_DIAGONAL: tl.constexpr):
    for start in range(lo, hi, BLOCK_N):
        start = tl.multiple_of(start, BLOCK_N)
        cols = start + offs_n
        k = tl.load(k_ptrs + start * stride_s, mask=cols[None, :] < seq, other=0.0)
        s = tl.dot(q, k)
        visible = cols[None, :] < seq
        if MASK_DIAGONAL:
            visible = visible & (cols[None, :] <= offs_m[:, None])
        s = tl.where(visible, s * scale_log2, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        alpha = tl.math.exp2(m_i - m_new)
        p = tl.math.exp2(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_ptrs + start * stride_s, mask=cols[:, None] < seq, other=0.0)
        acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
        m_i = m_new
    return acc, l_i, m_i


# Four of the tutorial's configurations, so that autotuning every case of
# the benchmark stays within minutes.
@triton.autotune(
    configs=[triton.Config({"BLOCK_M": bm, "BLOCK_N": bn}, num_warps=w, num_stages=st)
             for bm, bn, w, st in ((128, 64, 4, 3), (128, 64, 8, 3), (128, 32, 4, 4), (64, 64, 4, 3))],
    key=["seq", "HEAD_DIM", "CAUSAL"])
@triton.jit
def _attention_forward(Q, K, V, O, stride_b, stride_s, stride_h, seq, heads, scale_log2,
                       HEAD_DIM: tl.constexpr, CAUSAL: tl.constexpr,
                       BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    pid_m = tl.program_id(0)
    bh = tl.program_id(1)
    base = (bh // heads) * stride_b + (bh % heads) * stride_h
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    q = tl.load(Q + base + offs_m[:, None] * stride_s + offs_d[None, :], mask=offs_m[:, None] < seq, other=0.0)
    k_ptrs = K + base + offs_n[None, :] * stride_s + offs_d[:, None]  # [D, N]
    v_ptrs = V + base + offs_n[:, None] * stride_s + offs_d[None, :]  # [N, D]
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    if CAUSAL:
        # Blocks left of the diagonal block see every key; the diagonal
        # block masks.
        acc, l_i, m_i = _key_blocks(acc, l_i, m_i, q, k_ptrs, v_ptrs, offs_m, offs_n, 0, pid_m * BLOCK_M,
                                    seq, stride_s, scale_log2, BLOCK_N, False)
        acc, l_i, m_i = _key_blocks(acc, l_i, m_i, q, k_ptrs, v_ptrs, offs_m, offs_n, pid_m * BLOCK_M,
                                    tl.minimum((pid_m + 1) * BLOCK_M, seq), seq, stride_s, scale_log2,
                                    BLOCK_N, True)
    else:
        acc, l_i, m_i = _key_blocks(acc, l_i, m_i, q, k_ptrs, v_ptrs, offs_m, offs_n, 0, seq,
                                    seq, stride_s, scale_log2, BLOCK_N, False)
    out = acc / l_i[:, None]
    tl.store(O + base + offs_m[:, None] * stride_s + offs_d[None, :], out.to(O.dtype.element_ty),
             mask=offs_m[:, None] < seq)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """softmax(q kᵀ / sqrt(D)) v for contiguous [B, S, H, D] tensors."""
    b, s, h, d = q.shape
    assert q.is_contiguous() and k.is_contiguous() and v.is_contiguous() and k.shape == q.shape == v.shape
    o = torch.empty_like(q)
    grid = lambda meta: (triton.cdiv(s, meta["BLOCK_M"]), b * h)  # noqa: E731
    _attention_forward[grid](q, k, v, o, q.stride(0), q.stride(1), q.stride(2), s, h, LOG2E / d ** 0.5,
                             HEAD_DIM=d, CAUSAL=causal)
    return o
