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
  Value kStart = mul(block, c(s.blockKv));
  maskScores(mma, kStart, scores);
  for (int64_t m = 0; m < s.rowTiles; ++m)
    for (int64_t half = 0; half < 2; ++half) {
      SmallVector<Value *> elements;
      for (int64_t n = 0; n < nTiles; ++n)
        for (int64_t e = 0; e < 2; ++e)
          elements.push_back(&scores[m * nTiles + n][half * 2 + e]);
      SoftmaxRowUpdate row =
          updateSoftmaxRow(b, loc, mma, elements, state[maxIndex(m, half)],
                           state[sumIndex(m, half)], s.scale);
      next[maxIndex(m, half)] = row.max;
      next[sumIndex(m, half)] = row.sum;
      for (int64_t n = 0; n < dTiles(); ++n)
        for (int64_t e = 0; e < 2; ++e) {
          int64_t i = accIndex(m, n, half * 2 + e);
          next[i] = arith::MulFOp::create(b, loc, state[i], row.alpha);
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
  Value diagonalOrNull = s.causal ? diagonal : Value();
  // Whether any row of this warp misses a key of this block: the same for
  // the whole warp, so the branch does not diverge; most blocks of a long
  // sequence skip the work.
  Value needed = keyBlockNeedsMask(b, loc, kStart, s.blockKv, s.seqKv,
                                   add(qStart, warpRow(0)), diagonalOrNull);
  // The lane's rows g and g + 8 of each row tile; score (m, n, j) of C tile
  // n holds row 2m + j/2, column 8n + 2t + j%2.
  SmallVector<Value> rows;
  for (int64_t m = 0; m < s.rowTiles; ++m)
    for (int64_t half = 0; half < 2; ++half)
      rows.push_back(
          add(add(qStart, warpRow(m)), add(mma.group(), c(half * 8))));
  SmallVector<Value> flat;
  for (const WarpMma::Accumulator &tile : scores)
    flat.append(tile.begin(), tile.end());
  maskHiddenScores(
      b, loc, mma, flat, needed, rows,
      [&](int64_t i) {
        int64_t m = i / (nTiles * 4), n = (i / 4) % nTiles, j = i % 4;
        return ScorePlace{2 * m + j / 2, 8 * n + j % 2};
      },
      kStart, s.seqKv, diagonalOrNull);
  for (auto [i, tile] : llvm::enumerate(scores))
    for (int64_t j = 0; j < 4; ++j)
      tile[j] = flat[i * 4 + j];
}

void AttentionKernelBuilder::storeOutput(WarpMma &mma, ValueRange state) {
  Value column0 = arith::ShLIOp::create(b, loc, mma.laneInGroup(), c(1));
  for (int64_t m = 0; m < s.rowTiles; ++m)
    for (int64_t half = 0; half < 2; ++half) {
      Value inverse = inverseRowSum(b, loc, mma, state[sumIndex(m, half)]);
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

/// The call's shape, for the mma.sync kernel.
FailureOr<MmaAttention> describe(func::CallOp call,
                                 const MmaAttentionConfig &config) {
  return describeAttentionCall(call, config, /*warpgroup=*/false);
}

struct CudaAttentionToMmaPass
    : weft::cuda::impl::CudaAttentionToMmaBase<CudaAttentionToMmaPass> {
  using Base::Base;

  void runOnOperation() final {
    auto shape = [](const MmaAttention &s) {
      return KernelLaunchShape{{s.numQueryBlocks(), s.headsQ, s.batch},
                               s.threads(),
                               s.MmaAttentionConfig::sharedBytes(s.headDim)};
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
