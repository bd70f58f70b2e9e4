//===- AttentionKernel.cpp - What the tensor-core attention kernels share -===//

#include "weft/Target/CUDA/AttentionKernel.h"

#include "weft/Target/CUDA/WarpMma.h"
#include "weft/Target/CUDA/WarpgroupMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace weft::cuda;

DictionaryAttr MmaAttentionConfig::toAttr(MLIRContext *ctx) const {
  Builder b(ctx);
  return b.getDictionaryAttr({
      b.getNamedAttr("causal", b.getBoolAttr(causal)),
      b.getNamedAttr("scale", b.getF64FloatAttr(scale)),
      b.getNamedAttr("warps", b.getI64IntegerAttr(warps)),
      b.getNamedAttr("block_q", b.getI64IntegerAttr(blockQ)),
      b.getNamedAttr("block_kv", b.getI64IntegerAttr(blockKv)),
  });
}

FailureOr<MmaAttentionConfig>
MmaAttentionConfig::fromAttr(Attribute attr, Operation *where) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  auto causal = dict ? dict.getAs<BoolAttr>("causal") : nullptr;
  auto scale = dict ? dict.getAs<FloatAttr>("scale") : nullptr;
  auto warps = dict ? dict.getAs<IntegerAttr>("warps") : nullptr;
  auto blockQ = dict ? dict.getAs<IntegerAttr>("block_q") : nullptr;
  auto blockKv = dict ? dict.getAs<IntegerAttr>("block_kv") : nullptr;
  if (!causal || !scale || !warps || !blockQ || !blockKv)
    return where->emitOpError()
           << "needs '" << kAttentionMmaAttrName
           << "' = {causal, scale, warps, block_q, block_kv}";
  MmaAttentionConfig config;
  config.causal = causal.getValue();
  config.scale = scale.getValueAsDouble();
  config.warps = warps.getInt();
  config.blockQ = blockQ.getInt();
  config.blockKv = blockKv.getInt();
  if (!(config.scale > 0.0))
    return where->emitOpError()
           << "tensor-core attention needs a positive scale, got "
           << config.scale;
  if (config.warps < 1 || config.blockQ % (16 * config.warps) != 0 ||
      config.blockQ / (16 * config.warps) > 2 || config.blockKv < 16 ||
      config.blockKv % 16 != 0)
    return where->emitOpError()
           << "tensor-core attention needs 16 or 32 query rows per warp and "
              "a multiple of 16 keys per block, got block_q="
           << config.blockQ << ", warps=" << config.warps
           << ", block_kv=" << config.blockKv;
  return config;
}

FailureOr<MmaAttentionConfig>
MmaAttentionConfig::fromWarpgroupAttr(Attribute attr, Operation *where) {
  FailureOr<MmaAttentionConfig> config = fromAttr(attr, where);
  if (failed(config))
    return failure();
  if (config->warps % 4 != 0 || config->blockQ != 16 * config->warps ||
      config->blockQ > 256 || config->blockKv > 256)
    return where->emitOpError()
           << "warpgroup attention needs warps in warpgroups of 4, 64 query "
              "rows per warpgroup and at most 256 query rows and 256 keys per "
              "block, got block_q="
           << config->blockQ << ", warps=" << config->warps
           << ", block_kv=" << config->blockKv;
  return config;
}

SoftmaxRowUpdate weft::cuda::updateSoftmaxRow(OpBuilder &b, Location loc,
                                              WarpMma &mma,
                                              ArrayRef<Value *> scores,
                                              Value oldMax, Value oldSum,
                                              double scale) {
  auto f32 = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  // Scores stay in S's units (-inf where hidden); the running max is kept
  // in exp2 units, max(S)·scale·log2(e) (the scale is positive, as
  // xf.attention requires and the configuration checks, so the max
  // commutes with the scaling).
  Value scaleLog2 = f32(scale * M_LOG2E);
  Value negInf = f32(-INFINITY);
  Value blockMax = negInf;
  for (Value *score : scores)
    blockMax = mma.max(blockMax, *score);
  blockMax = arith::MulFOp::create(
      b, loc, mma.groupReduce(blockMax, /*max=*/true), scaleLog2);
  Value newMax = mma.max(oldMax, blockMax);
  // While a row has seen no key its max is -inf; subtract 0 instead so
  // that exp2 gives 0 rather than NaN.
  Value unseen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                       newMax, negInf);
  Value base = arith::SelectOp::create(b, loc, unseen, f32(0.0), newMax);
  Value alpha = math::Exp2Op::create(
      b, loc, arith::SubFOp::create(b, loc, oldMax, base));
  Value sum = arith::MulFOp::create(b, loc, oldSum, alpha);
  // P = exp2(S·scale·log2(e) - max), one fma per score; hidden scores give
  // exp2(-inf) = 0.
  Value negBase = arith::NegFOp::create(b, loc, base);
  for (Value *score : scores) {
    *score = math::Exp2Op::create(
        b, loc, math::FmaOp::create(b, loc, *score, scaleLog2, negBase));
    sum = arith::AddFOp::create(b, loc, sum, *score);
  }
  return {newMax, sum, alpha};
}

Value weft::cuda::inverseRowSum(OpBuilder &b, Location loc, WarpMma &mma,
                                Value partialSum) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
  Value sum = mma.groupReduce(partialSum, /*max=*/false);
  Value empty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum, zero);
  return arith::SelectOp::create(b, loc, empty, zero,
                                 arith::DivFOp::create(b, loc, one, sum));
}

Value weft::cuda::keyBlockNeedsMask(OpBuilder &b, Location loc, Value kStart,
                                    int64_t blockKv, int64_t seqKv,
                                    Value firstRow, Value diagonal) {
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value blockEnd = arith::AddIOp::create(b, loc, kStart, c(blockKv));
  Value needed = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                       blockEnd, c(seqKv));
  if (!diagonal)
    return needed;
  Value firstLimit = arith::AddIOp::create(
      b, loc, arith::AddIOp::create(b, loc, firstRow, diagonal), c(1));
  return arith::OrIOp::create(
      b, loc, needed,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, blockEnd,
                            firstLimit));
}

/// The number of keys of the block at `kStart` that `row` sees, as an i32
/// clamped below at -1 (columns below it are visible).
static Value visibleKeys(OpBuilder &b, Location loc, Value row, Value kStart,
                         int64_t seqKv, Value diagonal) {
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // Keys of this block the row sees: column < limit - kStart, where limit =
  // min(Skv, row + diagonal + 1) (Skv alone when not causal), clamped below
  // so that a far negative causal offset cannot wrap in 32 bits.
  Value limit = c(seqKv);
  if (diagonal)
    limit = arith::MinSIOp::create(
        b, loc, limit,
        arith::AddIOp::create(
            b, loc, arith::AddIOp::create(b, loc, row, diagonal), c(1)));
  return arith::IndexCastOp::create(
      b, loc, b.getI32Type(),
      arith::MaxSIOp::create(b, loc,
                             arith::SubIOp::create(b, loc, limit, kStart),
                             c(-1)));
}

void weft::cuda::maskHiddenScores(OpBuilder &b, Location loc, WarpMma &mma,
                                  MutableArrayRef<Value> scores, Value needed,
                                  ArrayRef<Value> rows,
                                  function_ref<ScorePlace(int64_t)> place,
                                  Value kStart, int64_t seqKv,
                                  Value diagonal) {
  SmallVector<Type> types(scores.size(), b.getF32Type());
  auto branch = scf::IfOp::create(b, loc, types, needed, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(b, loc, ValueRange(scores));
    b.setInsertionPointToStart(branch.thenBlock());
    Value negInf = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-INFINITY));
    Value twoT = arith::IndexCastOp::create(
        b, loc, b.getI32Type(),
        arith::ShLIOp::create(b, loc, mma.laneInGroup(),
                              arith::ConstantIndexOp::create(b, loc, 1)));
    SmallVector<Value> visibleBelow;
    for (Value row : rows)
      visibleBelow.push_back(
          visibleKeys(b, loc, row, kStart, seqKv, diagonal));
    SmallVector<Value> masked(scores.begin(), scores.end());
    for (auto [i, score] : llvm::enumerate(masked)) {
      ScorePlace at = place(i);
      Value column = arith::AddIOp::create(
          b, loc, twoT,
          arith::ConstantOp::create(b, loc,
                                    b.getI32IntegerAttr(at.columnOffset)));
      Value visible = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::slt, column, visibleBelow[at.row]);
      score = arith::SelectOp::create(b, loc, visible, score, negInf);
    }
    scf::YieldOp::create(b, loc, masked);
  }
  for (auto [i, score] : llvm::enumerate(scores))
    score = branch.getResult(i);
}

FailureOr<MmaAttention>
weft::cuda::describeAttentionCall(func::CallOp call,
                                  const MmaAttentionConfig &config,
                                  bool warpgroup) {
  if (call.getNumOperands() != 5)
    return call.emitOpError("of a tensor-core attention kernel needs 5 "
                            "operands (query, key, value, output, diagonal)");
  SmallVector<MemRefType> types;
  for (Value operand : call.getOperands().take_front(4)) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || type.getRank() != 4 || !type.hasStaticShape() ||
        !type.getLayout().isIdentity())
      return call.emitOpError("of a tensor-core attention kernel needs "
                              "static rank-4 buffers with identity layouts");
    types.push_back(type);
  }
  MemRefType q = types[0], k = types[1], v = types[2], out = types[3];
  Type element = q.getElementType();
  int64_t d = q.getDimSize(3);
  if (!takesAttention(element, d) || k != v || out != q || k.getElementType() != element ||
      k.getDimSize(0) != q.getDimSize(0) || k.getDimSize(3) != d ||
      q.getDimSize(2) % k.getDimSize(2) != 0 ||
      !call.getOperand(4).getType().isIndex())
    return call.emitOpError(
        "of a tensor-core attention kernel needs f16 or bf16 query/output "
        "[B, Sq, Hq, D] and key/value [B, Skv, Hkv, D] buffers with D 64 or "
        "128 and Hkv dividing Hq, and an index diagonal");
  int64_t shared = warpgroup ? config.warpgroupSharedBytes(d)
                             : config.sharedBytes(d);
  int64_t limit =
      warpgroup ? kMaxSharedBytesPerBlockSm90 : kMaxSharedBytesPerBlock;
  if (shared > limit)
    return call.emitOpError("of a tensor-core attention kernel needs ")
           << shared << " bytes of shared memory, more than a block may have ("
           << limit << ")";
  MmaAttention s;
  static_cast<MmaAttentionConfig &>(s) = config;
  s.batch = q.getDimSize(0);
  s.seqQ = q.getDimSize(1);
  s.headsQ = q.getDimSize(2);
  s.headDim = d;
  s.seqKv = k.getDimSize(1);
  s.headsKv = k.getDimSize(2);
  s.element = element;
  s.rowTiles = s.blockQ / (16 * s.warps);
  return s;
}
