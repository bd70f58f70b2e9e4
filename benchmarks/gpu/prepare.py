#!/usr/bin/env python3
"""Everything the GPU check (benchmarks/gpu/run.sh) needs, compiled here.

The GPU machine has the CUDA driver, PyTorch and CMake but no LLVM or MLIR,
so the artifacts are compiled on this machine and carried there:

* ``models/<name>/``: GPT-2 and Llama configurations with random weights,
  their token ids, the logits of the CPU build (weft-run on this machine,
  itself checked against the float64 NumPy reference), and the model
  compiled with ``weft-compile --target=cuda --chip=<chip>``;
* ``attention/<case>.weft``: ``xf.attention`` alone for each benchmark case
  (dtype, head dim, sequence length, causal), q/k/v bound by name from a
  .safetensors file (so bf16 travels too), and ``cases.json`` listing them;
  for sm_90 also ``attention/<case>.mma.weft``, the same with the sm_80
  kernel (``--attention-wgmma=false``), to compare the two;
* ``linear/<case>.weft``: ``xf.linear`` with its epilogue (bias, GELU or
  SiLU, residual) for GPT-2 and Llama layer shapes at 4096 and 16384
  tokens, f16 and bf16, operands bound by name from a .safetensors file,
  and ``cases.json`` listing them;
* ``googletest/``: GoogleTest's sources (Debian's /usr/src/googletest), to
  build the runtime tests there.

Usage (from the repository root, after ./build.sh build):
  /usr/bin/python3 benchmarks/gpu/prepare.py [--chip sm_90] [--out gpu-bundle]
      [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WEFT_BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(ROOT / "python"))

# The benchmark of the GPU issue: B·S = 16k tokens, H·D = 2048.
TOKENS, WIDTH = 16384, 2048
SEQUENCES = (512, 1024, 2048, 4096, 8192, 16384)
HEAD_DIMS = (64, 128)
# (family, preset, dtype, overrides). The last two give the small models
# head dimensions 64 and 128 (grouped-query for Llama), so that their
# attention runs on the tensor-core kernel end to end; two layers keep the
# bundle within what the device tool carries.
MODELS = (("gpt2", "tiny", "f32", {}), ("llama", "tiny", "f32", {}), ("gpt2", "small", "f32", {}),
          ("gpt2", "tiny", "bf16", {}), ("llama", "tiny", "f16", {}),
          ("gpt2", "small", "f16", {"heads": 4, "layers": 2}),
          ("llama", "small", "bf16", {"heads": 2, "kv_heads": 1, "layers": 2}))


# Logits of a 16-bit program against the float64 reference, and the GPU's
# against the CPU's: four units in the last place at 1.0 (2^-10 for f16,
# 2^-7 for bf16), as absolute and relative tolerance (weft-run's rule). Every
# layer rounds its stored activations to the type, so a four-layer model
# drifts past one unit (the default thresholds).
LOGITS_THRESHOLDS = ["--expected_f16_threshold=4e-3", "--expected_bf16_threshold=3e-2"]


def run(command: list[str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"$ {' '.join(command)}\n{proc.stdout}{proc.stderr}")


def attention_graph(batch: int, seq: int, heads: int, dim: int, dtype: str, causal: bool) -> str:
    t = f"tensor<{batch}x{seq}x{heads}x{dim}x{dtype}>"
    args = ", ".join(f'%{n}: {t} {{xf.name = "{n}", xf.role = "weight"}}' for n in "qkv")
    return (f"func.func @attention({args}) -> ({t} {{xf.name = \"o\"}}) {{\n"
            f"  %o = xf.attention %q, %k, %v{' causal' if causal else ''} : ({t}, {t}, {t}) -> {t}\n"
            f"  return %o : {t}\n}}\n")


def prepare_models(out: Path, chip: str) -> None:
    compile_, weft_run = BUILD / "bin" / "weft-compile", BUILD / "bin" / "weft-run"
    for family, preset, dtype, overrides in MODELS:
        suffix = "".join(f"-{key.replace('_', '')}{value}" for key, value in overrides.items())
        model = out / "models" / f"{family}-{preset}-{dtype}{suffix}"
        flags = [f"--{key.replace('_', '-')}={value}" for key, value in overrides.items()]
        run([sys.executable, "-m", "weft.build", family, "--preset", preset, "--dtype", dtype, *flags,
             "--out", str(model)])
        run([str(compile_), str(model / "model.mlir"), "-o", str(model / "model-cpu.weft")])
        run([str(weft_run), f"--module={model / 'model-cpu.weft'}", f"--weights={model / 'weights.safetensors'}",
             f"--input=@{model / 'input_ids.npy'}", f"--output=@{model / 'cpu_logits.npy'}",
             f"--expected_output=@{model / 'expected_logits.npy'}", *LOGITS_THRESHOLDS])
        run([str(compile_), str(model / "model.mlir"), "-o", str(model / "model-cuda.weft"),
             "--target=cuda", f"--chip={chip}"])
        # The GPU run needs the CPU logits, not the float64 ones.
        for done in ("model-cpu.weft", "expected_logits.npy"):
            (model / done).unlink()
        print(f"  {model.name}: CPU logits checked, compiled for {chip}")


def prepare_attention(out: Path, chip: str, quick: bool) -> None:
    compile_ = BUILD / "bin" / "weft-compile"
    cases = []
    directory = out / "attention"
    directory.mkdir(parents=True, exist_ok=True)
    sequences = SEQUENCES[:2] if quick else SEQUENCES
    for dtype in ("f16", "bf16"):
        for dim in HEAD_DIMS:
            for seq in sequences:
                for causal in (False, True):
                    heads, batch = WIDTH // dim, TOKENS // seq
                    name = f"{dtype}-d{dim}-s{seq}-{'causal' if causal else 'full'}"
                    source = directory / f"{name}.mlir"
                    source.write_text(attention_graph(batch, seq, heads, dim, dtype, causal))
                    run([str(compile_), str(source), "-o", str(directory / f"{name}.weft"),
                         "--target=cuda", f"--chip={chip}"])
                    if chip == "sm_90":
                        # The sm_80 kernel (mma.sync) as well, to compare
                        # with the Hopper one (TMA, wgmma) in the same run.
                        run([str(compile_), str(source), "-o", str(directory / f"{name}.mma.weft"),
                             "--target=cuda", f"--chip={chip}", "--attention-wgmma=false"])
                    source.unlink()
                    cases.append({"name": name, "dtype": dtype, "batch": batch, "seq": seq, "heads": heads,
                                  "dim": dim, "causal": causal})
    (directory / "cases.json").write_text(json.dumps(cases, indent=1))
    print(f"  attention: {len(cases)} cases compiled for {chip}")


# Linear layers of GPT-2 small and Llama-7B: (name, K, N, bias, activation,
# residual), each at every M of LINEAR_TOKENS, in f16 and bf16.
LINEAR_TOKENS = (4096, 16384)
LINEAR_LAYERS = (("gpt2-fc", 768, 3072, True, "gelu_tanh", False),
                 ("gpt2-proj", 3072, 768, True, None, True),
                 ("square-2048", 2048, 2048, False, None, False),
                 ("llama-o", 4096, 4096, False, None, True),
                 ("llama-gate", 4096, 11008, False, "silu", False),
                 ("llama-down", 11008, 4096, False, None, True))


def linear_graph(m: int, k: int, n: int, dtype: str, bias: bool, activation: str | None, residual: bool) -> str:
    t = lambda *shape: f"tensor<{'x'.join(map(str, shape))}x{dtype}>"  # noqa: E731
    args = [f'%x: {t(m, k)} {{xf.name = "x", xf.role = "weight"}}',
            f'%w: {t(k, n)} {{xf.name = "w", xf.role = "weight"}}']
    if bias:
        args.append(f'%b: {t(n)} {{xf.name = "b", xf.role = "weight"}}')
    if residual:
        args.append(f'%r: {t(m, n)} {{xf.name = "r", xf.role = "weight"}}')
    y = t(m, n)
    body = [f"  %y0 = xf.linear %x, %w{', %b' if bias else ''} : "
            f"({t(m, k)}, {t(k, n)}{', ' + t(n) if bias else ''}) -> {y}"]
    last = "%y0"
    if activation == "gelu_tanh":
        body.append(f"  %y1 = xf.gelu {last} approximate = tanh : ({y}) -> {y}")
        last = "%y1"
    elif activation == "silu":
        body.append(f"  %y1 = xf.silu {last} : ({y}) -> {y}")
        last = "%y1"
    if residual:
        body.append(f"  %y2 = xf.add {last}, %r : ({y}, {y}) -> {y}")
        last = "%y2"
    return (f"func.func @linear({', '.join(args)}) -> ({y} {{xf.name = \"y\"}}) {{\n"
            + "\n".join(body) + f"\n  return {last} : {y}\n}}\n")


def prepare_linear(out: Path, chip: str, quick: bool) -> None:
    compile_ = BUILD / "bin" / "weft-compile"
    cases = []
    directory = out / "linear"
    directory.mkdir(parents=True, exist_ok=True)
    for dtype in ("f16",) if quick else ("f16", "bf16"):
        for m in LINEAR_TOKENS[:1] if quick else LINEAR_TOKENS:
            for layer, k, n, bias, activation, residual in LINEAR_LAYERS:
                name = f"{dtype}-{layer}-m{m}"
                source = directory / f"{name}.mlir"
                source.write_text(linear_graph(m, k, n, dtype, bias, activation, residual))
                run([str(compile_), str(source), "-o", str(directory / f"{name}.weft"),
                     "--target=cuda", f"--chip={chip}"])
                source.unlink()
                cases.append({"name": name, "dtype": dtype, "m": m, "k": k, "n": n, "bias": bias,
                              "activation": activation, "residual": residual})
    (directory / "cases.json").write_text(json.dumps(cases, indent=1))
    print(f"  linear: {len(cases)} cases compiled for {chip}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chip", default="sm_90", choices=("sm_80", "sm_90"))
    parser.add_argument("--out", type=Path, default=ROOT / "gpu-bundle")
    parser.add_argument("--quick", action="store_true", help="two sequence lengths only")
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    os.environ["PYTHONPATH"] = str(ROOT / "python")
    prepare_models(args.out, args.chip)
    prepare_attention(args.out, args.chip, args.quick)
    prepare_linear(args.out, args.chip, args.quick)
    gtest = Path("/usr/src/googletest")
    if gtest.is_dir():
        shutil.copytree(gtest, args.out / "googletest")
    (args.out / "chip").write_text(args.chip + "\n")
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"bundle: {args.out} ({size / 2**20:.1f} MiB); run there: bash benchmarks/gpu/run.sh")


if __name__ == "__main__":
    main()
