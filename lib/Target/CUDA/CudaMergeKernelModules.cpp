//===- CudaMergeKernelModules.cpp - One gpu.module per program ------------===//
//
// See Passes.td. Moving a symbol may rename it; SymbolTable::insert picks
// the new name and the launch sites are updated from the old one.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace weft::cuda {
#define GEN_PASS_DEF_CUDAMERGEKERNELMODULES
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;

namespace {

struct CudaMergeKernelModulesPass
    : weft::cuda::impl::CudaMergeKernelModulesBase<
          CudaMergeKernelModulesPass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    auto modules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    gpu::GPUModuleOp target = modules.front();
    SymbolTable targetSymbols(target);
    // (old module, old name) -> new name of every moved kernel.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules)) {
      SymbolTable sourceSymbols(source);
      // Rename inside the source first, so that its own references follow.
      for (Operation &op : llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol)
          continue;
        StringAttr oldName = symbol.getNameAttr();
        if (targetSymbols.lookup(oldName)) {
          // Outlined kernels share their function's name; their modules'
          // names are unique.
          auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
          std::string fresh =
              kernel && kernel.isKernel() && !targetSymbols.lookup(source.getName())
                  ? source.getName().str()
                  : (oldName.getValue() + "_" + source.getName()).str();
          if (failed(sourceSymbols.rename(symbol, fresh))) {
            source.emitOpError("cannot rename ") << oldName;
            return signalPassFailure();
          }
        }
        renamed[{source.getNameAttr(), oldName}] = symbol.getNameAttr();
        op.remove();
        targetSymbols.insert(&op);
      }
      module.walk([&](gpu::LaunchFuncOp launch) {
        if (launch.getKernelModuleName() != source.getNameAttr())
          return;
        StringAttr name =
            renamed.lookup({source.getNameAttr(), launch.getKernelName()});
        launch.setKernelAttr(SymbolRefAttr::get(
            target.getNameAttr(), {FlatSymbolRefAttr::get(name)}));
      });
      source.erase();
    }
  }
};

} // namespace
