//===- Passes.h - CPU target passes and pipeline --------------------------===//
//
// The CPU passes and `weft-cpu-pipeline`, the one definition of how an xf
// program becomes LLVM dialect for the host; weft-opt, weft-compile and the
// tests all build it through buildCpuPipeline.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CPU_PASSES_H
#define WEFT_TARGET_CPU_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace weft::cpu {

#define GEN_PASS_DECL
#include "weft/Target/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "weft/Target/CPU/Passes.h.inc"

/// Stages shared by every target. xf on tensors → linalg on tensors
/// (attention as its FlashAttention loop nest), fused and cleaned.
void buildXfToLinalgStage(mlir::OpPassManager &pm, int64_t attentionBlockQ,
                          int64_t attentionBlockKv);
/// Collectives to runtime calls, entry ABI, one-shot bufferization with
/// results as out-parameters, deallocation, strided copies as linalg.copy.
void buildBufferizationStage(mlir::OpPassManager &pm);
/// Host code on memrefs and control flow (loops already sequential or
/// OpenMP) → LLVM dialect.
void buildHostToLLVMStage(mlir::OpPassManager &pm);

/// Options of weft-cpu-pipeline.
struct CpuPipelineOptions : mlir::PassPipelineOptions<CpuPipelineOptions> {
  Option<int64_t> attentionBlockQ{*this, "attention-block-q",
                                  llvm::cl::desc("query rows per attention block"),
                                  llvm::cl::init(64)};
  Option<int64_t> attentionBlockKv{*this, "attention-block-kv",
                                   llvm::cl::desc("keys per attention block"),
                                   llvm::cl::init(64)};
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("run parallel loops on all cores (OpenMP)"),
                        llvm::cl::init(true)};
  Option<int64_t> numTiles{*this, "num-tiles",
                           llvm::cl::desc("parallel tiles per op"),
                           llvm::cl::init(64)};
  Option<bool> fuseRows{
      *this, "fuse-rows",
      llvm::cl::desc("group row reductions and the elementwise ops around "
                     "them into one loop nest over row tiles "
                     "(weft-fuse-rows, as the CUDA pipeline does)"),
      llvm::cl::init(false)};
};

/// xf on tensors → LLVM dialect: lowering of xf, distribution over cores,
/// bufferization with results as out-parameters, loops, OpenMP, LLVM.
void buildCpuPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers weft-cpu-pipeline with the pass registry.
void registerCpuPipeline();

} // namespace weft::cpu

#endif // WEFT_TARGET_CPU_PASSES_H
