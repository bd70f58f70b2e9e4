//===- LowerAttention.cpp - xf.attention to an online-softmax loop nest ---===//
//
// FlashAttention-2 on tensors: parallel over (batch, head, query block), a
// sequential loop over key/value blocks carrying the running maximum, sum and
// output accumulator. Only block-sized score tiles exist, so memory grows
// linearly in the sequence length. The CPU pipeline bufferizes this nest as
// is; the GPU pipeline maps the forall to thread blocks.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/Transforms/Passes.h"

#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Dialect/Xf/Transforms/AttentionBlocks.h"
#include "weft/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

#define DEBUG_TYPE "xf-lower-attention"

namespace weft::xf {
#define GEN_PASS_DEF_XFLOWERATTENTION
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"
} // namespace weft::xf

using namespace mlir;
using namespace weft;
using namespace weft::xf;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The fixed facts of one attention op.
struct AttentionShape {
  int64_t batch, seqQ, seqKv, headsQ, headsKv, headDim, valueDim;
  int64_t blockQ, blockKv;   // clamped block sizes
  int64_t paddedQ, paddedKv; // sequences rounded up to whole blocks
  bool causal;
  /// Causal: query row i sees keys j <= i + diagonal (Skv - Sq, or the
  /// op's causal_offset).
  Value diagonal;
  double scale;
  Type elem, compute;

  /// Whether some score element of some block must be masked.
  bool needsMask() const { return causal || paddedKv != seqKv; }
};

/// Pads dimension 1 (the sequence) of `value` with zeros up to `padded`.
Value padSequence(OpBuilder &b, Location loc, Value value, int64_t padded) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t seq = type.getDimSize(1);
  if (seq == padded)
    return value;
  SmallVector<int64_t> shape(type.getShape());
  shape[1] = padded;
  SmallVector<OpFoldResult> low(4, b.getIndexAttr(0));
  SmallVector<OpFoldResult> high(4, b.getIndexAttr(0));
  high[1] = b.getIndexAttr(padded - seq);
  Value zero = floatConstant(b, loc, type.getElementType(), 0.0);
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value, low,
      high, zero);
}

/// The rank-2 tile `[rows, cols]` of `source` ([B, S, H, D]) at batch `b`,
/// sequence offset `seq` and head `head`.
Value extractTile(OpBuilder &b, Location loc, Value source, Value batch,
                  Value seq, Value head, int64_t rows, int64_t cols) {
  Type elem = cast<RankedTensorType>(source.getType()).getElementType();
  SmallVector<OpFoldResult> offsets{batch, seq, head, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(rows),
                                  b.getIndexAttr(1), b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({rows, cols}, elem), source, offsets, sizes,
      strides);
}

/// Whether score (row, col) of the tile at (qStart, kStart) is a real,
/// visible key: inside the key sequence and, when causal, at or below the
/// bottom-right aligned diagonal. Built inside a generic over [rows, cols].
Value isVisible(OpBuilder &b, Location loc, const AttentionShape &s,
                Value qStart, Value kStart) {
  Value i = linalg::IndexOp::create(b, loc, 0);
  Value j = linalg::IndexOp::create(b, loc, 1);
  Value key = arith::AddIOp::create(b, loc, kStart, j);
  Value inRange = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::slt, key,
      arith::ConstantIndexOp::create(b, loc, s.seqKv));
  if (!s.causal)
    return inRange;
  // key <= row + diagonal
  Value row = arith::AddIOp::create(b, loc, qStart, i);
  Value limit = arith::AddIOp::create(b, loc, row, s.diagonal);
  Value belowDiagonal =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, key, limit);
  return arith::AndIOp::create(b, loc, inRange, belowDiagonal);
}

/// One key/value block of the online softmax: returns (m', l', O').
SmallVector<Value> buildKeyBlockStep(OpBuilder &b, Location loc,
                                     const AttentionShape &s, Value qTile,
                                     Value kTile, Value vTile, Value qStart,
                                     Value kStart, ValueRange state) {
  MLIRContext *ctx = b.getContext();
  Type f = s.compute;
  Value m = state[0], l = state[1], acc = state[2];
  int64_t br = s.blockQ, bc = s.blockKv;
  AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap rowMap = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));
  AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
  Value negInf = floatConstant(b, loc, f, -INFINITY);

  // S = Q·Kᵀ (Q already scaled). K is transposed once per block (D x Bc
  // copies against Br x Bc x D multiply-adds) so that the product walks
  // both Kᵀ and S along contiguous rows.
  int64_t d = cast<RankedTensorType>(kTile.getType()).getDimSize(1);
  Value kT = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{d, bc},
      cast<RankedTensorType>(kTile.getType()).getElementType());
  kT = linalg::TransposeOp::create(b, loc, kTile, kT, ArrayRef<int64_t>{1, 0})
           .getResult()[0];
  Value scores = createFilledTensor(b, loc, {br, bc}, f, 0.0);
  scores = createContraction(b, loc, qTile, kT, scores,
                             /*transposeRhs=*/false);

  // The loop-carried m, l and O are updated in place (each new value is
  // written over the old one) so that bufferization keeps one buffer each
  // for the whole loop.

  // Row maximum of the masked block.
  Value blockMax = createFilledTensor(b, loc, {br}, f, -INFINITY);
  blockMax = linalg::GenericOp::create(
                 b, loc, blockMax.getType(), scores, blockMax, {id2, rowMap},
                 {utils::IteratorType::parallel,
                  utils::IteratorType::reduction},
                 [&](OpBuilder &nb, Location l2, ValueRange args) {
                   Value score = args[0];
                   if (s.needsMask())
                     score = arith::SelectOp::create(
                         nb, l2, isVisible(nb, l2, s, qStart, kStart), score,
                         negInf);
                   linalg::YieldOp::create(
                       nb, l2,
                       arith::MaximumFOp::create(nb, l2, score, args[1])
                           .getResult());
                 })
                 .getResult(0);

  // m' = max(m, block max) over m, and alpha = exp(m - m'), which is 1
  // while no key has been seen (m' = -inf).
  Value alphaInit = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{br}, f);
  auto update = linalg::GenericOp::create(
      b, loc, TypeRange{m.getType(), alphaInit.getType()}, blockMax,
      ValueRange{m, alphaInit}, {id1, id1, id1}, getIterators(1),
      [&](OpBuilder &nb, Location l2, ValueRange args) {
        Value mOld = args[1];
        Value mNew = arith::MaximumFOp::create(nb, l2, mOld, args[0]);
        Value seen = arith::CmpFOp::create(nb, l2, arith::CmpFPredicate::OGT,
                                           mNew, negInf);
        Value e = math::ExpOp::create(
            nb, l2, arith::SubFOp::create(nb, l2, mOld, mNew));
        Value alpha = arith::SelectOp::create(nb, l2, seen, e,
                                              floatConstant(nb, l2, f, 1.0));
        linalg::YieldOp::create(nb, l2, ValueRange{mNew, alpha});
      });
  Value mNew = update.getResult(0), alpha = update.getResult(1);

  // P = exp(S - m'), 0 where masked (m' is finite wherever S is visible).
  Value probs = createElementwise(
      b, loc, {br, bc}, f, {scores, mNew},
      [&](OpBuilder &nb, Location l2, ValueRange args) -> Value {
        Value p = math::ExpOp::create(
            nb, l2, arith::SubFOp::create(nb, l2, args[0], args[1]));
        if (s.needsMask())
          p = arith::SelectOp::create(nb, l2,
                                      isVisible(nb, l2, s, qStart, kStart), p,
                                      floatConstant(nb, l2, f, 0.0));
        return p;
      },
      {id2, rowMap});

  // l' = l·alpha + rowsum(P).
  auto scaleByAlpha = [](OpBuilder &nb, Location l2, ValueRange args) -> Value {
    return arith::MulFOp::create(nb, l2, args[1], args[0]);
  };
  Value lScaled = createMappedGeneric(b, loc, alpha, id1, l, scaleByAlpha);
  Value lNew = createReduction(
      b, loc, probs, 1, lScaled,
      [](OpBuilder &nb, Location l2, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l2, args[0], args[1]);
      });

  // O' = O·alpha + P·V.
  Value accScaled =
      createMappedGeneric(b, loc, alpha, rowMap, acc, scaleByAlpha);
  Value accNew = createContraction(b, loc, probs, vTile, accScaled,
                                   /*transposeRhs=*/false);
  return {mNew, lNew, accNew};
}

/// Builds the whole nest for `op` and returns the [B, Sq, Hq, Dv] result.
Value buildAttention(OpBuilder &b, Location loc, AttentionOp op,
                     const AttentionShape &s) {
  MLIRContext *ctx = b.getContext();
  Value query = padSequence(b, loc, op.getQuery(), s.paddedQ);
  Value key = padSequence(b, loc, op.getKey(), s.paddedKv);
  Value value = padSequence(b, loc, op.getValue(), s.paddedKv);
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{s.batch, s.paddedQ, s.headsQ, s.valueDim},
      s.elem);

  SmallVector<OpFoldResult> bounds{b.getIndexAttr(s.batch),
                                   b.getIndexAttr(s.headsQ),
                                   b.getIndexAttr(s.paddedQ / s.blockQ)};
  auto forall =
      scf::ForallOp::create(b, loc, bounds, init, std::nullopt, nullptr);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value batch = forall.getInductionVar(0);
  Value head = forall.getInductionVar(1);
  Value qStart = arith::MulIOp::create(b, loc, forall.getInductionVar(2),
                                       c(s.blockQ));
  Value kvHead = arith::DivUIOp::create(b, loc, head,
                                        c(s.headsQ / s.headsKv));

  // The query tile, widened and scaled once for every key block.
  Value qTile = extractTile(b, loc, query, batch, qStart, head, s.blockQ,
                            s.headDim);
  double scale = s.scale;
  qTile = createElementwise(
      b, loc, {s.blockQ, s.headDim}, s.compute, qTile,
      [&](OpBuilder &nb, Location l2, ValueRange args) -> Value {
        return arith::MulFOp::create(
            nb, l2, castFloat(nb, l2, args[0], s.compute),
            floatConstant(nb, l2, s.compute, scale));
      });

  SmallVector<Value> state{
      createFilledTensor(b, loc, {s.blockQ}, s.compute, -INFINITY),
      createFilledTensor(b, loc, {s.blockQ}, s.compute, 0.0),
      createFilledTensor(b, loc, {s.blockQ, s.valueDim}, s.compute, 0.0)};
  Value numBlocks = buildVisitedKeyBlocks(
      b, loc, s.seqQ, s.blockQ, s.blockKv, s.paddedKv / s.blockKv,
      s.causal ? s.diagonal : Value(), qStart);
  auto loop = scf::ForOp::create(
      b, loc, c(0), numBlocks, c(1), state,
      [&](OpBuilder &nb, Location l2, Value kb, ValueRange iterArgs) {
        Value kStart = arith::MulIOp::create(
            nb, l2, kb, arith::ConstantIndexOp::create(nb, l2, s.blockKv));
        Value kTile = extractTile(nb, l2, key, batch, kStart, kvHead,
                                  s.blockKv, s.headDim);
        Value vTile = extractTile(nb, l2, value, batch, kStart, kvHead,
                                  s.blockKv, s.valueDim);
        SmallVector<Value> next = buildKeyBlockStep(
            nb, l2, s, qTile, kTile, vTile, qStart, kStart, iterArgs);
        scf::YieldOp::create(nb, l2, next);
      });
  Value l = loop.getResult(1), acc = loop.getResult(2);

  // O / l, rounded; a row with no visible key (l = 0) is 0.
  AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap rowMap = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));
  // Written straight into this block's slice of the shared output, so that
  // bufferization stores the tile in place instead of copying it there.
  SmallVector<OpFoldResult> offsets{batch, qStart, head, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(s.blockQ),
                                  b.getIndexAttr(1),
                                  b.getIndexAttr(s.valueDim)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  Value outInit = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({s.blockQ, s.valueDim}, s.elem),
      forall.getRegionIterArgs()[0], offsets, sizes, strides);
  Value tile = createMappedGeneric(
      b, loc, {acc, l}, {id2, rowMap}, outInit,
      [&](OpBuilder &nb, Location l2, ValueRange args) -> Value {
        Value zero = floatConstant(nb, l2, s.compute, 0.0);
        Value empty = arith::CmpFOp::create(nb, l2, arith::CmpFPredicate::OEQ,
                                            args[1], zero);
        Value q = arith::DivFOp::create(nb, l2, args[0], args[1]);
        Value r = arith::SelectOp::create(nb, l2, empty, zero, q);
        return castFloat(nb, l2, r, s.elem);
      });

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, tile,
                                        forall.getRegionIterArgs()[0], offsets,
                                        sizes, strides);

  b.setInsertionPointAfter(forall);
  Value result = forall.getResult(0);
  if (s.paddedQ == s.seqQ)
    return result;
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0));
  SmallVector<OpFoldResult> full{
      b.getIndexAttr(s.batch), b.getIndexAttr(s.seqQ),
      b.getIndexAttr(s.headsQ), b.getIndexAttr(s.valueDim)};
  return tensor::ExtractSliceOp::create(
      b, loc, cast<RankedTensorType>(op.getType()), result, zeros, full,
      strides);
}

struct XfLowerAttentionPass
    : weft::xf::impl::XfLowerAttentionBase<XfLowerAttentionPass> {
  using Base::Base;

  void runOnOperation() final {
    // 1. Check the options once.
    if (blockQ < 1 || blockKv < 1) {
      getOperation()->emitError("xf-lower-attention block sizes must be "
                                "positive, got block-q=")
          << static_cast<int64_t>(blockQ)
          << " block-kv=" << static_cast<int64_t>(blockKv);
      return signalPassFailure();
    }
    // 2. Rewrite every attention op in place.
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (AttentionOp op : ops) {
      auto qType = op.getQuery().getType();
      auto kType = op.getKey().getType();
      auto vType = op.getValue().getType();
      AttentionShape s;
      s.batch = qType.getDimSize(0);
      s.seqQ = qType.getDimSize(1);
      s.headsQ = qType.getDimSize(2);
      s.headDim = qType.getDimSize(3);
      s.seqKv = kType.getDimSize(1);
      s.headsKv = kType.getDimSize(2);
      s.valueDim = vType.getDimSize(3);
      s.blockQ = std::max<int64_t>(1, std::min<int64_t>(blockQ, s.seqQ));
      s.blockKv = std::max<int64_t>(1, std::min<int64_t>(blockKv, s.seqKv));
      s.paddedQ = ceilDiv(s.seqQ, s.blockQ) * s.blockQ;
      s.paddedKv = ceilDiv(s.seqKv, s.blockKv) * s.blockKv;
      s.causal = op.getCausal();
      s.scale = op.getEffectiveScale();
      s.elem = qType.getElementType();
      s.compute = getComputeType(s.elem);
      if (s.seqQ == 0 || s.seqKv == 0 || s.batch == 0) {
        op.emitOpError("cannot be lowered with an empty batch or sequence");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      s.diagonal = buildCausalDiagonal(rewriter, op);
      Value result = buildAttention(rewriter, op.getLoc(), op, s);
      rewriter.replaceOp(op, result);
    }
  }
};

} // namespace
