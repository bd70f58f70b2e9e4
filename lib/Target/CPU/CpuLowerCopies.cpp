//===- CpuLowerCopies.cpp - Strided memref.copy to linalg.copy ------------===//
//
// Keeps host libraries free of MLIR's runtime helpers: a strided copy would
// otherwise lower to a call to `memrefCopy`.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace weft::cpu {
#define GEN_PASS_DEF_CPULOWERCOPIES
#include "weft/Target/CPU/Passes.h.inc"
} // namespace weft::cpu

using namespace mlir;

namespace {

struct CpuLowerCopiesPass
    : weft::cpu::impl::CpuLowerCopiesBase<CpuLowerCopiesPass> {
  using Base::Base;

  void runOnOperation() final {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (!source || !target)
        return; // unranked: linalg.copy cannot express it
      if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
        return; // contiguous: memcpy
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};

} // namespace
