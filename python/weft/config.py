"""Model configurations and the presets the CLI and tests build from.

One dataclass describes both model families; the fields a family does not
use (``rope_theta`` for GPT-2, ``n_positions`` for Llama) are ignored by it.
Presets ``tiny`` and ``small`` are sized for tests: ``tiny`` runs in
milliseconds, ``small`` is GPT-2-small-shaped but small enough for CI. The
others are published model sizes (``gpt2-124m``, ``llama2-70b``,
``gpt3-175b``), defined for one family each and meant for graphs
(``python3 -m weft.build --graph-only``): the two larger ones' weights would
not fit in memory.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Final, Literal

from weft.dtypes import FLOAT_DTYPES

Family = Literal["gpt2", "llama"]
FAMILIES: Final[tuple[str, ...]] = ("gpt2", "llama")


@dataclass(frozen=True)
class ModelConfig:
    """Shape and numerics of one decoder-only transformer.

    ``kv_heads`` defaults to ``heads`` (multi-head attention); Llama may use
    fewer (grouped-query, or multi-query with 1). ``n_positions`` is the
    size of GPT-2's learned position table and defaults to ``seq``.
    """

    family: Family
    layers: int
    heads: int
    d_model: int
    d_mlp: int
    vocab: int
    seq: int
    batch: int = 1
    kv_heads: int | None = None
    dtype: str = "f32"
    eps: float = 1e-5
    rope_theta: float = 10000.0
    n_positions: int | None = None

    def __post_init__(self) -> None:
        # Resolve the defaults that depend on other fields, so that every
        # consumer sees plain integers.
        if self.kv_heads is None:
            object.__setattr__(self, "kv_heads", self.heads)
        if self.n_positions is None:
            object.__setattr__(self, "n_positions", self.seq)
        self.validate()

    @property
    def head_dim(self) -> int:
        """Features per attention head, ``d_model / heads``."""
        return self.d_model // self.heads

    @property
    def num_kv_heads(self) -> int:
        """``kv_heads`` as an ``int`` (resolved in ``__post_init__``)."""
        assert self.kv_heads is not None
        return self.kv_heads

    @property
    def num_positions(self) -> int:
        """``n_positions`` as an ``int`` (resolved in ``__post_init__``)."""
        assert self.n_positions is not None
        return self.n_positions

    def validate(self) -> None:
        """Raises ``ValueError`` naming the first field that is out of range."""
        if self.family not in FAMILIES:
            raise ValueError(f"unknown model family {self.family!r}; expected one of {', '.join(FAMILIES)}")
        for name in ("layers", "heads", "d_model", "d_mlp", "vocab", "seq", "batch", "kv_heads", "n_positions"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"expected {name} to be a positive integer, got {value!r}")
        if self.dtype not in FLOAT_DTYPES:
            raise ValueError(f"expected dtype to be one of {', '.join(FLOAT_DTYPES)}, got {self.dtype!r}")
        if self.d_model % self.heads:
            raise ValueError(f"expected heads {self.heads} to divide d_model {self.d_model}")
        if self.heads % self.num_kv_heads:
            raise ValueError(f"expected kv_heads {self.kv_heads} to divide heads {self.heads}")
        if not (math.isfinite(self.eps) and self.eps > 0):
            raise ValueError(f"expected eps to be positive and finite, got {self.eps}")
        if self.family == "gpt2":
            if self.kv_heads != self.heads:
                raise ValueError(f"GPT-2 is multi-head: expected kv_heads {self.kv_heads} to equal heads {self.heads}")
            if self.seq > self.num_positions:
                raise ValueError(f"expected seq {self.seq} to be at most n_positions {self.n_positions}")
        if self.family == "llama":
            if self.head_dim % 2:
                raise ValueError(f"expected an even head dim for rope, got {self.head_dim}")
            if not (math.isfinite(self.rope_theta) and self.rope_theta > 0):
                raise ValueError(f"expected rope_theta to be positive and finite, got {self.rope_theta}")

    def replace(self, **changes: Any) -> ModelConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON."""
        return dataclasses.asdict(self)

    def summary(self) -> str:
        """``field=value`` for the fields this family uses, for headers and logs."""
        unused = {"gpt2": ("family", "rope_theta"), "llama": ("family", "n_positions")}[self.family]
        return ", ".join(f"{k}={v}" for k, v in self.to_dict().items() if k not in unused)


# Field values per (family, preset); the family's own defaults fill the rest.
_PRESETS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "tiny": {
        "gpt2": dict(layers=2, heads=4, d_model=64, d_mlp=256, vocab=512, seq=16, batch=1, n_positions=32),
        "llama": dict(layers=2, heads=4, kv_heads=2, d_model=64, d_mlp=256, vocab=512, seq=16, batch=1, eps=1e-6),
    },
    "small": {
        "gpt2": dict(layers=4, heads=8, d_model=256, d_mlp=1024, vocab=2048, seq=64, batch=2, n_positions=128),
        "llama": dict(layers=4, heads=8, kv_heads=4, d_model=256, d_mlp=1024, vocab=2048, seq=64, batch=2, eps=1e-6),
    },
    # Published sizes. GPT-2 small (Radford et al. 2019; HF "gpt2"):
    # 124,439,808 parameters with the LM head tied to wte.
    "gpt2-124m": {
        "gpt2": dict(layers=12, heads=12, d_model=768, d_mlp=3072, vocab=50257, n_positions=1024, seq=1024,
                     batch=8, dtype="f16"),
    },
    # Llama 2 70B (Touvron et al. 2023; HF "meta-llama/Llama-2-70b-hf"):
    # grouped-query attention with 8 KV heads, untied LM head; 68.98e9 parameters.
    "llama2-70b": {
        "llama": dict(layers=80, heads=64, kv_heads=8, d_model=8192, d_mlp=28672, vocab=32000, seq=4096, batch=4,
                      dtype="bf16", rope_theta=10000.0, eps=1e-5),
    },
    # GPT-3 175B (Brown et al. 2020, table 2.1) in GPT-2's architecture (dense
    # attention in every layer; GPT-3's alternating sparse layers are not
    # modelled); 174.6e9 parameters.
    "gpt3-175b": {
        "gpt2": dict(layers=96, heads=96, d_model=12288, d_mlp=49152, vocab=50257, n_positions=2048, seq=2048,
                     batch=4, dtype="f16"),
    },
}

PRESETS: Final[tuple[str, ...]] = tuple(_PRESETS)


def preset(family: str, name: str = "tiny", **overrides: Any) -> ModelConfig:
    """The ``name`` preset of ``family`` with ``overrides`` applied.

    Raises ``ValueError`` for an unknown family or preset, or a preset that
    ``family`` does not define (``gpt2-124m`` is GPT-2's only).

    >>> preset("llama", "tiny", dtype="bf16").kv_heads
    2
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; expected one of {', '.join(FAMILIES)}")
    if name not in _PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    if family not in _PRESETS[name]:
        defined = " and ".join(_PRESETS[name])
        raise ValueError(f"preset {name!r} is defined for {defined} only, not {family}")
    given = {k: v for k, v in overrides.items() if v is not None}
    fields = {**_PRESETS[name][family], **given}
    # A longer sequence than the preset's position table grows the table,
    # unless the table size was given too.
    if "n_positions" in fields and "n_positions" not in given:
        fields["n_positions"] = max(fields["n_positions"], fields["seq"])
    return ModelConfig(family=family, **fields)  # type: ignore[arg-type]
