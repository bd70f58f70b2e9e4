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
// On sm_90 the declarations are @attention_wgmma_* carrying
// weft.attention_wgmma (the same configuration), and
// weft-cuda-attention-to-wgmma builds the Hopper kernel (TMA, wgmma),
// whose launches also take the operands' tensor maps.
//
// Both kernels share the online softmax and masking steps below: a thread
// holds, for each of its query rows, some columns of the block's scores,
// the other columns of that row being held by the three other lanes of its
// group of four (the mma.sync and wgmma accumulator layouts alike).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_ATTENTIONKERNEL_H
#define WEFT_TARGET_CUDA_ATTENTIONKERNEL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

namespace weft::cuda {

class WarpMma;

/// The declaration attribute holding an MmaAttentionConfig: the sm_80
/// (mma.sync) kernel's, and the sm_90 (TMA, wgmma) kernel's.
constexpr llvm::StringLiteral kAttentionMmaAttrName = "weft.attention_mma";
constexpr llvm::StringLiteral kAttentionWgmmaAttrName = "weft.attention_wgmma";

/// Whether the tensor-core kernels take attention over `element` at head
/// dimension `headDim` (queries, keys and values alike): f16 or bf16, 64 or
/// 128. The outline pass picks ops by it and the kernel passes check calls
/// against it.
inline bool takesAttention(mlir::Type element, int64_t headDim) {
  return (element.isF16() || element.isBF16()) &&
         (headDim == 64 || headDim == 128);
}

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

  /// The wgmma kernel's: the same tiles, their mbarriers (8 bytes each),
  /// and 1024 bytes more to align them.
  int64_t warpgroupSharedBytes(int64_t headDim) const {
    return sharedBytes(headDim) + kWarpgroupBarriers * 8 + 1024;
  }
  /// The wgmma kernel's mbarriers: the query tile's, one per key/value
  /// stage.
  static constexpr int64_t kWarpgroupBarriers = 3;

  mlir::DictionaryAttr toAttr(mlir::MLIRContext *ctx) const;
  /// Reads `attr`; errors are reported on `where`.
  static mlir::FailureOr<MmaAttentionConfig> fromAttr(mlir::Attribute attr,
                                                      mlir::Operation *where);
  /// Reads `attr` as the wgmma kernel's: warps in warpgroups of four, 64
  /// query rows per warpgroup, at most 256 query rows and 256 keys per block
  /// (TMA boxes).
  static mlir::FailureOr<MmaAttentionConfig>
  fromWarpgroupAttr(mlir::Attribute attr, mlir::Operation *where);
};

/// One attention call's shape and its kernel's configuration.
struct MmaAttention : MmaAttentionConfig {
  int64_t batch, seqQ, seqKv, headsQ, headsKv, headDim;
  mlir::Type element;
  /// 16-row tiles per warp: blockQ = warps · rowTiles · 16.
  int64_t rowTiles;

  int64_t threads() const { return warps * 32; }
  int64_t numQueryBlocks() const { return (seqQ + blockQ - 1) / blockQ; }
  int64_t numKeyBlocks() const { return (seqKv + blockKv - 1) / blockKv; }
};

/// The shape of a call of an attention kernel declaration (query, key,
/// value, output buffers and the diagonal), checked, with `config`; its
/// tiles must fit the shared memory of a block of every chip the kernel is
/// for (the wgmma kernel's: sm_90).
mlir::FailureOr<MmaAttention>
describeAttentionCall(mlir::func::CallOp call,
                      const MmaAttentionConfig &config, bool warpgroup);

/// The running maximum (in exp2 units) and sum of one query row after a key
/// block, and the factor `alpha` that rescales what the row accumulated.
struct SoftmaxRowUpdate {
  mlir::Value max, sum, alpha;
};

/// One key block of the online softmax for a row whose scores (S, -inf where
/// hidden) this thread holds in `scores`, the rest of the row in the other
/// lanes of its group: replaces the scores by P = exp2(S·scale·log2(e) -
/// max) and returns the row's new max, sum (of this thread's columns) and
/// alpha.
SoftmaxRowUpdate updateSoftmaxRow(mlir::OpBuilder &b, mlir::Location loc,
                                  WarpMma &mma,
                                  llvm::ArrayRef<mlir::Value *> scores,
                                  mlir::Value oldMax, mlir::Value oldSum,
                                  double scale);

/// 1 / l of a row from this thread's partial sum (0 for a row that saw no
/// key).
mlir::Value inverseRowSum(mlir::OpBuilder &b, mlir::Location loc,
                          WarpMma &mma, mlir::Value partialSum);

/// Whether the key block at `kStart` hides some key from some row at or
/// after `firstRow`: it runs past the key sequence or (causal: `diagonal`
/// not null) past the first row's diagonal.
mlir::Value keyBlockNeedsMask(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value kStart, int64_t blockKv,
                              int64_t seqKv, mlir::Value firstRow,
                              mlir::Value diagonal);

/// Where a score a thread holds lies: which of the thread's rows (an index
/// into the `rows` given to maskHiddenScores) and its column in the key
/// block minus 2·t (t the thread's lane within its group of four).
struct ScorePlace {
  int64_t row, columnOffset;
};

/// Sets to -inf, when `needed` holds (keyBlockNeedsMask; a branch uniform
/// per warp), every score in `scores` whose key its row does not see: past
/// the key sequence, or (causal: `diagonal` not null) past the row's
/// diagonal. `rows` are the thread's query rows (absolute), `place(i)`
/// where score i lies.
void maskHiddenScores(mlir::OpBuilder &b, mlir::Location loc, WarpMma &mma,
                      llvm::MutableArrayRef<mlir::Value> scores,
                      mlir::Value needed, llvm::ArrayRef<mlir::Value> rows,
                      llvm::function_ref<ScorePlace(int64_t)> place,
                      mlir::Value kStart, int64_t seqKv,
                      mlir::Value diagonal);

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_ATTENTIONKERNEL_H
