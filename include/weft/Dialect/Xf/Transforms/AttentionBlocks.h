//===- AttentionBlocks.h - Which key blocks a query block visits ---------===//
//
// Every lowering of xf.attention (the tensor loop nest of
// xf-lower-attention, the tensor-core kernel of the CUDA target) walks the
// keys in blocks and, when causal, stops after the last block any row of the
// query block can see. These builders are that one rule.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_TRANSFORMS_ATTENTIONBLOCKS_H
#define WEFT_DIALECT_XF_TRANSFORMS_ATTENTIONBLOCKS_H

#include "weft/Dialect/Xf/IR/XfOps.h"

#include "mlir/IR/Builders.h"

namespace weft::xf {

/// The causal diagonal of `op` as an index value: query row i sees keys
/// j <= i + diagonal, where diagonal is the op's causal_offset or, without
/// one, Skv - Sq (the bottom-right aligned mask).
mlir::Value buildCausalDiagonal(mlir::OpBuilder &b, AttentionOp op);

/// The number of key blocks (of `blockKv` keys, `numKeyBlocks` in all) the
/// query block of `blockQ` rows starting at `qStart` visits: all of them, or
/// with a causal `diagonal` (null when not causal) those up to the block
/// holding the last key its last real row (below `seqQ`) sees. A block whose
/// rows see no key still visits the first block, where every score is
/// masked, so the count is at least 1.
mlir::Value buildVisitedKeyBlocks(mlir::OpBuilder &b, mlir::Location loc,
                                  int64_t seqQ, int64_t blockQ,
                                  int64_t blockKv, int64_t numKeyBlocks,
                                  mlir::Value diagonal, mlir::Value qStart);

} // namespace weft::xf

#endif // WEFT_DIALECT_XF_TRANSFORMS_ATTENTIONBLOCKS_H
