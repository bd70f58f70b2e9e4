#!/usr/bin/env bash
#===- run.sh - Build, test and benchmark Weft on a GPU machine, in one call ===#
#
#   bash benchmarks/gpu/run.sh [BUNDLE]     (BUNDLE: gpu-bundle, default)
#
# On the GPU machine (CUDA driver, CMake, Ninja, PyTorch; no LLVM/MLIR),
# over a bundle that benchmarks/gpu/prepare.py compiled elsewhere:
#   1. builds the runtime, weft-run and the runtime tests (WEFT_RUNTIME_ONLY);
#   2. runs the runtime tests, the real-GPU CUDA tests among them;
#   3. runs each model compiled for CUDA and checks its logits against the
#      CPU build's (16-bit models within four units in the last place, as
#      prepare.py checks the CPU build against float64);
#   4. checks that the attention kernels hold tensor-core instructions in
#      their SASS (cuobjdump);
#   5. runs the attention benchmark (correctness against float64 first;
#      Weft vs SDPA's FlashAttention-2 and cuDNN back ends and a Triton
#      kernel), writing attention.json, attention.md and attention.svg;
#   6. runs the linear-layer benchmark (correctness against float64 first;
#      Weft's fused GEMM vs cuBLAS and PyTorch's unfused chain), writing
#      linear.json;
# and prints a short table last. Results land in $OUT when it is set (the
# device tool's output folder), else in build-gpu/.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
cd "$(dirname "$0")/../.."
bundle=${1:-gpu-bundle}
build=build-gpu
out=${OUT:-$build}
mkdir -p "$out"
declare -a table

step() { echo; echo "== $*"; }
record() { table+=("$(printf '%-34s %s' "$1" "$2")"); }

step "device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

step "build the runtime (WEFT_RUNTIME_ONLY)"
if cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEFT_RUNTIME_ONLY=ON \
     -DWEFT_GTEST_SOURCE_DIR="$PWD/$bundle/googletest" >"$out/cmake.log" 2>&1 \
   && ninja -C "$build" >"$out/build.log" 2>&1; then
  record "runtime build" "ok"
else
  tail -30 "$out/cmake.log" "$out/build.log"
  record "runtime build" "FAILED"
  printf '%s\n' "${table[@]}"
  exit 1
fi

step "runtime tests (the CUDA ones on the real GPU)"
if "$build/bin/weft-runtime-tests" --gtest_brief=1 >"$out/runtime-tests.log" 2>&1; then
  record "runtime tests" "ok ($(grep -o 'PASSED  \] [0-9]* tests' "$out/runtime-tests.log" | grep -o '[0-9]*') passed, $(grep -o 'SKIPPED \] [0-9]* tests' "$out/runtime-tests.log" | grep -o '[0-9]*' || echo 0) skipped)"
else
  tail -40 "$out/runtime-tests.log"
  record "runtime tests" "FAILED (see runtime-tests.log)"
fi
grep -E "SKIPPED|FAILED" "$out/runtime-tests.log" | head -10

step "models compiled for CUDA against the CPU build"
for model in "$bundle"/models/*/; do
  name=$(basename "$model")
  if "$build/bin/weft-run" --module="$model/model-cuda.weft" --device=cuda \
       --weights="$model/weights.safetensors" --input=@"$model/input_ids.npy" \
       --expected_output=@"$model/cpu_logits.npy" --expected_f16_threshold=4e-3 \
       --expected_bf16_threshold=3e-2 --repeat=3 >"$out/$name.log" 2>&1; then
    record "$name vs CPU" "ok, $(grep -o 'mean [0-9.]* ms' "$out/$name.log" | head -1)"
  else
    tail -5 "$out/$name.log"
    record "$name vs CPU" "FAILED (see $name.log)"
  fi
done

step "tensor-core instructions in the attention kernels (cuobjdump -sass)"
# sm_80 kernels multiply with HMMA (mma.sync); the Hopper kernels of an
# sm_90 bundle with HGMMA (wgmma), its *.mma.weft (mma.sync) with HMMA.
sass_check() { # label opcode kernel-prefix artifacts...
  local label=$1 opcode=$2 prefix=$3; shift 3
  [ $# -gt 0 ] && [ -e "$1" ] || return 0
  if python3 benchmarks/gpu/sass.py "$@" --require "$opcode" --kernels "$prefix" \
       >"$out/sass-$opcode.log" 2>&1; then
    record "$label SASS" "ok ($(grep -c "$opcode [1-9]" "$out/sass-$opcode.log") kernels with $opcode)"
  else
    tail -5 "$out/sass-$opcode.log"
    record "$label SASS" "FAILED (see sass-$opcode.log)"
  fi
}
if [ "$(cat "$bundle/chip")" = sm_90 ]; then
  sass_check "attention (wgmma)" HGMMA attention_wgmma \
    $(ls "$bundle"/attention/*.weft | grep -v '\.mma\.weft$')
  sass_check "attention (mma.sync)" HMMA attention_mma "$bundle"/attention/*.mma.weft
else
  sass_check "attention" HMMA attention_mma "$bundle"/attention/*.weft
fi

step "attention benchmark"
if python3 benchmarks/gpu/attention.py --bundle "$bundle" --weft-run "$build/bin/weft-run" \
     --json "$out/attention.json" --markdown "$out/attention.md" 2>&1 | tee "$out/attention.log"; then
  record "attention vs float64" "ok ($(tail -1 "$out/attention.log"))"
else
  record "attention vs float64" "FAILED ($(tail -1 "$out/attention.log"))"
fi

if [ -s "$out/attention.json" ]; then
  python3 benchmarks/gpu/plot.py "$out/attention.json" "$out/attention.svg" || true
fi

step "linear benchmark"
if [ -f "$bundle/linear/cases.json" ]; then
  if python3 benchmarks/gpu/linear.py --bundle "$bundle" --weft-run "$build/bin/weft-run" \
       --json "$out/linear.json" 2>&1 | tee "$out/linear.log"; then
    record "linear vs float64" "ok ($(tail -1 "$out/linear.log"))"
  else
    record "linear vs float64" "FAILED ($(tail -1 "$out/linear.log"))"
  fi
fi

step "summary"
printf '%s\n' "${table[@]}"
