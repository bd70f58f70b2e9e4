//===- CudaAttentionToMma.cpp - The tensor-core FlashAttention kernel -----===//
//
// FlashAttention-2's forward pass on sm_80 tensor cores, generated for each
// call of an attention kernel declaration (AttentionKernel.h). The kernel
// is the xf-lower-attention loop nest mapped onto the hardware:
//
//   grid:   one block per (query block, head, batch); causal blocks in
//           reverse so the longest start first;
//   block:  `warps` warps, each owning 16 or 32 query rows; the query tile
//           goes to shared memory once (cp.async) and into A fragments;
//   loop:   over the key blocks the nest visits (buildVisitedKeyBlocks:
//           causal blocks past the diagonal are skipped), K and V tiles
//           double-buffered in shared memory, block k+1 copied while block
//           k is computed;
//   body:   S = Q·Kᵀ with mma.sync (K through ldmatrix), the online softmax
//           on S's accumulator registers (row max and sum over each group
//           of four lanes with shuffles, exp2 with the scale folded in),
//           P rounded to 16 bits as the A fragments of P·V (V through
//           ldmatrix.trans), O rescaled and accumulated in registers;
//   end:    O / l rounded and stored; rows past the sequence are neither
//           read nor written.
//
// Each declaration becomes one kernel (a gpu.func in the gpu.module
// weft_attention_kernels) and each call a gpu.launch_func of it, which the
// launch lowering treats as any other; layers of one configuration share
// their kernel.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Dialect/Xf/Transforms/AttentionBlocks.h"
#include "weft/Target/CUDA/AttentionKernel.h"
#include "weft/Target/CUDA/KernelCalls.h"
#include "weft/Target/CUDA/WarpMma.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"


#include <cmath>

namespace weft::cuda {
#define GEN_PASS_DEF_CUDAATTENTIONTOMMA
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;
using namespace weft;
using namespace weft::cuda;

namespace {

/// One attention op's shape and the kernel's configuration.
struct MmaAttention : MmaAttentionConfig {
  int64_t batch, seqQ, seqKv, headsQ, headsKv, headDim;
  Type element;
  /// 16-row tiles per warp: blockQ = warps · rowTiles · 16.
  int64_t rowTiles;

  int64_t threads() const { return warps * 32; }
  int64_t numQueryBlocks() const { return (seqQ + blockQ - 1) / blockQ; }
  int64_t numKeyBlocks() const { return (seqKv + blockKv - 1) / blockKv; }
  int64_t sharedBytes() const {
    return MmaAttentionConfig::sharedBytes(headDim);
  }
};

/// The kernel's body, built into a gpu.func whose arguments are the
/// query, key, value and output buffers and the diagonal (`b` at the end of
/// its entry block).
class AttentionKernelBuilder : KernelArith {
public:
  AttentionKernelBuilder(OpBuilder &b, Location loc, const MmaAttention &s,
                         Value query, Value key, Value value, Value output,
                         Value diagonal)
      : KernelArith(b, loc), s(s), query(query), key(key), value(value),
        output(output), diagonal(diagonal) {}

  void build();

private:

  /// Issues the copies of key/value block `block` into `stage`.
  void copyKeyValueBlock(Value block, Value stage);
  /// One key block: returns the new loop-carried state.
  SmallVector<Value> buildKeyBlock(WarpMma &mma, Value block, Value stage,
                                   ArrayRef<WarpMma::FragmentA> qFragments,
                                   ValueRange state);
  /// Sets the scores of keys a row does not see (past the key sequence,
  /// or past the causal diagonal) to -inf, in the blocks where some are.
  void maskScores(WarpMma &mma, Value kStart,
                  MutableArrayRef<WarpMma::Accumulator> scores);
  /// Stores this thread's rows of O / l.
  void storeOutput(WarpMma &mma, ValueRange state);

  // Loop-carried state, flattened: accumulators [rowTile][dTile][4], then
  // the running max and sum [rowTile][half].
  int64_t dTiles() const { return s.headDim / 8; }
  int64_t accIndex(int64_t m, int64_t n, int64_t i) const {
    return (m * dTiles() + n) * 4 + i;
  }
  int64_t maxIndex(int64_t m, int64_t half) const {
    return s.rowTiles * dTiles() * 4 + m * 2 + half;
  }
  int64_t sumIndex(int64_t m, int64_t half) const {
    return maxIndex(m, half) + s.rowTiles * 2;
  }
  /// The first query row (within the block) of this warp's row tile m.
  Value warpRow(int64_t m) {
    return add(mul(warp, c(s.rowTiles * 16)), c(m * 16));
  }

  const MmaAttention &s;
  Value query, key, value, output, diagonal;
  // Set by build().
  Value thread, warp, lane, batch, head, kvHead, qStart;
  SwizzledTile qTile, kTiles, vTiles;
};

void AttentionKernelBuilder::copyKeyValueBlock(Value block, Value stage) {
  Value kStart = mul(block, c(s.blockKv));
  Value valid = arith::MinSIOp::create(
      b, loc, c(s.blockKv),
      arith::SubIOp::create(b, loc, c(s.seqKv), kStart));
  for (auto [tile, source] : std::initializer_list<std::pair<SwizzledTile, Value>>{
           {kTiles, key}, {vTiles, value}}) {
    SwizzledTile staged = tile;
    staged.stage = stage;
    copyTileAsync(
        b, loc, staged, source,
        [&](Value row, Value col) -> SmallVector<Value> {
          return {batch, add(kStart, row), kvHead, col};
        },
        valid, /*validCols=*/Value(), thread, s.threads());
  }
}

void AttentionKernelBuilder::build() {
  // 1. Who this thread is, and which tile its block computes.
  thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  lane = arith::AndIOp::create(b, loc, thread, c(31));
  warp = arith::ShRUIOp::create(b, loc, thread, c(5));
  Value qBlock = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  if (s.causal) // longest blocks (most keys) first
    qBlock = arith::SubIOp::create(b, loc, c(s.numQueryBlocks() - 1), qBlock);
  head = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  kvHead = arith::DivUIOp::create(b, loc, head, c(s.headsQ / s.headsKv));
  qStart = mul(qBlock, c(s.blockQ));

  // 2. Shared memory: the query tile, then two stages of keys and values.
  SharedMemoryArena shared(b, loc, s.element);
  qTile = {shared.view({s.blockQ, s.headDim}), Value(), s.blockQ, s.headDim};
  kTiles = {shared.view({2, s.blockKv, s.headDim}), Value(), s.blockKv,
            s.headDim};
  vTiles = {shared.view({2, s.blockKv, s.headDim}), Value(), s.blockKv,
            s.headDim};

  // 3. Prologue: the query tile (group 1) and key block 0 (group 2); once
  //    the first is in, each warp takes its rows as A fragments.
  Value validRows = arith::MinSIOp::create(
      b, loc, c(s.blockQ), arith::SubIOp::create(b, loc, c(s.seqQ), qStart));
  copyTileAsync(
      b, loc, qTile, query,
      [&](Value row, Value col) -> SmallVector<Value> {
        return {batch, add(qStart, row), head, col};
      },
      validRows, /*validCols=*/Value(), thread, s.threads());
  commitAsyncCopies(b, loc);
  copyKeyValueBlock(c(0), c(0));
  commitAsyncCopies(b, loc);
  waitAsyncCopies(b, loc, 1);
  gpu::BarrierOp::create(b, loc);

  WarpMma mma(b, loc, s.element, lane);
  SmallVector<WarpMma::FragmentA> qFragments; // [rowTile][kStep]
  for (int64_t m = 0; m < s.rowTiles; ++m)
    for (int64_t k = 0; k < s.headDim / 16; ++k)
      qFragments.push_back(mma.loadA(qTile, warpRow(m), c(k * 16)));

  // 4. The key loop.
  SmallVector<Value> state;
  WarpMma::Accumulator zero = mma.zero();
  for (int64_t i = 0; i < s.rowTiles * dTiles(); ++i)
    state.append(zero.begin(), zero.end());
  state.append(s.rowTiles * 2, f32(-INFINITY));
  state.append(s.rowTiles * 2, f32(0.0));
  Value numBlocks = xf::buildVisitedKeyBlocks(
      b, loc, s.seqQ, s.blockQ, s.blockKv, s.numKeyBlocks(),
      s.causal ? diagonal : Value(), qStart);
  auto loop = scf::ForOp::create(b, loc, c(0), numBlocks, c(1), state);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value block = loop.getInductionVar();
    Value stage = arith::AndIOp::create(b, loc, block, c(1));
    // Prefetch the next block into the other stage (an empty group at the
    // end keeps the wait below uniform), then wait for this one.
    Value next = add(block, c(1));
    Value hasNext = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          next, numBlocks);
    auto prefetch = scf::IfOp::create(b, loc, hasNext);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(prefetch.thenBlock());
      copyKeyValueBlock(next, arith::XOrIOp::create(b, loc, stage, c(1)));
    }
    commitAsyncCopies(b, loc);
    waitAsyncCopies(b, loc, 1);
    gpu::BarrierOp::create(b, loc);
    SmallVector<Value> nextState = buildKeyBlock(
        mma, block, stage, qFragments, loop.getRegionIterArgs());
    // Every warp is done with this stage before the next prefetch
    // overwrites it.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, nextState);
  }

  // 5. O / l.
  storeOutput(mma, loop.getResults());
}

SmallVector<Value> AttentionKernelBuilder::buildKeyBlock(
    WarpMma &mma, Value block, Value stage,
    ArrayRef<WarpMma::FragmentA> qFragments, ValueRange state) {
  int64_t kSteps = s.headDim / 16, nTiles = s.blockKv / 8;
  SwizzledTile kTile = kTiles, vTile = vTiles;
  kTile.stage = vTile.stage = stage;

  // S = Q·Kᵀ: [rowTile][nTile] accumulators.
  SmallVector<WarpMma::Accumulator> scores(s.rowTiles * nTiles, mma.zero());
  for (int64_t k = 0; k < kSteps; ++k)
    for (int64_t n = 0; n < nTiles; n += 2) {
      auto [left, right] = mma.loadBTransposed(kTile, c(n * 8), c(k * 16));
      for (int64_t m = 0; m < s.rowTiles; ++m) {
        const WarpMma::FragmentA &a = qFragments[m * kSteps + k];
        scores[m * nTiles + n] = mma.mma(a, left, scores[m * nTiles + n]);
        scores[m * nTiles + n + 1] =
            mma.mma(a, right, scores[m * nTiles + n + 1]);
      }
    }

  // Online softmax on the registers. A lane holds, for rows g and g+8 of
  // each row tile, columns 8n + 2t and 8n + 2t + 1 of every n tile.
  SmallVector<Value> next(state.begin(), state.end());
  Value scaleLog2 = f32(s.scale * M_LOG2E);
  Value negInf = f32(-INFINITY), zeroF = f32(0.0);
  Value kStart = mul(block, c(s.blockKv));
  maskScores(mma, kStart, scores);
  for (int64_t m = 0; m < s.rowTiles; ++m)
    for (int64_t half = 0; half < 2; ++half) {
      SmallVector<Value *> elements;
      for (int64_t n = 0; n < nTiles; ++n)
        for (int64_t e = 0; e < 2; ++e)
          elements.push_back(&scores[m * nTiles + n][half * 2 + e]);
      // Scores stay in S's units (-inf where hidden); the running max is
      // kept in exp2 units, max(S)·scale·log2(e) (the scale is positive, as
      // xf.attention requires and the configuration checks, so the max
      // commutes with the scaling).
      Value blockMax = negInf;
      for (Value *element : elements)
        blockMax = mma.max(blockMax, *element);
      blockMax = arith::MulFOp::create(
          b, loc, mma.groupReduce(blockMax, /*max=*/true), scaleLog2);
      Value oldMax = state[maxIndex(m, half)];
      Value newMax = mma.max(oldMax, blockMax);
      // While a row has seen no key its max is -inf; subtract 0 instead so
      // that exp2 gives 0 rather than NaN.
      Value unseen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           newMax, negInf);
      Value base = arith::SelectOp::create(b, loc, unseen, zeroF, newMax);
      Value alpha = math::Exp2Op::create(
          b, loc, arith::SubFOp::create(b, loc, oldMax, base));
      Value sum = arith::MulFOp::create(b, loc, state[sumIndex(m, half)],
                                        alpha);
      // P = exp2(S·scale·log2(e) - max), one fma per score; hidden scores
      // give exp2(-inf) = 0.
      Value negBase = arith::NegFOp::create(b, loc, base);
      for (Value *element : elements) {
        *element = math::Exp2Op::create(
            b, loc, math::FmaOp::create(b, loc, *element, scaleLog2, negBase));
        sum = arith::AddFOp::create(b, loc, sum, *element);
      }
      next[maxIndex(m, half)] = newMax;
      next[sumIndex(m, half)] = sum;
      for (int64_t n = 0; n < dTiles(); ++n)
        for (int64_t e = 0; e < 2; ++e) {
          int64_t i = accIndex(m, n, half * 2 + e);
          next[i] = arith::MulFOp::create(b, loc, state[i], alpha);
        }
    }

  // O += P·V, P from the score registers.
  for (int64_t k = 0; k < s.blockKv / 16; ++k) {
    SmallVector<WarpMma::FragmentA> p;
    for (int64_t m = 0; m < s.rowTiles; ++m)
      p.push_back(mma.packA(scores[m * nTiles + 2 * k],
                            scores[m * nTiles + 2 * k + 1]));
    for (int64_t n = 0; n < dTiles(); n += 2) {
      auto [left, right] = mma.loadB(vTile, c(k * 16), c(n * 8));
      for (int64_t m = 0; m < s.rowTiles; ++m)
        for (auto [tile, fragment] :
             std::initializer_list<std::pair<int64_t, WarpMma::FragmentB>>{
                 {n, left}, {n + 1, right}}) {
          WarpMma::Accumulator acc;
          for (int64_t i = 0; i < 4; ++i)
            acc[i] = next[accIndex(m, tile, i)];
          acc = mma.mma(p[m], fragment, acc);
          for (int64_t i = 0; i < 4; ++i)
            next[accIndex(m, tile, i)] = acc[i];
        }
    }
  }
  return next;
}

void AttentionKernelBuilder::maskScores(
    WarpMma &mma, Value kStart, MutableArrayRef<WarpMma::Accumulator> scores) {
  int64_t nTiles = s.blockKv / 8;
  // Whether any row of this warp misses a key of this block: the block
  // runs past the key sequence, or (causal) its last key lies past the
  // diagonal of the warp's first row. The same for the whole warp, so the
  // branch does not diverge; most blocks of a long sequence skip the work.
  Value blockEnd = add(kStart, c(s.blockKv));
  Value needed = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                       blockEnd, c(s.seqKv));
  if (s.causal) {
    Value firstRow = add(qStart, warpRow(0));
    Value firstLimit = add(add(firstRow, diagonal), c(1));
    needed = arith::OrIOp::create(
        b, loc, needed,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, blockEnd,
                              firstLimit));
  }
  SmallVector<Type> types(scores.size() * 4, b.getF32Type());
  auto branch = scf::IfOp::create(b, loc, types, needed, /*withElse=*/true);
  SmallVector<Value> flat;
  for (const WarpMma::Accumulator &tile : scores)
    flat.append(tile.begin(), tile.end());
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(b, loc, flat);
    b.setInsertionPointToStart(branch.thenBlock());
    Type i32 = b.getI32Type();
    auto toI32 = [&](Value v) {
      return arith::IndexCastOp::create(b, loc, i32, v).getResult();
    };
    Value negInf = f32(-INFINITY);
    Value twoT =
        toI32(arith::ShLIOp::create(b, loc, mma.laneInGroup(), c(1)));
    for (int64_t m = 0; m < s.rowTiles; ++m)
      for (int64_t half = 0; half < 2; ++half) {
        // Keys of this block the row sees: column < limit - kStart, where
        // limit = min(Skv, row + diagonal + 1) (Skv alone when not causal),
        // clamped below so that a far negative causal offset cannot wrap
        // in 32 bits.
        Value row = add(add(qStart, warpRow(m)),
                        add(mma.group(), c(half * 8)));
        Value limit = c(s.seqKv);
        if (s.causal)
          limit = arith::MinSIOp::create(b, loc, limit,
                                         add(add(row, diagonal), c(1)));
        Value visibleBelow = toI32(arith::MaxSIOp::create(
            b, loc, arith::SubIOp::create(b, loc, limit, kStart), c(-1)));
        for (int64_t n = 0; n < nTiles; ++n)
          for (int64_t e = 0; e < 2; ++e) {
            Value column = arith::AddIOp::create(
                b, loc, twoT,
                arith::ConstantOp::create(b, loc,
                                          b.getI32IntegerAttr(n * 8 + e)));
            Value visible = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, column, visibleBelow);
            Value &score = flat[((m * nTiles + n) * 4) + half * 2 + e];
            score = arith::SelectOp::create(b, loc, visible, score, negInf);
          }
      }
    scf::YieldOp::create(b, loc, flat);
  }
  for (auto [i, tile] : llvm::enumerate(scores))
    for (int64_t j = 0; j < 4; ++j)
      tile[j] = branch.getResult(i * 4 + j);
}

void AttentionKernelBuilder::storeOutput(WarpMma &mma, ValueRange state) {
  Value zeroF = f32(0.0), oneF = f32(1.0);
  Value column0 = arith::ShLIOp::create(b, loc, mma.laneInGroup(), c(1));
  for (int64_t m = 0; m < s.rowTiles; ++m)
    for (int64_t half = 0; half < 2; ++half) {
      // A row that saw no key (l = 0) is 0.
      Value sum = mma.groupReduce(state[sumIndex(m, half)], /*max=*/false);
      Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          sum, zeroF);
      Value inverse = arith::SelectOp::create(
          b, loc, empty, zeroF, arith::DivFOp::create(b, loc, oneF, sum));
      Value row = add(add(qStart, warpRow(m)), add(mma.group(), c(half * 8)));
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                           row, c(s.seqQ));
      auto guard = scf::IfOp::create(b, loc, inside);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(guard.thenBlock());
      for (int64_t n = 0; n < dTiles(); ++n) {
        Value lo = arith::MulFOp::create(
            b, loc, state[accIndex(m, n, half * 2)], inverse);
        Value hi = arith::MulFOp::create(
            b, loc, state[accIndex(m, n, half * 2 + 1)], inverse);
        vector::StoreOp::create(b, loc, mma.packVector(lo, hi), output,
                                ValueRange{batch, row, head,
                                           add(column0, c(n * 8))},
                                /*nontemporal=*/false, llvm::Align(4));
      }
    }
}

/// The shape facts from the kernel's operands, the rest from `config`.
FailureOr<MmaAttention> describe(func::CallOp call,
                                 const MmaAttentionConfig &config) {
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
  if ((!element.isF16() && !element.isBF16()) || (d != 64 && d != 128) ||
      k != v || out != q || k.getElementType() != element ||
      k.getDimSize(0) != q.getDimSize(0) || k.getDimSize(3) != d ||
      q.getDimSize(2) % k.getDimSize(2) != 0 ||
      !call.getOperand(4).getType().isIndex())
    return call.emitOpError(
        "of a tensor-core attention kernel needs f16 or bf16 query/output "
        "[B, Sq, Hq, D] and key/value [B, Skv, Hkv, D] buffers with D 64 or "
        "128 and Hkv dividing Hq, and an index diagonal");
  if (config.sharedBytes(d) > kMaxSharedBytesPerBlock)
    return call.emitOpError("of a tensor-core attention kernel needs ")
           << config.sharedBytes(d)
           << " bytes of shared memory, more than a block may have ("
           << kMaxSharedBytesPerBlock << ")";
  MmaAttention s;
  static_cast<MmaAttentionConfig &>(s) = config;
  s.batch = types[0].getDimSize(0);
  s.seqQ = types[0].getDimSize(1);
  s.headsQ = types[0].getDimSize(2);
  s.headDim = types[0].getDimSize(3);
  s.seqKv = types[1].getDimSize(1);
  s.headsKv = types[1].getDimSize(2);
  s.element = types[0].getElementType();
  s.rowTiles = s.blockQ / (16 * s.warps);
  return s;
}

struct CudaAttentionToMmaPass
    : weft::cuda::impl::CudaAttentionToMmaBase<CudaAttentionToMmaPass> {
  using Base::Base;

  void runOnOperation() final {
    auto shape = [](const MmaAttention &s) {
      return KernelLaunchShape{{s.numQueryBlocks(), s.headsQ, s.batch},
                               s.threads(),
                               s.sharedBytes()};
    };
    auto build = [](OpBuilder &b, Location loc, const MmaAttention &s,
                    ValueRange args) {
      AttentionKernelBuilder(b, loc, s, args[0], args[1], args[2], args[3],
                             args[4])
          .build();
    };
    if (failed(replaceKernelCalls<MmaAttentionConfig, MmaAttention>(
            getOperation(), kAttentionMmaAttrName, "weft_attention_kernels",
            describe, shape, build)))
      signalPassFailure();
  }
};

} // namespace

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
