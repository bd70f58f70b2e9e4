//===- CudaOutlineAttention.cpp - xf.attention to a kernel call -----------===//
//
// Picks the attention ops the tensor-core kernel takes (f16/bf16, head
// dimension 64 or 128 for queries, keys and values alike), decides their
// tiling, and replaces each by a call of a private kernel declaration on
// buffers (AttentionKernel.h); the others stay for xf-lower-attention.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Dialect/Xf/Transforms/AttentionBlocks.h"
#include "weft/Target/CUDA/AttentionKernel.h"
#include "weft/Target/CUDA/KernelCalls.h"
#include "weft/Target/CUDA/WarpMma.h"
#include "weft/Target/CUDA/WarpgroupMma.h"

#include "mlir/IR/PatternMatch.h"

namespace weft::cuda {
#define GEN_PASS_DEF_CUDAOUTLINEATTENTION
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;
using namespace weft;
using namespace weft::cuda;

namespace {

/// Whether the tensor-core kernel takes `op`.
bool takesTensorCores(xf::AttentionOp op) {
  auto q = op.getQuery().getType();
  Type element = q.getElementType();
  int64_t d = q.getDimSize(3);
  return takesAttention(element, d) &&
         op.getValue().getType().getDimSize(3) == d &&
         q.getDimSize(0) > 0 && q.getDimSize(1) > 0 &&
         op.getKey().getType().getDimSize(1) > 0;
}

std::string kernelName(xf::AttentionOp op, bool wgmma) {
  std::string name;
  llvm::raw_string_ostream os(name);
  auto q = op.getQuery().getType();
  os << (wgmma ? "attention_wgmma_" : "attention_mma_")
     << (q.getElementType().isF16() ? "f16" : "bf16")
     << "_d" << q.getDimSize(3) << (op.getCausal() ? "_causal" : "");
  return name;
}

struct CudaOutlineAttentionPass
    : weft::cuda::impl::CudaOutlineAttentionBase<CudaOutlineAttentionPass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    SmallVector<xf::AttentionOp> ops;
    module.walk([&](xf::AttentionOp op) {
      if (takesTensorCores(op))
        ops.push_back(op);
    });
    KernelDeclarations declarations(
        module, wgmma ? kAttentionWgmmaAttrName : kAttentionMmaAttrName);
    IRRewriter rewriter(&getContext());
    for (xf::AttentionOp op : ops) {
      FailureOr<MmaAttentionConfig> config = chooseTiling(op);
      if (failed(config))
        return signalPassFailure();
      outline(rewriter, declarations, op, *config);
    }
  }

  /// The tiling from the options (0: the kernel's default), checked.
  FailureOr<MmaAttentionConfig> chooseTiling(xf::AttentionOp op) {
    int64_t d = op.getQuery().getType().getDimSize(3);
    MmaAttentionConfig config;
    config.causal = op.getCausal();
    config.scale = op.getEffectiveScale();
    // mma.sync: 4 warps of 16 rows, 64 keys. 16 rows per warp: at head
    // dimension 64 two row tiles per warp need all 255 registers and spill
    // (ptxas -v, sm_80), one needs 167; at 128 one row tile needs 240.
    // wgmma: two warpgroups of 64 rows, 128 keys (the 128 x 128 tiles of
    // FlashAttention-3 at both head dimensions).
    config.warps = warps ? static_cast<int64_t>(warps) : (wgmma ? 8 : 4);
    config.blockQ =
        blockQ ? static_cast<int64_t>(blockQ) : 16 * config.warps;
    // A wgmma block of keys is as wide as the product (its N): no wider
    // than the keys rounded up to 64, so short sequences compute no zeros.
    int64_t seqKv = op.getKey().getType().getDimSize(1);
    config.blockKv =
        blockKv ? static_cast<int64_t>(blockKv)
                : (wgmma ? std::min<int64_t>(128, llvm::alignTo(seqKv, 64))
                         : 64);
    if (wgmma)
      return checkWarpgroupTiling(op, config, d);
    if (failed(MmaAttentionConfig::fromAttr(config.toAttr(&getContext()),
                                            op)))
      return failure();
    int64_t chunks = d / 8, threads = config.warps * 32;
    if ((config.blockQ * chunks) % threads != 0 ||
        (config.blockKv * chunks) % threads != 0 || threads % chunks != 0)
      return op.emitOpError("tensor-core attention tiles of ")
             << config.blockQ << " and " << config.blockKv << " rows of " << d
             << " elements do not divide among " << threads
             << " threads in 16-byte copies";
    return checkSharedMemory(op, config, d, config.sharedBytes(d),
                             kMaxSharedBytesPerBlock);
  }

  /// The wgmma kernel copies with TMA (no division among threads).
  FailureOr<MmaAttentionConfig>
  checkWarpgroupTiling(xf::AttentionOp op, const MmaAttentionConfig &config,
                       int64_t d) {
    if (failed(MmaAttentionConfig::fromWarpgroupAttr(
            config.toAttr(&getContext()), op)))
      return failure();
    return checkSharedMemory(op, config, d, config.warpgroupSharedBytes(d),
                             kMaxSharedBytesPerBlockSm90);
  }

  FailureOr<MmaAttentionConfig>
  checkSharedMemory(xf::AttentionOp op, const MmaAttentionConfig &config,
                    int64_t d, int64_t bytes, int64_t limit) {
    if (bytes > limit)
      return op.emitOpError("tensor-core attention tiles of ")
             << config.blockQ << " and " << config.blockKv << " rows of " << d
             << " elements need " << bytes
             << " bytes of shared memory, more than a block may have ("
             << limit << ")";
    return config;
  }

  void outline(IRRewriter &rewriter, KernelDeclarations &declarations,
               xf::AttentionOp op, const MmaAttentionConfig &config) {
    Location loc = op.getLoc();
    MLIRContext *ctx = &getContext();
    auto asBuffer = [](Type type) {
      auto tensor = cast<RankedTensorType>(type);
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    };
    SmallVector<Type> argTypes{asBuffer(op.getQuery().getType()),
                               asBuffer(op.getKey().getType()),
                               asBuffer(op.getValue().getType()),
                               asBuffer(op.getType()),
                               rewriter.getIndexType()};

    func::FuncOp kernel = declarations.getOrCreate(
        rewriter, loc, kernelName(op, wgmma),
        FunctionType::get(ctx, argTypes, TypeRange{}), config.toAttr(ctx));

    // The call on buffers, its result a fresh buffer.
    rewriter.setInsertionPoint(op);
    SmallVector<Value> operands;
    SmallVector<Value> inputs{op.getQuery(), op.getKey(), op.getValue()};
    for (auto [value, type] : llvm::zip(inputs, argTypes))
      operands.push_back(bufferization::ToBufferOp::create(
          rewriter, loc, type, value, rewriter.getUnitAttr()));
    Value output = memref::AllocOp::create(rewriter, loc,
                                           cast<MemRefType>(argTypes[3]));
    operands.push_back(output);
    operands.push_back(xf::buildCausalDiagonal(rewriter, op));
    func::CallOp::create(rewriter, loc, kernel, operands);
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, op.getType(), output,
                               rewriter.getUnitAttr(), rewriter.getUnitAttr()));
  }
};

} // namespace
