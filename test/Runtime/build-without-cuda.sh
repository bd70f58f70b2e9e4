#!/usr/bin/env bash
# The runtime and weft-run build where no CUDA toolkit is installed
# (WEFT_CUDA_ROOT points nowhere; no LLVM or MLIR either) and link no CUDA
# library. (What they say without a driver: test/Tools/weft-run/cuda.test.)
#   build-without-cuda.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
rm -rf "$bin"
cmake -G Ninja -S "$src" -B "$bin" -DCMAKE_BUILD_TYPE=Release \
  -DWEFT_RUNTIME_ONLY=ON -DBUILD_TESTING=OFF \
  -DWEFT_CUDA_ROOT=/nonexistent/cuda >"$bin.log" 2>&1 || { cat "$bin.log"; exit 1; }
ninja -C "$bin" weft_runtime weft-run >>"$bin.log" 2>&1 || { tail -40 "$bin.log"; exit 1; }
if [ -e "$bin/lib/libweft_runtime_nccl.so" ]; then
  echo "FAILED: the NCCL plugin was built without a toolkit"; exit 1
fi
if ldd "$bin/lib/libweft_runtime.so" | grep -E 'libcuda|libnccl|libcudart'; then
  echo "FAILED: libweft_runtime.so links a CUDA library"; exit 1
fi
echo "OK: runtime and weft-run built without a CUDA toolkit; no CUDA library linked"
