//===- CpuPrepareEntryAbi.cpp - Public functions become entry points ------===//
//
// The runtime calls entry functions through their C interface with buffers it
// owns; arguments must stay untouched so that weights can be reused across
// calls and inputs across repeats.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "weft/Dialect/Mesh/IR/MeshDialect.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace weft::cpu {
#define GEN_PASS_DEF_CPUPREPAREENTRYABI
#include "weft/Target/CPU/Passes.h.inc"
} // namespace weft::cpu

using namespace mlir;

namespace {

struct CpuPrepareEntryAbiPass
    : weft::cpu::impl::CpuPrepareEntryAbiBase<CpuPrepareEntryAbiPass> {
  using Base::Base;

  void runOnOperation() final {
    MLIRContext *ctx = &getContext();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(ctx));
      // The manifest holds names, roles and slices by now; LLVM has no use
      // for them.
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
        func.removeArgAttr(i, weft::xf::XfDialect::kNameAttrName);
        func.removeArgAttr(i, weft::xf::XfDialect::kRoleAttrName);
        func.removeArgAttr(i, weft::mesh::MeshDialect::kShardingAttrName);
      }
      for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
        func.removeResultAttr(
            i, StringAttr::get(ctx, weft::xf::XfDialect::kNameAttrName));
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (isa<TensorType>(func.getArgument(i).getType()))
          func.setArgAttr(i,
                          bufferization::BufferizationDialect::
                              kWritableAttrName,
                          BoolAttr::get(ctx, false));
    }
  }
};

} // namespace
