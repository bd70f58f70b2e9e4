"""``python3 -m weft.build``: a model graph, its weights, an input and the answer.

Writes, into ``--out``:

* ``model.mlir``            the forward pass in ``xf`` (``func.func @forward``)
* ``weights.safetensors``   seeded random weights in the model's dtype
* ``input_ids.npy``         seeded random token ids, int32 [batch, seq]
* ``expected_logits.npy``   float64 NumPy reference logits, stored in the
                            model's dtype (float32 for bf16: .npy has no bf16)
* ``config.json``           the configuration and seeds used

Example::

    python3 -m weft.build llama --preset tiny --dtype bf16 --out /tmp/llama
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from weft import models, reference
from weft.config import FAMILIES, PRESETS, ModelConfig, preset
from weft.dtypes import FLOAT_DTYPES, value_dtype
from weft.fileutil import atomic_write
from weft.safetensors import save_file

# CLI flag -> ModelConfig field, for the overridable fields.
_FIELD_FLAGS: dict[str, type] = {
    "layers": int, "heads": int, "kv_heads": int, "d_model": int, "d_mlp": int, "vocab": int,
    "seq": int, "batch": int, "eps": float, "rope_theta": float, "n_positions": int,
}


@dataclass(frozen=True)
class BuildOutputs:
    """Paths of the files ``build_model`` wrote."""

    model: Path
    weights: Path
    input_ids: Path
    expected_logits: Path
    config: Path


def _save_npy(path: Path, array: np.ndarray) -> None:
    atomic_write(path, lambda f: np.save(f, array))


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def build_model(cfg: ModelConfig, out: str | os.PathLike[str], seed: int = 0,
                input_seed: int | None = None) -> BuildOutputs:
    """Writes the five files for ``cfg`` into ``out`` (created if needed)."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    input_seed = seed + 1 if input_seed is None else input_seed
    weights = models.init_weights(cfg, seed)
    ids = models.random_input_ids(cfg, input_seed)
    logits = reference.forward(cfg, weights, ids)

    paths = BuildOutputs(out_dir / "model.mlir", out_dir / "weights.safetensors", out_dir / "input_ids.npy",
                         out_dir / "expected_logits.npy", out_dir / "config.json")
    _write_text(paths.model, models.emit(cfg))
    save_file(weights, paths.weights, dtypes=cfg.dtype,
              metadata={"format": "weft", "family": cfg.family, "config": json.dumps(cfg.to_dict())})
    _save_npy(paths.input_ids, ids.astype(np.int32))
    _save_npy(paths.expected_logits, logits.astype(value_dtype(cfg.dtype)))  # .npy has no bf16: float32
    _write_text(paths.config, json.dumps({"config": cfg.to_dict(), "seed": seed, "input_seed": input_seed},
                                         indent=2) + "\n")
    return paths


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m weft.build", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("family", choices=FAMILIES)
    p.add_argument("--preset", choices=PRESETS, default="tiny", help="base configuration (default: tiny)")
    p.add_argument("--dtype", choices=FLOAT_DTYPES, help="element type of weights and activations")
    for field, typ in _FIELD_FLAGS.items():
        p.add_argument("--" + field.replace("_", "-"), type=typ, dest=field, help=f"override {field}")
    p.add_argument("--seed", type=int, default=0, help="weights seed (default: 0)")
    p.add_argument("--input-seed", type=int, help="input ids seed (default: seed + 1)")
    p.add_argument("--out", required=True, help="output directory")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = {f: getattr(args, f) for f in _FIELD_FLAGS} | {"dtype": args.dtype}
    try:
        cfg = preset(args.family, args.preset, **overrides)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.seed < 0 or (args.input_seed is not None and args.input_seed < 0):
        print("error: seeds must be non-negative", file=sys.stderr)
        return 2
    paths = build_model(cfg, args.out, seed=args.seed, input_seed=args.input_seed)
    n_params = sum(int(np.prod(s)) for s in models.param_shapes(cfg).values())
    print(f"{cfg.family} ({args.preset}): {cfg.summary()}")
    print(f"  {n_params} parameters, seed {args.seed}")
    for label, path in (("graph", paths.model), ("weights", paths.weights), ("input", paths.input_ids),
                        ("expected", paths.expected_logits), ("config", paths.config)):
        print(f"  wrote {path} ({path.stat().st_size} bytes): {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
