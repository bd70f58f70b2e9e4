#!/usr/bin/env bash
#===- build.sh - Install, build, and run Weft's main job or its tests ----===#
#
#   ./build.sh run     install what is missing, build, run the main job
#   ./build.sh test    install what is missing, build, run every test
#   ./build.sh build   install what is missing, build
#
# Installs Debian packages with apt when any is missing (needs root), then
# configures with CMake + Ninja (+ ccache) into build/ and builds. Release
# build without debug info. BUILD_DIR overrides the build directory.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}
mode=${1:-build}

# Everything the build and the tests need, from Debian's package sources.
PACKAGES=(
  cmake ninja-build ccache g++ python3
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libgtest-dev libomp-22-dev coinor-libcbc-dev pkg-config
  python3-numpy python3-pytest python3-torch
  libopenmpi-dev openmpi-bin
)

install_missing() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: packages missing (${missing[*]}) and not running as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# cuobjdump, for the tests that look at the kernels' SASS. CUDA 13's toolkit
# has none; Debian's CUDA 11.8 package (non-free) has one that disassembles
# sm_80 and sm_90 code (benchmarks/gpu/sass.py). Only its two disassemblers
# are kept, under /opt/weft/cuda-disassembler; nothing else is installed.
DISASSEMBLER_DIR=/opt/weft/cuda-disassembler
install_disassembler() {
  [ -x "$DISASSEMBLER_DIR/bin/cuobjdump" ] && return 0
  [ -x /usr/local/cuda/bin/cuobjdump ] && return 0
  command -v cuobjdump >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "note: no cuobjdump and not root: the SASS checks will be skipped" >&2
    return 0
  fi
  echo "== installing cuobjdump from Debian's nvidia-cuda-toolkit into $DISASSEMBLER_DIR"
  local work; work=$(mktemp -d)
  # A package list of its own, so the system's sources stay as they are.
  local list="$work/sources.list"
  echo "deb http://deb.debian.org/debian bookworm non-free" >"$list"
  local apt=(-o Dir::Etc::SourceList="$list" -o Dir::Etc::SourceParts=/dev/null
             -o Dir::State::Lists="$work/lists" -o Debug::NoLocking=1)
  mkdir -p "$work/lists/partial"
  if (cd "$work" && apt-get "${apt[@]}" update -qq \
        && apt-get "${apt[@]}" download -qq nvidia-cuda-toolkit) >/dev/null 2>&1 \
     && dpkg-deb -x "$work"/nvidia-cuda-toolkit_*.deb "$work/root"; then
    mkdir -p "$DISASSEMBLER_DIR/bin"
    install -m 0755 "$work/root/usr/bin/cuobjdump" "$work/root/usr/bin/nvdisasm" \
      "$DISASSEMBLER_DIR/bin/"
  else
    echo "note: could not fetch nvidia-cuda-toolkit: the SASS checks will be skipped" >&2
  fi
  rm -rf "$work"
}

build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
  fi
  ninja -C "$BUILD_DIR"
  # The dialect references are generated from ODS; the docs test compares
  # them with the copies checked in under docs/.
  ninja -C "$BUILD_DIR" mlir-doc
}

case "$mode" in
  build)
    install_missing; build ;;
  run)
    install_missing; build
    # A small GPT-2 (4 layers, 8 heads, d_model 256, vocab 2048, 2 x 64
    # tokens) with random weights: graph, weights, token ids and the NumPy
    # float64 reference logits. Compiled for one CPU and checked against
    # the reference; then sharded automatically over two CPU ranks under a
    # per-device memory budget that forces tensor parallelism, run by two
    # processes under mpirun, and checked against the single-rank logits.
    model="$BUILD_DIR/models/gpt2-small"
    echo "== building a small GPT-2 graph and its weights (python/weft)"
    PYTHONPATH=python /usr/bin/python3 -m weft.build gpt2 --preset small --out "$model"
    echo "== weft-compile for one CPU"
    "$BUILD_DIR/bin/weft-compile" "$model/model.mlir" -o "$model/model.weft"
    echo "== weft-run on one CPU, checked against the NumPy reference"
    "$BUILD_DIR/bin/weft-run" --module="$model/model.weft" --device=cpu \
      --function=forward --weights="$model/weights.safetensors" \
      --input=@"$model/input_ids.npy" --output=@"$model/logits.npy" \
      --expected_output=@"$model/expected_logits.npy" --repeat=5
    echo "== weft-compile auto-sharded over 2 CPU ranks (10 MiB per rank)"
    "$BUILD_DIR/bin/weft-compile" "$model/model.mlir" -o "$model/model-2xcpu.weft" \
      --mesh=2xCPU --memory-budget=10MiB --plan-summary=-
    echo "== mpirun -np 2 weft-run, checked against the single-rank logits"
    PYTHONPATH=python /usr/bin/python3 -m weft.mpi -np 2 -- \
      "$BUILD_DIR/bin/weft-run" --module="$model/model-2xcpu.weft" --device=cpu \
      --function=forward --weights="$model/weights.safetensors" \
      --input=@"$model/input_ids.npy" --output=@"$model/logits-2xcpu.npy" \
      --expected_output=@"$model/logits.npy" --repeat=5 ;;
  test)
    install_missing; install_disassembler; build
    echo "== tests"
    ctest --test-dir "$BUILD_DIR" --output-on-failure --verbose ;;
  *)
    echo "usage: $0 [build|run|test]" >&2; exit 2 ;;
esac
