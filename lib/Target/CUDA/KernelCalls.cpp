//===- KernelCalls.cpp - Kernel declarations' calls become launches ------===//

#include "weft/Target/CUDA/KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/MapVector.h"

using namespace mlir;

func::FuncOp weft::cuda::KernelDeclarations::getOrCreate(
    OpBuilder &b, Location loc, StringRef name, FunctionType type,
    DictionaryAttr config) {
  func::FuncOp &declaration = declarations[{type, config}];
  if (declaration)
    return declaration;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  declaration = func::FuncOp::create(b, loc, name, type);
  declaration.setPrivate();
  declaration->setAttr(attrName, config);
  symbols.insert(declaration); // renamed on a clash
  return declaration;
}

LogicalResult weft::cuda::replaceKernelCalls(
    ModuleOp module, StringRef attrName, StringRef kernelModuleName,
    function_ref<FailureOr<KernelLaunchShape>(func::CallOp, func::FuncOp)>
        shape,
    function_ref<void(OpBuilder &, Location, func::CallOp, func::FuncOp,
                      ValueRange)>
        buildBody,
    function_ref<SmallVector<Value>(OpBuilder &, func::CallOp, func::FuncOp)>
        hostOperands) {
  // 1. The calls of kernel declarations.
  SymbolTable symbols(module);
  SmallVector<std::pair<func::CallOp, func::FuncOp>> calls;
  module.walk([&](func::CallOp call) {
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (callee && callee->hasAttr(attrName))
      calls.push_back({call, callee});
  });
  if (calls.empty())
    return success();

  // 2. One kernel per declaration, a launch of it per call.
  IRRewriter rewriter(module.getContext());
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  rewriter.getUnitAttr());
  rewriter.setInsertionPointToEnd(module.getBody());
  auto kernelModule =
      gpu::GPUModuleOp::create(rewriter, module.getLoc(), kernelModuleName);
  symbols.insert(kernelModule); // renamed on a clash
  llvm::MapVector<func::FuncOp, gpu::GPUFuncOp> kernels;
  for (auto [call, declaration] : calls) {
    FailureOr<KernelLaunchShape> launch = shape(call, declaration);
    if (failed(launch))
      return failure();
    SmallVector<Value> operands(call.getOperands());
    rewriter.setInsertionPoint(call);
    if (hostOperands)
      llvm::append_range(operands, hostOperands(rewriter, call, declaration));
    gpu::GPUFuncOp &kernel = kernels[declaration];
    if (!kernel) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToEnd(kernelModule.getBody());
      Location loc = declaration.getLoc();
      kernel = gpu::GPUFuncOp::create(
          rewriter, loc, declaration.getSymName(),
          rewriter.getFunctionType(ValueRange(operands).getTypes(), {}));
      kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                      rewriter.getUnitAttr());
      kernel.setKnownBlockSizeAttr(rewriter.getDenseI32ArrayAttr(
          {static_cast<int32_t>(launch->threads), 1, 1}));
      Block &entry = kernel.getBody().front();
      rewriter.setInsertionPointToEnd(&entry);
      auto ret = gpu::ReturnOp::create(rewriter, loc);
      rewriter.setInsertionPoint(ret);
      buildBody(rewriter, loc, call, declaration, entry.getArguments());
    }
    Location loc = call.getLoc();
    rewriter.setInsertionPoint(call);
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    gpu::LaunchFuncOp::create(
        rewriter, loc, kernel,
        gpu::KernelDim3{c(launch->grid[0]), c(launch->grid[1]),
                        c(launch->grid[2])},
        gpu::KernelDim3{c(launch->threads), c(1), c(1)},
        arith::ConstantIntOp::create(rewriter, loc, rewriter.getI32Type(),
                                     launch->sharedBytes),
        operands);
    rewriter.eraseOp(call);
  }

  // 3. The declarations no longer stand for anything.
  for (auto &[declaration, kernel] : kernels)
    rewriter.eraseOp(declaration);
  return success();
}
