//===- LinearKernel.h - The tensor-core linear kernel's contract ----------===//
//
// weft-cuda-outline-linear (on tensors) turns each xf.linear / xf.matmul the
// tensor-core GEMM takes, with the elementwise chain it feeds (bias,
// activation, residual), into a call of a private declaration
//
//   func.func private @linear_mma_<type>[_<step>...](
//       %a: memref<BxMxKxT>, %b: memref<BxKxNxT> (or BxNxKxT),
//       [%bias: memref<NxT>,] [%residual: memref<BxMxNxT>,]
//       %out: memref<BxMxNxT>) attributes {weft.linear_mma = {...}}
//
// that bufferization and deallocation see as an opaque call reading its
// inputs and writing `out`; weft-cuda-linear-to-mma (on buffers, after
// deallocation) builds one kernel per declaration and replaces each call by
// a gpu.launch_func of it (KernelCalls.h). The split
// exists for the reason AttentionKernel.h gives: mma.sync, cp.async groups
// and barriers declare no memory effects, which buffer deallocation refuses
// to reason about.
//
// The product is out[b, m, n] = sum_k a[b, m, k] · B[b, k, n], B read from
// `b` as stored ([K, N], or [N, K] with transpose_rhs), accumulated in f32.
// The epilogue then runs on the f32 accumulators, step by step, in order:
//
//   bias       + bias[n]
//   residual   + residual[b, m, n]
//   gelu_erf   x · (1 + erf(x / √2)) / 2
//   gelu_tanh  x · (1 + tanh(√(2/π) · (x + 0.044715 x³))) / 2
//   silu       x / (1 + exp(−x))
//   round      x rounded to T (nearest even) and widened back to f32
//
// and the result is rounded to T once more as it is stored. `round` marks
// where the op chain the kernel replaces rounded its intermediate tensors,
// so the kernel computes each element exactly as that chain does.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_LINEARKERNEL_H
#define WEFT_TARGET_CUDA_LINEARKERNEL_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

namespace weft::cuda {

/// Whether the tensor-core GEMM takes `element` operands (f16 or bf16), and
/// a product of depth `k` and width `n` (multiples of 8: every row of both
/// operands then starts on a 16-byte boundary, the unit of cp.async). The
/// outline pass picks ops by them and the kernel pass checks calls against
/// them.
inline bool takesLinearElement(mlir::Type element) {
  return element.isF16() || element.isBF16();
}
inline bool takesLinearShape(int64_t k, int64_t n) {
  return k % 8 == 0 && n % 8 == 0;
}

/// The declaration attribute holding an MmaLinearConfig.
constexpr llvm::StringLiteral kLinearMmaAttrName = "weft.linear_mma";

/// One step of the kernel's epilogue.
enum class LinearEpilogue { Bias, Residual, GeluErf, GeluTanh, Silu, Round };

/// The step's name in the configuration attribute.
llvm::StringRef stringifyLinearEpilogue(LinearEpilogue step);
/// The step named `name`, if any.
std::optional<LinearEpilogue> symbolizeLinearEpilogue(llvm::StringRef name);

/// What the kernel needs beyond its operands' types.
struct MmaLinearConfig {
  /// Block tile: block_m x block_n outputs, block_k deep per pipeline stage;
  /// warps_m x warps_n warps, each owning a (block_m / warps_m) x
  /// (block_n / warps_n) part of the tile.
  int64_t blockM = 128, blockN = 128, blockK = 64;
  int64_t warpsM = 2, warpsN = 4;
  /// Shared-memory stages of the cp.async pipeline over K (at least 2).
  int64_t stages = 3;
  /// The right operand is stored [N, K] (xf.matmul transpose_rhs).
  bool transposeRhs = false;
  llvm::SmallVector<LinearEpilogue> epilogue;

  int64_t threads() const { return warpsM * warpsN * 32; }
  /// Shared memory of all stages: an A tile and a B tile each, 16-bit.
  int64_t sharedBytes() const {
    return stages * (blockM + blockN) * blockK * 2;
  }
  bool hasBias() const { return llvm::is_contained(epilogue, LinearEpilogue::Bias); }
  bool hasResidual() const {
    return llvm::is_contained(epilogue, LinearEpilogue::Residual);
  }

  mlir::DictionaryAttr toAttr(mlir::MLIRContext *ctx) const;
  /// Reads and checks `attr`; errors are reported on `where`.
  static mlir::FailureOr<MmaLinearConfig> fromAttr(mlir::Attribute attr,
                                                   mlir::Operation *where);
};

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_LINEARKERNEL_H
