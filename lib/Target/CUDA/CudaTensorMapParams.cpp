//===- CudaTensorMapParams.cpp - Tensor maps as grid-constant parameters --===//
//
// See Passes.td: runs before convert-gpu-to-nvvm (gpu.func arguments of
// tensor-map type become pointers) and after it (those pointers become
// byval grid-constant parameters of the llvm.func kernels).
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

namespace weft::cuda {
#define GEN_PASS_DEF_CUDATENSORMAPPARAMS
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kTensorMapArgsAttrName = "weft.tensor_map_args";
/// sizeof(CUtensorMap) and its alignment.
constexpr int64_t kTensorMapBytes = 128, kTensorMapAlign = 64;

/// gpu.func kernels: tensor-map arguments become pointers.
void retypeTensorMapArguments(gpu::GPUFuncOp kernel) {
  MLIRContext *ctx = kernel.getContext();
  auto pointer = LLVM::LLVMPointerType::get(ctx);
  Block &entry = kernel.getBody().front();
  SmallVector<int64_t> positions;
  SmallVector<Type> inputs(kernel.getArgumentTypes());
  OpBuilder b(ctx);
  b.setInsertionPointToStart(&entry);
  for (auto [i, argument] : llvm::enumerate(entry.getArguments())) {
    if (!isa<nvgpu::TensorMapDescriptorType>(argument.getType()))
      continue;
    positions.push_back(i);
    Type mapType = argument.getType();
    argument.setType(pointer);
    inputs[i] = pointer;
    // Uses keep the descriptor type; the cast folds away once the NVGPU
    // lowering has turned them into pointers too.
    auto cast = UnrealizedConversionCastOp::create(b, kernel.getLoc(),
                                                   mapType, argument);
    argument.replaceAllUsesExcept(cast.getResult(0), cast);
  }
  if (positions.empty())
    return;
  kernel.setFunctionType(FunctionType::get(ctx, inputs, {}));
  kernel->setAttr(kTensorMapArgsAttrName,
                  DenseI64ArrayAttr::get(ctx, positions));
}

/// llvm.func kernels: the recorded pointers become byval grid constants.
void passByValue(LLVM::LLVMFuncOp kernel) {
  auto positions =
      kernel->getAttrOfType<DenseI64ArrayAttr>(kTensorMapArgsAttrName);
  if (!positions)
    return;
  MLIRContext *ctx = kernel.getContext();
  Builder b(ctx);
  auto bytes = LLVM::LLVMArrayType::get(b.getI8Type(), kTensorMapBytes);
  for (int64_t i : positions.asArrayRef()) {
    kernel.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(),
                      TypeAttr::get(bytes));
    kernel.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                      b.getI64IntegerAttr(kTensorMapAlign));
    kernel.setArgAttr(i, NVVM::NVVMDialect::getGridConstantAttrName(),
                      b.getUnitAttr());
  }
  kernel->removeAttr(kTensorMapArgsAttrName);
}

struct CudaTensorMapParamsPass
    : weft::cuda::impl::CudaTensorMapParamsBase<CudaTensorMapParamsPass> {
  using Base::Base;

  void runOnOperation() final {
    for (auto kernel : getOperation().getOps<gpu::GPUFuncOp>())
      if (kernel.isKernel())
        retypeTensorMapArguments(kernel);
    for (auto kernel : getOperation().getOps<LLVM::LLVMFuncOp>())
      passByValue(kernel);
  }
};

} // namespace
