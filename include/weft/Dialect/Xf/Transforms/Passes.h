//===- Passes.h - xf transformation passes --------------------------------===//
//
// Declarations of the passes in Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_TRANSFORMS_PASSES_H
#define WEFT_DIALECT_XF_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/IR/PatternMatch.h"

namespace weft::xf {

#define GEN_PASS_DECL
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"

/// Rewrites a linear layer whose output is split along its features into
/// one linear layer per piece (see xf-split-fused-projections).
void populateSplitFusedProjectionPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"

} // namespace weft::xf

#endif // WEFT_DIALECT_XF_TRANSFORMS_PASSES_H
