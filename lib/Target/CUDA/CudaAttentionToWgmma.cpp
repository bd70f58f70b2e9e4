//===- CudaAttentionToWgmma.cpp - FlashAttention on Hopper tensor cores ---===//
//
// The sm_90 form of the FlashAttention forward kernel, generated for each
// call of an @attention_wgmma_* declaration (AttentionKernel.h). The loop
// nest is the mma.sync kernel's (CudaAttentionToMma.cpp); what changes is
// how tiles move and multiply:
//
//   copies:  the Tensor Memory Accelerator. One thread issues each tile
//            (the query tile once, then per key block its K and V tiles)
//            as TMA copies described by tensor maps the host encodes
//            before the launch; an mbarrier per buffer counts the bytes
//            in, and the threads wait on its phase. Rows past a sequence
//            arrive as zeros. Key blocks are double-buffered: block k+1 is
//            requested before block k is computed.
//   tiles:   in shared memory as TMA writes them with 128-byte swizzling
//            (64-column panels), which is the layout wgmma reads through
//            matrix descriptors.
//   math:    each warpgroup (4 warps) owns 64 query rows. S = Q·Kᵀ is a
//            chain of wgmma.mma_async m64nBk16 over the head dimension,
//            both operands from shared memory; the online softmax runs on
//            S's accumulator registers (the same rows per group of four
//            lanes as mma.sync, AttentionKernel.h); P rounded to 16 bits
//            stays in registers as the A operand of O += P·V, whose B (V,
//            stored [key][d]) wgmma reads transposed.
//
// The launches pass the query, key and value tensor maps as by-value
// kernel parameters (weft-cuda-tensor-map-params makes them grid
// constants), encoded by the runtime (the device table's
// encode_tensor_map).
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Dialect/Xf/Transforms/AttentionBlocks.h"
#include "weft/Target/CUDA/AttentionKernel.h"
#include "weft/Target/CUDA/KernelCalls.h"
#include "weft/Target/CUDA/WarpMma.h"
#include "weft/Target/CUDA/WarpgroupMma.h"

#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

namespace weft::cuda {
#define GEN_PASS_DEF_CUDAATTENTIONTOWGMMA
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;
using namespace weft;
using namespace weft::cuda;

namespace {

/// Rows per warpgroup: wgmma's M.
constexpr int64_t kWarpgroupRows = 64;
/// mbarriers: the query tile's, then one per key/value stage.
constexpr int64_t kBarriers = MmaAttentionConfig::kWarpgroupBarriers;

/// The tensor map type of a [rows, 64]-element box of a [B, S, H, D] tensor
/// (one panel of a tile), 128-byte swizzled, zero outside the tensor.
nvgpu::TensorMapDescriptorType tensorMapType(MLIRContext *ctx, Type element,
                                             int64_t rows) {
  auto workgroup = IntegerAttr::get(IntegerType::get(ctx, 64), 3);
  return nvgpu::TensorMapDescriptorType::get(
      ctx,
      MemRefType::get({1, rows, 1, kPanelColumns}, element,
                      MemRefLayoutAttrInterface(), workgroup),
      nvgpu::TensorMapSwizzleKind::SWIZZLE_128B,
      nvgpu::TensorMapL2PromoKind::L2PROMO_128B,
      nvgpu::TensorMapOOBKind::OOB_ZERO,
      nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
}

class WgmmaAttentionKernelBuilder : KernelArith {
public:
  WgmmaAttentionKernelBuilder(OpBuilder &b, Location loc,
                              const MmaAttention &s, ValueRange args)
      : KernelArith(b, loc), s(s), output(args[3]), diagonal(args[4]),
        queryMap(args[5]), keyMap(args[6]), valueMap(args[7]) {}

  void build();

private:
  /// The TMA box of `rows` rows at byte `offset` of the aligned shared
  /// memory.
  Value boxView(Value offset, int64_t rows);
  /// Thread 0 requests the K and V tiles of key block `block` into `stage`.
  void requestKeyValueBlock(Value block, Value stage);
  /// One key block: returns the new loop-carried state.
  SmallVector<Value> buildKeyBlock(WarpMma &warp, WarpgroupMma &wgmma,
                                   Value block, Value stage,
                                   ValueRange state);
  /// Sets the scores of keys a row does not see to -inf, in the blocks
  /// where some are.
  void maskScores(WarpMma &warp, Value kStart,
                  WarpgroupMma::Accumulator &scores);
  /// Stores this thread's rows of O / l.
  void storeOutput(WarpMma &warp, ValueRange state);

  // Loop-carried state: O's accumulator (D/2 values), then the running
  // max and sum of the thread's two rows.
  int64_t accCount() const { return s.headDim / 2; }
  int64_t maxIndex(int64_t half) const { return accCount() + half; }
  int64_t sumIndex(int64_t half) const { return accCount() + 2 + half; }
  /// The query row (within the block) of this thread's row half.
  Value threadRow(WarpMma &warp, int64_t half) {
    return add(add(mul(warpgroup, c(kWarpgroupRows)),
                   mul(warpInGroup, c(16))),
               add(warp.group(), c(half * 8)));
  }

  int64_t queryBytes() const { return s.blockQ * s.headDim * 2; }
  int64_t keyBytes() const { return s.blockKv * s.headDim * 2; }
  /// Where the keys (values) of `stage` start in the aligned shared
  /// memory: after the query tile come two stages of keys, then two of
  /// values.
  Value stageOffset(Value stage, bool values) {
    return add(c(queryBytes() + (values ? 2 : 0) * keyBytes()),
               mul(stage, c(keyBytes())));
  }
  Value sharedAddress(Value offset) {
    return arith::AddIOp::create(
        b, loc, alignedAddress,
        arith::IndexCastOp::create(b, loc, b.getI64Type(), offset));
  }

  const MmaAttention &s;
  Value output, diagonal, queryMap, keyMap, valueMap;
  // Set by build().
  Value thread, warpgroup, warpInGroup, lane, batch, head, kvHead, qStart;
  Value sharedBase, alignShift, alignedAddress;
  std::unique_ptr<TmaBarriers> barriers;
};

Value WgmmaAttentionKernelBuilder::boxView(Value offset, int64_t rows) {
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  auto type = MemRefType::get({1, rows, 1, kPanelColumns}, s.element,
                              MemRefLayoutAttrInterface(), workgroup);
  return memref::ViewOp::create(b, loc, type, sharedBase,
                                add(alignShift, offset), ValueRange{});
}

void WgmmaAttentionKernelBuilder::requestKeyValueBlock(Value block,
                                                       Value stage) {
  Value kStart = mul(block, c(s.blockKv));
  Value barrier = add(stage, c(1));
  barriers->expectBytes(barrier, 2 * keyBytes());
  for (bool values : {false, true})
    for (int64_t panel = 0; panel < s.headDim / kPanelColumns; ++panel)
      // Coordinates innermost first: (d, head, key, batch).
      barriers->load(values ? valueMap : keyMap,
                     {c(panel * kPanelColumns), kvHead, kStart, batch},
                     barrier,
                     boxView(add(stageOffset(stage, values),
                                 c(panel * s.blockKv * kSwizzleBytes)),
                             s.blockKv));
}

void WgmmaAttentionKernelBuilder::build() {
  // 1. Who this thread is, and which tile its block computes.
  thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  lane = arith::AndIOp::create(b, loc, thread, c(31));
  Value warpIndex = arith::ShRUIOp::create(b, loc, thread, c(5));
  warpgroup = arith::ShRUIOp::create(b, loc, warpIndex, c(2));
  warpInGroup = arith::AndIOp::create(b, loc, warpIndex, c(3));
  Value qBlock = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  if (s.causal) // longest blocks (most keys) first
    qBlock = arith::SubIOp::create(b, loc, c(s.numQueryBlocks() - 1), qBlock);
  head = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  kvHead = arith::DivUIOp::create(b, loc, head, c(s.headsQ / s.headsKv));
  qStart = mul(qBlock, c(s.blockQ));

  // 2. Shared memory, rounded up to 1024 bytes (the swizzle's alignment):
  //    the query tile, two stages of keys, two of values.
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  sharedBase = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), workgroup));
  Value baseAddress = arith::IndexCastOp::create(
      b, loc, b.getI64Type(),
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, sharedBase));
  Value i64Mask = arith::ConstantIntOp::create(b, loc, b.getI64Type(),
                                               kSwizzleAtomBytes - 1);
  Value shift64 = arith::AndIOp::create(
      b, loc,
      arith::SubIOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0),
          baseAddress),
      i64Mask);
  alignShift = arith::IndexCastOp::create(b, loc, b.getIndexType(), shift64);
  alignedAddress = arith::AddIOp::create(b, loc, baseAddress, shift64);

  // 3. Barriers (0: the query tile; 1, 2: the key/value stages) after the
  //    tiles, set up by thread 0; then the query tile and key block 0
  //    requested.
  barriers = std::make_unique<TmaBarriers>(
      b, loc,
      memref::ViewOp::create(
          b, loc,
          MemRefType::get({kBarriers}, b.getI64Type(),
                          MemRefLayoutAttrInterface(), workgroup),
          sharedBase, add(alignShift, c(s.sharedBytes(s.headDim))),
          ValueRange{}),
      kBarriers);
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                      thread, c(0));
  {
    auto init = scf::IfOp::create(b, loc, first);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(init.thenBlock());
    barriers->init();
  }
  gpu::BarrierOp::create(b, loc);
  Value numBlocks = xf::buildVisitedKeyBlocks(
      b, loc, s.seqQ, s.blockQ, s.blockKv, s.numKeyBlocks(),
      s.causal ? diagonal : Value(), qStart);
  {
    auto prologue = scf::IfOp::create(b, loc, first);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(prologue.thenBlock());
    barriers->expectBytes(c(0), queryBytes());
    for (int64_t panel = 0; panel < s.headDim / kPanelColumns; ++panel)
      barriers->load(queryMap,
                     {c(panel * kPanelColumns), head, qStart, batch}, c(0),
                     boxView(c(panel * s.blockQ * kSwizzleBytes), s.blockQ));
    // A block with no key to visit requests none: no copy may outlive it.
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                      numBlocks, c(0));
    auto request = scf::IfOp::create(b, loc, any);
    b.setInsertionPointToStart(request.thenBlock());
    requestKeyValueBlock(c(0), c(0));
  }
  barriers->wait(c(0), arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0));

  // 4. The key loop.
  WarpMma warp(b, loc, s.element, lane);
  WarpgroupMma wgmma(b, loc, s.element);
  SmallVector<Value> state(accCount(), f32(0.0));
  state.append(2, f32(-INFINITY));
  state.append(2, f32(0.0));
  auto loop = scf::ForOp::create(b, loc, c(0), numBlocks, c(1), state);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value block = loop.getInductionVar();
    Value stage = arith::AndIOp::create(b, loc, block, c(1));
    // Request the next block into the other stage: every warpgroup left it
    // at the barrier that ended the previous iteration.
    Value next = add(block, c(1));
    Value request = arith::AndIOp::create(
        b, loc, first,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, next,
                              numBlocks));
    {
      auto prefetch = scf::IfOp::create(b, loc, request);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(prefetch.thenBlock());
      requestKeyValueBlock(next, arith::XOrIOp::create(b, loc, stage, c(1)));
    }
    // This stage's n-th fill completes its barrier's phase n.
    Value parity = arith::TruncIOp::create(
        b, loc, b.getI1Type(),
        arith::IndexCastOp::create(
            b, loc, b.getI64Type(),
            arith::ShRUIOp::create(b, loc, block, c(1))));
    barriers->wait(add(stage, c(1)), parity);
    SmallVector<Value> nextState =
        buildKeyBlock(warp, wgmma, block, stage, loop.getRegionIterArgs());
    // Every warpgroup is done with this stage before it is refilled.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, nextState);
  }

  // 5. O / l.
  storeOutput(warp, loop.getResults());
}

SmallVector<Value> WgmmaAttentionKernelBuilder::buildKeyBlock(
    WarpMma &warp, WarpgroupMma &wgmma, Value block, Value stage,
    ValueRange state) {
  int64_t kPanelBytes = s.blockKv * kSwizzleBytes;
  int64_t qPanelBytes = s.blockQ * kSwizzleBytes;

  // S = Q·Kᵀ: this warpgroup's 64 query rows against the block's keys,
  // 16 head dimensions per step, both operands K-major in shared memory.
  Value qSlab =
      sharedAddress(mul(warpgroup, c(kWarpgroupRows * kSwizzleBytes)));
  Value qDescriptor = wgmma.kMajorDescriptor(qSlab);
  Value kDescriptor = wgmma.kMajorDescriptor(
      sharedAddress(stageOffset(stage, /*values=*/false)));
  WarpgroupMma::Accumulator scores;
  wgmma.fence();
  for (int64_t k = 0; k < s.headDim / 16; ++k) {
    int64_t panel = k / 4, within = (k % 4) * 32;
    scores = wgmma.mmaShared(
        wgmma.advance(qDescriptor, panel * qPanelBytes + within),
        wgmma.advance(kDescriptor, panel * kPanelBytes + within), scores,
        s.blockKv, /*accumulate=*/k > 0);
  }
  wgmma.commit();
  wgmma.wait(0);

  // Online softmax on the registers: elements with row offset 0 belong to
  // the thread's row g, those with 8 to row g + 8.
  SmallVector<Value> next(state.begin(), state.end());
  Value kStart = mul(block, c(s.blockKv));
  maskScores(warp, kStart, scores);
  for (int64_t half = 0; half < 2; ++half) {
    SmallVector<Value *> elements;
    for (auto [k, score] : llvm::enumerate(scores))
      if (WarpgroupMma::rowOffset(k) == half * 8)
        elements.push_back(&score);
    SoftmaxRowUpdate row = updateSoftmaxRow(
        b, loc, warp, elements, state[maxIndex(half)], state[sumIndex(half)],
        s.scale);
    next[maxIndex(half)] = row.max;
    next[sumIndex(half)] = row.sum;
    for (int64_t k = 0; k < accCount(); ++k)
      if (WarpgroupMma::rowOffset(k) == half * 8)
        next[k] = arith::MulFOp::create(b, loc, state[k], row.alpha);
  }

  // O += P·V: P's 16-key steps from the score registers (elements
  // 8j..8j+7 are A's four registers for keys 16j..16j+15), V transposed
  // from shared memory, 16 keys (2048 bytes of rows) per step.
  Value vDescriptor = wgmma.nMajorDescriptor(
      sharedAddress(stageOffset(stage, /*values=*/true)), kPanelBytes);
  // The wgmma chain reads O's registers and P's: both fenced (bf16 pairs
  // travel as i32 already; f16 pairs are bitcast to i32 first).
  SmallVector<Value> operands(next.begin(), next.begin() + accCount());
  for (int64_t j = 0; j < s.blockKv / 16; ++j)
    for (int64_t i = 0; i < 4; ++i) {
      Value pair = warp.pack(scores[8 * j + 2 * i], scores[8 * j + 2 * i + 1]);
      if (!pair.getType().isInteger(32))
        pair = LLVM::BitcastOp::create(b, loc, b.getI32Type(), pair);
      operands.push_back(pair);
    }
  wgmma.fence(operands);
  WarpgroupMma::Accumulator acc(operands.begin(),
                                operands.begin() + accCount());
  for (int64_t j = 0; j < s.blockKv / 16; ++j)
    acc = wgmma.mmaRegisterA(
        ArrayRef<Value>(operands).slice(accCount() + 4 * j, 4),
        wgmma.advance(vDescriptor, j * 16 * kSwizzleBytes), acc, s.headDim);
  wgmma.commit();
  wgmma.wait(0);
  llvm::copy(acc, next.begin());
  return next;
}

void WgmmaAttentionKernelBuilder::maskScores(
    WarpMma &warp, Value kStart, WarpgroupMma::Accumulator &scores) {
  Value diagonalOrNull = s.causal ? diagonal : Value();
  // Uniform per warp: the warp's first row decides.
  Value warpFirstRow = add(qStart, add(mul(warpgroup, c(kWarpgroupRows)),
                                       mul(warpInGroup, c(16))));
  Value needed = keyBlockNeedsMask(b, loc, kStart, s.blockKv, s.seqKv,
                                   warpFirstRow, diagonalOrNull);
  Value rows[] = {add(qStart, threadRow(warp, 0)),
                  add(qStart, threadRow(warp, 1))};
  maskHiddenScores(
      b, loc, warp, scores, needed, rows,
      [](int64_t k) {
        return ScorePlace{WarpgroupMma::rowOffset(k) / 8,
                          WarpgroupMma::columnOffset(k)};
      },
      kStart, s.seqKv, diagonalOrNull);
}

void WgmmaAttentionKernelBuilder::storeOutput(WarpMma &warp,
                                              ValueRange state) {
  Value column0 = arith::ShLIOp::create(b, loc, warp.laneInGroup(), c(1));
  for (int64_t half = 0; half < 2; ++half) {
    Value inverse = inverseRowSum(b, loc, warp, state[sumIndex(half)]);
    Value row = add(qStart, threadRow(warp, half));
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                         row, c(s.seqQ));
    auto guard = scf::IfOp::create(b, loc, inside);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(guard.thenBlock());
    for (int64_t k = 0; k < accCount(); k += 2) {
      if (WarpgroupMma::rowOffset(k) != half * 8)
        continue;
      Value lo = arith::MulFOp::create(b, loc, state[k], inverse);
      Value hi = arith::MulFOp::create(b, loc, state[k + 1], inverse);
      vector::StoreOp::create(
          b, loc, warp.packVector(lo, hi), output,
          ValueRange{batch, row, head,
                     add(column0, c(WarpgroupMma::columnOffset(k)))},
          /*nontemporal=*/false, llvm::Align(4));
    }
  }
}

/// A warpgroup-attention declaration's configuration.
struct WarpgroupAttentionConfig : MmaAttentionConfig {
  static FailureOr<WarpgroupAttentionConfig> fromAttr(Attribute attr,
                                                      Operation *where) {
    FailureOr<MmaAttentionConfig> config =
        MmaAttentionConfig::fromWarpgroupAttr(attr, where);
    if (failed(config))
      return failure();
    return WarpgroupAttentionConfig{*config};
  }
};

/// The call's shape, for the wgmma kernel.
FailureOr<MmaAttention> describe(func::CallOp call,
                                 const WarpgroupAttentionConfig &config) {
  return describeAttentionCall(call, config, /*warpgroup=*/true);
}

struct CudaAttentionToWgmmaPass
    : weft::cuda::impl::CudaAttentionToWgmmaBase<CudaAttentionToWgmmaPass> {
  using Base::Base;

  void runOnOperation() final {
    auto shape = [](const MmaAttention &s) {
      return KernelLaunchShape{{s.numQueryBlocks(), s.headsQ, s.batch},
                               s.threads(),
                               s.warpgroupSharedBytes(s.headDim)};
    };
    auto build = [](OpBuilder &b, Location loc, const MmaAttention &s,
                    ValueRange args) {
      WgmmaAttentionKernelBuilder(b, loc, s, args).build();
    };
    // The query, key and value tensor maps, encoded on the host before each
    // launch: boxes of one 64-column panel of block_q (block_kv) rows.
    auto tensorMaps = [](OpBuilder &b, func::CallOp call,
                         const MmaAttention &s) {
      Location loc = call.getLoc();
      SmallVector<Value> maps;
      for (auto [operand, rows] :
           {std::pair<int64_t, int64_t>{0, s.blockQ}, {1, s.blockKv},
            {2, s.blockKv}}) {
        Value buffer = call.getOperand(operand);
        Value unranked = memref::CastOp::create(
            b, loc, UnrankedMemRefType::get(s.element, Attribute()), buffer);
        auto c = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(b, loc, v);
        };
        maps.push_back(nvgpu::TmaCreateDescriptorOp::create(
            b, loc, tensorMapType(b.getContext(), s.element, rows), unranked,
            ValueRange{c(1), c(rows), c(1), c(kPanelColumns)}));
      }
      return maps;
    };
    if (failed(replaceKernelCalls<WarpgroupAttentionConfig, MmaAttention>(
            getOperation(), kAttentionWgmmaAttrName,
            "weft_attention_kernels", describe, shape, build,
            tensorMaps)))
      signalPassFailure();
  }
};

} // namespace
