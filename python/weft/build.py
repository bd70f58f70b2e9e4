"""``python3 -m weft.build``: a model graph, its weights, an input and the answer.

Writes, into ``--out``:

* ``model.mlir``            the forward pass in ``xf`` (``func.func @forward``)
* ``weights.safetensors``   seeded random weights in the model's dtype
* ``input_ids.npy``         seeded random token ids, int32 [batch, seq]
* ``expected_logits.npy``   float64 NumPy reference logits, stored in the
                            model's dtype (float32 for bf16: .npy has no bf16)
* ``config.json``           the configuration and seeds used

With ``--graph-only`` it writes ``model.mlir`` and ``config.json`` alone,
without allocating weights or computing the reference: the way to get the
graph of a published size (``--preset llama2-70b``), whose weights would not
fit in memory. A full build whose weights alone would exceed the machine's
memory is refused with a pointer to ``--graph-only``.

Example::

    python3 -m weft.build llama --preset tiny --dtype bf16 --out /tmp/llama
    python3 -m weft.build gpt2 --preset gpt3-175b --graph-only --out /tmp/gpt3
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


@dataclass(frozen=True)
class GraphOutputs:
    """Paths of the files ``build_graph`` wrote."""

    model: Path
    config: Path


def build_graph(cfg: ModelConfig, out: str | os.PathLike[str]) -> GraphOutputs:
    """Writes ``model.mlir`` and ``config.json`` for ``cfg`` into ``out`` (created if needed).

    Allocates no weights and computes no reference, so any size is cheap
    (GPT-3 175B's graph takes well under a second). ``config.json`` holds
    the configuration and ``"graph_only": true``.
    """
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = GraphOutputs(out_dir / "model.mlir", out_dir / "config.json")
    _write_text(paths.model, models.emit(cfg))
    _write_text(paths.config, json.dumps({"config": cfg.to_dict(), "graph_only": True}, indent=2) + "\n")
    return paths


def weight_bytes(cfg: ModelConfig) -> int:
    """Bytes the weights take in memory as ``init_weights`` holds them (bf16 as float32)."""
    return models.num_parameters(cfg) * value_dtype(cfg.dtype).itemsize


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


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
    p.add_argument("--seed", type=int, help="weights seed (default: 0)")
    p.add_argument("--input-seed", type=int, help="input ids seed (default: seed + 1)")
    p.add_argument("--graph-only", action="store_true",
                   help="write model.mlir and config.json only: no weights, input or reference")
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
    if args.graph_only and (args.seed is not None or args.input_seed is not None):
        print("error: --seed and --input-seed have no effect with --graph-only", file=sys.stderr)
        return 2
    seed = 0 if args.seed is None else args.seed
    if seed < 0 or (args.input_seed is not None and args.input_seed < 0):
        print("error: seeds must be non-negative", file=sys.stderr)
        return 2
    n_params = models.num_parameters(cfg)
    memory = _physical_memory()
    if not args.graph_only and memory is not None and weight_bytes(cfg) > memory:
        print(f"error: {n_params} parameters take {weight_bytes(cfg) / 2**30:.1f} GiB as {cfg.dtype}, more than "
              f"this machine's {memory / 2**30:.1f} GiB of memory; use --graph-only for the graph alone",
              file=sys.stderr)
        return 2
    print(f"{cfg.family} ({args.preset}): {cfg.summary()}")
    if args.graph_only:
        graph = build_graph(cfg, args.out)
        print(f"  {n_params} parameters (graph only)")
        written = (("graph", graph.model), ("config", graph.config))
    else:
        paths = build_model(cfg, args.out, seed=seed, input_seed=args.input_seed)
        print(f"  {n_params} parameters, seed {seed}")
        written = (("graph", paths.model), ("weights", paths.weights), ("input", paths.input_ids),
                   ("expected", paths.expected_logits), ("config", paths.config))
    for label, path in written:
        print(f"  wrote {path} ({path.stat().st_size} bytes): {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
