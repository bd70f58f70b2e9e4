//===- AttentionBlocks.cpp - Which key blocks a query block visits -------===//

#include "weft/Dialect/Xf/Transforms/AttentionBlocks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

Value weft::xf::buildCausalDiagonal(OpBuilder &b, AttentionOp op) {
  if (Value offset = op.getCausalOffset())
    return offset;
  int64_t seqQ = op.getQuery().getType().getDimSize(1);
  int64_t seqKv = op.getKey().getType().getDimSize(1);
  return arith::ConstantIndexOp::create(b, op.getLoc(), seqKv - seqQ);
}

Value weft::xf::buildVisitedKeyBlocks(OpBuilder &b, Location loc,
                                      int64_t seqQ, int64_t blockQ,
                                      int64_t blockKv, int64_t numKeyBlocks,
                                      Value diagonal, Value qStart) {
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  if (!diagonal)
    return c(numKeyBlocks);
  Value lastRow = arith::MinSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, qStart, c(blockQ - 1)),
      c(seqQ - 1));
  Value lastKey = arith::MaxSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, lastRow, diagonal), c(0));
  Value blocks = arith::AddIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, lastKey, c(blockKv)), c(1));
  return arith::MinSIOp::create(b, loc, blocks, c(numKeyBlocks));
}
