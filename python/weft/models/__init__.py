"""Model builders: one module per family, with one interface.

Each family module (``gpt2``, ``llama``) provides ``param_shapes(cfg)``,
``build(cfg)`` (a ``FunctionBuilder``), ``emit(cfg)`` (MLIR text),
``init_weights(cfg, seed)``, ``from_hf_state_dict(sd, cfg=None)`` and
``to_hf_state_dict(weights)``. The functions here dispatch on
``cfg.family`` so that tools need not.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from weft.config import ModelConfig
from weft.models import gpt2, llama
from weft.models.common import random_input_ids

_FAMILIES: dict[str, ModuleType] = {"gpt2": gpt2, "llama": llama}


def family_module(family: str) -> ModuleType:
    """The builder module of ``family``."""
    try:
        return _FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; expected one of {', '.join(_FAMILIES)}") from None


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Weight names and Weft-layout shapes, in argument order."""
    return family_module(cfg.family).param_shapes(cfg)


def emit(cfg: ModelConfig) -> str:
    """The model's forward pass as ``xf`` MLIR text."""
    return family_module(cfg.family).emit(cfg)


def init_weights(cfg: ModelConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded random weights, exactly representable in ``cfg.dtype``."""
    return family_module(cfg.family).init_weights(cfg, seed)


def from_hf_state_dict(family: str, state_dict: Mapping[str, Any], cfg: ModelConfig | None = None
                       ) -> dict[str, np.ndarray]:
    """Weft weights (names kept, layouts Weft's) from a Hugging Face state dict."""
    return family_module(family).from_hf_state_dict(state_dict, cfg)


def to_hf_state_dict(family: str, weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Hugging Face layouts from Weft weights."""
    return family_module(family).to_hf_state_dict(weights)


__all__ = ["emit", "family_module", "from_hf_state_dict", "gpt2", "init_weights", "llama", "param_shapes",
           "random_input_ids", "to_hf_state_dict"]
