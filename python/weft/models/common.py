"""Pieces shared by the model builders: the graph's ends, weight init, state-dict handling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from weft.config import ModelConfig
from weft.dtypes import round_to_dtype
from weft.mlir import FunctionBuilder, Value

# The manifest names of the forward pass's one input and one result.
INPUT_NAME: Final[str] = "input_ids"
RESULT_NAME: Final[str] = "logits"


def start_forward(cfg: ModelConfig, shapes: Mapping[str, tuple[int, ...]], name: str, weight_prefix: str
                  ) -> tuple[FunctionBuilder, Value, dict[str, Value]]:
    """A builder with the arguments of every forward pass.

    Declares ``input_ids [B, S] i32`` and then one ``cfg.dtype`` weight per
    entry of ``shapes``, in order, named (``xf.name``) after it and, in the
    SSA text, after it less ``weight_prefix``. Returns the builder, the ids
    and the weights by name.
    """
    fb = FunctionBuilder(name)
    ids = fb.arg(INPUT_NAME, (cfg.batch, cfg.seq), "i32", role="input")
    weights = {n: fb.arg(n, shape, cfg.dtype, role="weight", hint=n.removeprefix(weight_prefix))
               for n, shape in shapes.items()}
    return fb, ids, weights


def finish_with_lm_head(fb: FunctionBuilder, h: Value, table: Value) -> None:
    """Sets the result ``logits [B, S, V] = h · tableᵀ`` for ``h`` [B, S, D] and ``table`` [V, D].

    ``xf.matmul`` needs operands of one rank, so ``h`` is flattened to
    ``[B*S, D]``, multiplied with ``transpose_rhs`` and reshaped back.
    """
    b, s, d = h.shape
    flat = fb.reshape(h, (b * s, d), hint=h.name.removeprefix("%") + "_flat")
    logits = fb.matmul(flat, table, transpose_rhs=True, hint="logits_flat")
    fb.ret([fb.reshape(logits, (b, s, table.shape[0]), hint="logits")], names=[RESULT_NAME])

# Standard deviations of the random weights. Matrices follow GPT-2's and
# Llama's own initializer (0.02). Norm gains sit near one and biases near
# zero, but neither is constant: a graph that drops a gain or a bias, or
# binds the wrong one, then gives different logits.
MATRIX_STD = 0.02
GAIN_STD = 0.05
BIAS_STD = 0.02


def param_kind(name: str, shape: tuple[int, ...]) -> str:
    """``matrix``, ``gain`` or ``bias``: how a parameter is initialized."""
    if len(shape) >= 2:
        return "matrix"
    if name.endswith(".bias"):
        return "bias"
    return "gain"


def init_params(shapes: Mapping[str, tuple[int, ...]], cfg: ModelConfig, seed: int) -> dict[str, np.ndarray]:
    """Random weights for ``shapes``, rounded to ``cfg.dtype``.

    Each tensor gets its own generator, seeded from ``seed`` and its name, so
    a tensor's values do not depend on which others exist (adding a layer
    does not change layer 0). Values are held in ``value_dtype(cfg.dtype)``
    (float32 for bf16) and are exactly representable in ``cfg.dtype``.
    """
    out: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        rng = np.random.default_rng([seed, *name.encode("utf-8")])
        kind = param_kind(name, shape)
        if kind == "matrix":
            x = rng.normal(0.0, MATRIX_STD, size=shape)
        elif kind == "gain":
            x = 1.0 + rng.normal(0.0, GAIN_STD, size=shape)
        else:
            x = rng.normal(0.0, BIAS_STD, size=shape)
        out[name] = round_to_dtype(x, cfg.dtype)
    return out


def random_input_ids(cfg: ModelConfig, seed: int) -> np.ndarray:
    """Token ids [batch, seq] (int32), uniform over the vocabulary."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, cfg.vocab, size=(cfg.batch, cfg.seq), dtype=np.int32)


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array from a NumPy array or a PyTorch tensor (bf16 as float32).

    Duck-typed, so that this package needs no PyTorch import.
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def check_shapes(weights: Mapping[str, np.ndarray], expected: Mapping[str, tuple[int, ...]]) -> None:
    """Raises ``ValueError`` unless ``weights`` has exactly ``expected``'s names and shapes."""
    missing = [n for n in expected if n not in weights]
    extra = [n for n in weights if n not in expected]
    if missing or extra:
        raise ValueError(f"weights do not match the model: missing {missing[:5]}, unexpected {extra[:5]}")
    for name, shape in expected.items():
        if tuple(weights[name].shape) != tuple(shape):
            raise ValueError(f"expected {name} of shape {list(shape)}, got {list(weights[name].shape)}")
