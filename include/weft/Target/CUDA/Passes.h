//===- Passes.h - CUDA target passes and pipeline -------------------------===//
//
// The CUDA passes and `weft-cuda-pipeline`, the one definition of how an xf
// program becomes NVVM kernels (serialized to PTX) and host code that
// launches them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_PASSES_H
#define WEFT_TARGET_CUDA_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace weft::cuda {

#define GEN_PASS_DECL
#include "weft/Target/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "weft/Target/CUDA/Passes.h.inc"

/// The module attribute listing the kernels of the device image in the
/// order the device table's `launch` indexes them.
constexpr llvm::StringLiteral kKernelsAttrName = "weft.kernels";
/// The module attribute giving, in the same order, each kernel's launch
/// locations (an array per kernel, one per launch), which name the model
/// ops each launch runs.
constexpr llvm::StringLiteral kKernelLocationsAttrName =
    "weft.kernel_locations";

/// Options of weft-cuda-pipeline.
struct CudaPipelineOptions : mlir::PassPipelineOptions<CudaPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture: sm_80 or sm_90"),
                           llvm::cl::init("sm_80")};
  // 0 picks each path's default: for the tensor-core kernel 16 query rows
  // per warp and 64 keys; for the loop
  // nest 32 x 16, which keeps a tile's scratch (accumulator, scores,
  // transposed keys, output) within 48 KiB of shared memory up to head
  // dimension 128, so a block of threads shares it.
  Option<int64_t> attentionBlockQ{
      *this, "attention-block-q",
      llvm::cl::desc("query rows per attention block (0: the default)"),
      llvm::cl::init(0)};
  Option<int64_t> attentionBlockKv{
      *this, "attention-block-kv",
      llvm::cl::desc("keys per attention block (0: the default)"),
      llvm::cl::init(0)};
  Option<int64_t> attentionWarps{
      *this, "attention-warps",
      llvm::cl::desc("warps per block of the tensor-core attention kernel "
                     "(0: 4 for mma.sync, 8 for wgmma)"),
      llvm::cl::init(0)};
  Option<bool> tensorCoreAttention{
      *this, "tensor-core-attention",
      llvm::cl::desc("run f16/bf16 attention with head dimension 64 or 128 "
                     "as the tensor-core FlashAttention kernel"),
      llvm::cl::init(true)};
  Option<bool> attentionWgmma{
      *this, "attention-wgmma",
      llvm::cl::desc("on sm_90, the tensor-core attention kernel copies with "
                     "TMA and multiplies with warpgroup MMA (sm_90a code); "
                     "off: the sm_80 kernel (mma.sync)"),
      llvm::cl::init(true)};
  Option<bool> tensorCoreLinear{
      *this, "tensor-core-linear",
      llvm::cl::desc("run f16/bf16 linear layers and matmuls with K and N "
                     "multiples of 8, and their bias/activation/residual "
                     "epilogues, as the tensor-core GEMM"),
      llvm::cl::init(true)};
  Option<int64_t> threadsPerBlock{
      *this, "threads-per-block",
      llvm::cl::desc("threads per block of an elementwise kernel"),
      llvm::cl::init(256)};
  Option<bool> fuseRows{
      *this, "fuse-rows",
      llvm::cl::desc("run each chain of row reductions (norms, softmax) and "
                     "the elementwise ops around them as one kernel "
                     "(weft-fuse-rows)"),
      llvm::cl::init(true)};
};

/// The chips this target generates code for.
bool isSupportedChip(llvm::StringRef chip);

/// xf on tensors → gpu.binary holding the kernels as PTX for the chip, and
/// host functions (still on memrefs) that launch them through the device
/// table; buildHostToLLVMStage (CPU) finishes the host code once the
/// binary is taken out.
void buildCudaPipeline(mlir::OpPassManager &pm,
                       const CudaPipelineOptions &options);

void registerCudaPipeline();

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_PASSES_H
