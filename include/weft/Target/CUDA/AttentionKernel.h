//===- AttentionKernel.h - The tensor-core attention kernel's contract ---===//
//
// weft-cuda-outline-attention (on tensors) turns each xf.attention the
// tensor-core kernel takes into a call of a private declaration
//
//   func.func private @attention_mma_<type>_d<D>[_causal]_<n>(
//       %q: memref<BxSqxHqxDxT>, %k: memref<BxSkvxHkvxDxT>,
//       %v: memref<BxSkvxHkvxDxT>, %out: memref<BxSqxHqxDxT>,
//       %diagonal: index) attributes {weft.attention_mma = {...}}
//
// that bufferization and deallocation see as an opaque call reading three
// buffers and writing one; weft-cuda-attention-to-mma (on buffers, after
// deallocation) builds one kernel per declaration and replaces each call by
// a gpu.launch_func of it (KernelCalls.h). The split
// exists because the kernel's warp-level operations (mma.sync, cp.async
// groups, barriers) declare no memory effects, which buffer deallocation
// refuses to reason about.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_ATTENTIONKERNEL_H
#define WEFT_TARGET_CUDA_ATTENTIONKERNEL_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

namespace weft::cuda {

/// The declaration attribute holding an MmaAttentionConfig.
constexpr llvm::StringLiteral kAttentionMmaAttrName = "weft.attention_mma";

/// What the kernel needs beyond its operands' types.
struct MmaAttentionConfig {
  bool causal = false;
  double scale = 1.0;
  /// Tiling: block_q = warps · (16 or 32) query rows; block_kv keys.
  int64_t warps = 4, blockQ = 128, blockKv = 64;

  /// The kernel's dynamic shared memory at head dimension `headDim`: the
  /// query tile and two stages of key and value tiles, 16-bit elements.
  int64_t sharedBytes(int64_t headDim) const {
    return (blockQ + 4 * blockKv) * headDim * 2;
  }

  mlir::DictionaryAttr toAttr(mlir::MLIRContext *ctx) const;
  /// Reads `attr`; errors are reported on `where`.
  static mlir::FailureOr<MmaAttentionConfig> fromAttr(mlir::Attribute attr,
                                                      mlir::Operation *where);
};

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_ATTENTIONKERNEL_H
