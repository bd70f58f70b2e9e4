//===- CudaLinearToMma.cpp - The tensor-core GEMM with fused epilogues ----===//
//
// A tiled GEMM on sm_80 tensor cores, generated for each call of a linear
// kernel declaration (LinearKernel.h):
//
//   grid:   one block per (N tile, M tile, batch) of block_m x block_n
//           outputs;
//   block:  warps_m x warps_n warps, each owning a (block_m / warps_m) x
//           (block_n / warps_n) part of the tile as f32 accumulators in
//           registers (mTiles x nTiles mma tiles of 16 x 8);
//   loop:   over K in steps of block_k; A and B tiles flow through a ring
//           of `stages` shared-memory buffers filled by cp.async
//           `stages - 1` steps ahead of the step computed, with one
//           barrier per step;
//   body:   per 16-deep k-step, A fragments by ldmatrix, B fragments by
//           ldmatrix.trans ([K, N] weights) or ldmatrix ([N, K]), then
//           mma.sync for every (m tile, n tile) of the warp;
//   end:    the epilogue on the accumulators in f32 (bias, activation,
//           residual, rounding where the replaced chain rounded), stored
//           rounded to the element type where row < M and column < N.
//
// Ragged edges cost nothing in the main loop: cp.async zero-fills the rows
// of A past M, the columns of B past N and everything past K (source size
// 0), so a partial tile computes on zeros and only the stores are guarded.
//
// Each declaration becomes one kernel (a gpu.func in the gpu.module
// weft_linear_kernels) and each call a gpu.launch_func of it
// (replaceKernelCalls); layers of one shape share their kernel.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Target/CUDA/KernelCalls.h"
#include "weft/Target/CUDA/LinearKernel.h"
#include "weft/Target/CUDA/WarpMma.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"


#include <cmath>

namespace weft::cuda {
#define GEN_PASS_DEF_CUDALINEARTOMMA
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;
using namespace weft;
using namespace weft::cuda;

namespace {

/// The CUDA limit on a grid's y and z sizes.
constexpr int64_t kMaxGridYZ = 65535;

/// One call's problem and the kernel's tiling of it.
struct MmaLinear {
  int64_t batch, m, n, k;
  Type element;
  MmaLinearConfig config;

  int64_t warpRows() const { return config.blockM / config.warpsM; }
  int64_t warpCols() const { return config.blockN / config.warpsN; }
  /// The warp's 16 x 8 mma tiles along M and N.
  int64_t mTiles() const { return warpRows() / 16; }
  int64_t nTiles() const { return warpCols() / 8; }
  int64_t numMBlocks() const { return ceilDiv(m, config.blockM); }
  int64_t numNBlocks() const { return ceilDiv(n, config.blockN); }
  int64_t numKSteps() const { return ceilDiv(k, config.blockK); }

  static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
};

/// The kernel's body, built into its gpu.func (`b` before its return;
/// `operands` are the function's arguments, one per call operand).
class LinearKernelBuilder : KernelArith {
public:
  LinearKernelBuilder(OpBuilder &b, Location loc, const MmaLinear &s,
                      ValueRange operands)
      : KernelArith(b, loc), s(s) {
    lhs = operands[0];
    rhs = operands[1];
    int64_t next = 2;
    if (s.config.hasBias())
      bias = operands[next++];
    if (s.config.hasResidual())
      residual = operands[next++];
    output = operands[next];
  }

  void build();

private:
  Value fadd(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value fmul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value less(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }

  /// Issues the copies of K step `step` (A and B tiles) into `stage`.
  void copyStep(Value step, Value stage);
  /// The mma.sync products of one shared-memory stage added to `acc`.
  SmallVector<Value> computeStage(WarpMma &mma, Value stage, ValueRange acc);
  /// Bounds checks, epilogue and stores of the accumulators.
  void storeOutput(WarpMma &mma, ValueRange acc);
  /// Two adjacent 16-bit elements of `buffer` at `indices`, widened.
  std::pair<Value, Value> loadPair(Value buffer, ValueRange indices);
  /// `lo, hi` rounded to the element type and widened back.
  std::pair<Value, Value> round(WarpMma &mma, Value lo, Value hi);
  /// An activation's formula on one f32 value, as xf-to-linalg writes it.
  Value activate(LinearEpilogue step, Value x);
  /// Runs `body` under `condition`, or directly when there is none.
  void guarded(Value condition, llvm::function_ref<void()> body);

  // Accumulators, flattened: [mTile][nTile][4] (the C fragment's order).
  int64_t accIndex(int64_t i, int64_t j, int64_t e) const {
    return (i * s.nTiles() + j) * 4 + e;
  }

  const MmaLinear &s;
  Value lhs, rhs, bias, residual, output;
  // Set by build().
  Value thread, batch, mStart, nStart, warpRow0, warpCol0;
  SwizzledTile aTiles, bTiles;
};

void LinearKernelBuilder::copyStep(Value step, Value stage) {
  const MmaLinearConfig &config = s.config;
  Value kStart = mul(step, c(config.blockK));
  // Bounds only where a tile can cross its matrix's end: rows of A past M,
  // columns (or rows) of B past N, and past K on both.
  Value kValid = s.k % config.blockK != 0
                     ? arith::SubIOp::create(b, loc, c(s.k), kStart)
                     : Value();
  Value mValid = arith::SubIOp::create(b, loc, c(s.m), mStart);
  Value nValid = arith::SubIOp::create(b, loc, c(s.n), nStart);
  bool nRagged = s.n % config.blockN != 0;

  SwizzledTile a = aTiles;
  a.stage = stage;
  copyTileAsync(
      b, loc, a, lhs,
      [&](Value row, Value col) -> SmallVector<Value> {
        return {batch, add(mStart, row), add(kStart, col)};
      },
      mValid, kValid, thread, config.threads());

  SwizzledTile bTile = bTiles;
  bTile.stage = stage;
  if (config.transposeRhs) {
    // [N, K]: rows are output columns, columns run along K.
    copyTileAsync(
        b, loc, bTile, rhs,
        [&](Value row, Value col) -> SmallVector<Value> {
          return {batch, add(nStart, row), add(kStart, col)};
        },
        nValid, kValid, thread, config.threads());
  } else {
    // [K, N]: rows run along K, columns are output columns.
    copyTileAsync(
        b, loc, bTile, rhs,
        [&](Value row, Value col) -> SmallVector<Value> {
          return {batch, add(kStart, row), add(nStart, col)};
        },
        kValid ? kValid : c(config.blockK), nRagged ? nValid : Value(),
        thread, config.threads());
  }
}

SmallVector<Value> LinearKernelBuilder::computeStage(WarpMma &mma,
                                                     Value stage,
                                                     ValueRange acc) {
  SwizzledTile a = aTiles, bTile = bTiles;
  a.stage = bTile.stage = stage;
  SmallVector<Value> next(acc.begin(), acc.end());
  for (int64_t kk = 0; kk < s.config.blockK; kk += 16) {
    // The warp's A fragments for this k-step, one per 16-row m tile, and
    // its B fragments, two 8-column n tiles per ldmatrix.x4.
    SmallVector<WarpMma::FragmentA> aFragments;
    for (int64_t i = 0; i < s.mTiles(); ++i)
      aFragments.push_back(mma.loadA(a, add(warpRow0, c(i * 16)), c(kk)));
    SmallVector<WarpMma::FragmentB> bFragments;
    for (int64_t j = 0; j < s.nTiles(); j += 2) {
      Value n0 = add(warpCol0, c(j * 8));
      auto [left, right] = s.config.transposeRhs
                               ? mma.loadBTransposed(bTile, n0, c(kk))
                               : mma.loadB(bTile, c(kk), n0);
      bFragments.push_back(left);
      bFragments.push_back(right);
    }
    for (int64_t i = 0; i < s.mTiles(); ++i)
      for (int64_t j = 0; j < s.nTiles(); ++j) {
        WarpMma::Accumulator c;
        for (int64_t e = 0; e < 4; ++e)
          c[e] = next[accIndex(i, j, e)];
        c = mma.mma(aFragments[i], bFragments[j], c);
        for (int64_t e = 0; e < 4; ++e)
          next[accIndex(i, j, e)] = c[e];
      }
  }
  return next;
}

std::pair<Value, Value> LinearKernelBuilder::loadPair(Value buffer,
                                                      ValueRange indices) {
  Value pair = vector::LoadOp::create(
      b, loc, VectorType::get({2}, s.element), buffer, indices,
      /*nontemporal=*/false, llvm::Align(4));
  Value wide = arith::ExtFOp::create(
      b, loc, VectorType::get({2}, b.getF32Type()), pair);
  return {vector::ExtractOp::create(b, loc, wide, 0),
          vector::ExtractOp::create(b, loc, wide, 1)};
}

std::pair<Value, Value> LinearKernelBuilder::round(WarpMma &mma, Value lo,
                                                   Value hi) {
  // cvt.rn: round to nearest even, as arith.truncf does.
  Value wide = arith::ExtFOp::create(
      b, loc, VectorType::get({2}, b.getF32Type()), mma.packVector(lo, hi));
  return {vector::ExtractOp::create(b, loc, wide, 0),
          vector::ExtractOp::create(b, loc, wide, 1)};
}

Value LinearKernelBuilder::activate(LinearEpilogue step, Value x) {
  switch (step) {
  case LinearEpilogue::GeluErf: {
    // x · (1/2 · (1 + erf(x / √2)))
    Value inner = math::ErfOp::create(b, loc, fmul(f32(M_SQRT1_2), x));
    return fmul(x, fmul(f32(0.5), fadd(f32(1.0), inner)));
  }
  case LinearEpilogue::GeluTanh: {
    // x · (1/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))))
    Value x3 = fmul(fmul(x, x), x);
    Value poly = fadd(x, fmul(f32(0.044715), x3));
    Value inner =
        math::TanhOp::create(b, loc, fmul(f32(std::sqrt(2.0 / M_PI)), poly));
    return fmul(x, fmul(f32(0.5), fadd(f32(1.0), inner)));
  }
  case LinearEpilogue::Silu: {
    // x / (1 + exp(-x)): -0 for very negative x, where exp overflows.
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, fadd(f32(1.0), e));
  }
  default:
    llvm_unreachable("not an activation");
  }
}

void LinearKernelBuilder::guarded(Value condition,
                                  llvm::function_ref<void()> body) {
  if (!condition)
    return body();
  auto guard = scf::IfOp::create(b, loc, condition);
  OpBuilder::InsertionGuard inner(b);
  b.setInsertionPointToStart(guard.thenBlock());
  body();
}

void LinearKernelBuilder::build() {
  const MmaLinearConfig &config = s.config;
  // 1. Who this thread is, and which tile its block and warp compute.
  thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value lane = arith::AndIOp::create(b, loc, thread, c(31));
  Value warp = arith::ShRUIOp::create(b, loc, thread, c(5));
  Value warpM = arith::DivUIOp::create(b, loc, warp, c(config.warpsN));
  Value warpN = arith::RemUIOp::create(b, loc, warp, c(config.warpsN));
  nStart = mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
               c(config.blockN));
  mStart = mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y),
               c(config.blockM));
  batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  warpRow0 = mul(warpM, c(s.warpRows()));
  warpCol0 = mul(warpN, c(s.warpCols()));

  // 2. Shared memory: `stages` A tiles, then `stages` B tiles.
  SharedMemoryArena shared(b, loc, s.element);
  auto view = [&](ArrayRef<int64_t> shape) { return shared.view(shape); };
  int64_t bRows = config.transposeRhs ? config.blockN : config.blockK;
  int64_t bCols = config.transposeRhs ? config.blockK : config.blockN;
  aTiles = {view({config.stages, config.blockM, config.blockK}), Value(),
            config.blockM, config.blockK};
  bTiles = {view({config.stages, bRows, bCols}), Value(), bRows, bCols};

  // 3. Prologue: steps 0 .. stages-2 into their stages, one commit group
  //    each (empty past the last step, so that group i is always step i).
  for (int64_t step = 0; step < config.stages - 1; ++step) {
    if (step < s.numKSteps())
      copyStep(c(step), c(step));
    commitAsyncCopies(b, loc);
  }

  // 4. The K loop. At step kb, groups 0 .. kb + stages - 2 are committed;
  //    waiting until at most stages - 2 are pending completes group kb.
  //    The barrier then (a) makes stage kb mod stages visible to every warp
  //    and (b) guarantees every warp is done with step kb - 1, whose stage
  //    (kb + stages - 1) mod stages the prefetch below refills.
  WarpMma mma(b, loc, s.element, lane);
  WarpMma::Accumulator zero = mma.zero();
  SmallVector<Value> acc;
  for (int64_t i = 0; i < s.mTiles() * s.nTiles(); ++i)
    acc.append(zero.begin(), zero.end());
  auto loop = scf::ForOp::create(b, loc, c(0), c(s.numKSteps()), c(1), acc);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value step = loop.getInductionVar();
    waitAsyncCopies(b, loc, config.stages - 2);
    gpu::BarrierOp::create(b, loc);
    Value ahead = add(step, c(config.stages - 1));
    auto prefetch = scf::IfOp::create(b, loc, less(ahead, c(s.numKSteps())));
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(prefetch.thenBlock());
      copyStep(ahead, arith::RemUIOp::create(b, loc, ahead, c(config.stages)));
    }
    commitAsyncCopies(b, loc);
    Value stage = arith::RemUIOp::create(b, loc, step, c(config.stages));
    scf::YieldOp::create(
        b, loc, computeStage(mma, stage, loop.getRegionIterArgs()));
  }

  // 5. Epilogue and stores.
  storeOutput(mma, loop.getResults());
}

void LinearKernelBuilder::storeOutput(WarpMma &mma, ValueRange acc) {
  const MmaLinearConfig &config = s.config;
  bool mRagged = s.m % config.blockM != 0;
  bool nRagged = s.n % config.blockN != 0;
  // C fragment: c0, c1 at row g, columns 2t, 2t+1; c2, c3 at row g + 8.
  // So this lane's rows are warpRow0 + 16i + g (+ 8) and its columns
  // warpCol0 + 8j + 2t (+ 1); with N a multiple of 8, a column pair is
  // inside or outside N together.
  Value rowBase = add(add(mStart, warpRow0), mma.group());
  Value colBase =
      add(add(nStart, warpCol0),
          arith::ShLIOp::create(b, loc, mma.laneInGroup(), c(1)));
  SmallVector<Value> cols, colInside;
  SmallVector<std::pair<Value, Value>> biases;
  for (int64_t j = 0; j < s.nTiles(); ++j) {
    Value col = add(colBase, c(j * 8));
    cols.push_back(col);
    colInside.push_back(nRagged ? less(col, c(s.n)) : Value());
    if (!bias)
      continue;
    // Bias is per column: read once, zero where the column is outside.
    if (!nRagged) {
      biases.push_back(loadPair(bias, col));
      continue;
    }
    Type f32Type = b.getF32Type();
    auto read = scf::IfOp::create(b, loc, TypeRange{f32Type, f32Type},
                                  colInside.back(), /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(read.thenBlock());
      auto [lo, hi] = loadPair(bias, col);
      scf::YieldOp::create(b, loc, ValueRange{lo, hi});
      b.setInsertionPointToStart(read.elseBlock());
      Value zeroF = f32(0.0);
      scf::YieldOp::create(b, loc, ValueRange{zeroF, zeroF});
    }
    biases.push_back({read.getResult(0), read.getResult(1)});
  }

  for (int64_t i = 0; i < s.mTiles(); ++i)
    for (int64_t half = 0; half < 2; ++half) {
      Value row = add(rowBase, c(i * 16 + half * 8));
      guarded(mRagged ? less(row, c(s.m)) : Value(), [&] {
        for (int64_t j = 0; j < s.nTiles(); ++j)
          guarded(colInside[j], [&] {
            Value lo = acc[accIndex(i, j, half * 2)];
            Value hi = acc[accIndex(i, j, half * 2 + 1)];
            for (LinearEpilogue step : config.epilogue) {
              switch (step) {
              case LinearEpilogue::Bias:
                lo = fadd(lo, biases[j].first);
                hi = fadd(hi, biases[j].second);
                break;
              case LinearEpilogue::Residual: {
                auto [rLo, rHi] =
                    loadPair(residual, ValueRange{batch, row, cols[j]});
                lo = fadd(lo, rLo);
                hi = fadd(hi, rHi);
                break;
              }
              case LinearEpilogue::Round:
                std::tie(lo, hi) = round(mma, lo, hi);
                break;
              default:
                lo = activate(step, lo);
                hi = activate(step, hi);
              }
            }
            vector::StoreOp::create(b, loc, mma.packVector(lo, hi), output,
                                    ValueRange{batch, row, cols[j]},
                                    /*nontemporal=*/false, llvm::Align(4));
          });
      });
    }
}

/// The shape facts from the kernel's operands, the rest from `config`.
FailureOr<MmaLinear> describe(func::CallOp call,
                              const MmaLinearConfig &config) {
  size_t expected = 3 + config.hasBias() + config.hasResidual();
  if (call.getNumOperands() != expected)
    return call.emitOpError("of a tensor-core linear kernel needs ")
           << expected << " operands (lhs, rhs"
           << (config.hasBias() ? ", bias" : "")
           << (config.hasResidual() ? ", residual" : "")
           << ", output), got " << call.getNumOperands();
  SmallVector<MemRefType> types;
  for (Value operand : call.getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
      return call.emitOpError("of a tensor-core linear kernel needs static "
                              "buffers with identity layouts, got ")
             << operand.getType();
    types.push_back(type);
  }
  MmaLinear s;
  s.config = config;
  s.element = types[0].getElementType();
  if (!takesLinearElement(s.element))
    return call.emitOpError("of a tensor-core linear kernel needs f16 or "
                            "bf16 elements, got ")
           << s.element;
  for (MemRefType type : types)
    if (type.getElementType() != s.element)
      return call.emitOpError("of a tensor-core linear kernel needs one "
                              "element type, got ")
             << s.element << " and " << type.getElementType();
  MemRefType out = types.back();
  if (types[0].getRank() != 3 || types[1].getRank() != 3 ||
      out.getRank() != 3)
    return call.emitOpError("of a tensor-core linear kernel needs rank-3 "
                            "lhs, rhs and output buffers");
  s.batch = types[0].getDimSize(0);
  s.m = types[0].getDimSize(1);
  s.k = types[0].getDimSize(2);
  s.n = out.getDimSize(2);
  SmallVector<int64_t> rhsShape =
      config.transposeRhs ? SmallVector<int64_t>{s.batch, s.n, s.k}
                          : SmallVector<int64_t>{s.batch, s.k, s.n};
  if (types[1].getShape() != ArrayRef(rhsShape) ||
      out.getShape() != ArrayRef<int64_t>{s.batch, s.m, s.n})
    return call.emitOpError("of a tensor-core linear kernel: lhs ")
           << types[0] << ", rhs " << types[1] << (config.transposeRhs
                                                       ? " (transposed)"
                                                       : "")
           << " and output " << out << " do not form a product";
  int64_t next = 2;
  if (config.hasBias() &&
      types[next++].getShape() != ArrayRef<int64_t>{s.n})
    return call.emitOpError("of a tensor-core linear kernel needs a bias of ")
           << s.n << " elements, got " << types[next - 1];
  if (config.hasResidual() && types[next++] != out)
    return call.emitOpError("of a tensor-core linear kernel needs a residual "
                            "of the output's type ")
           << out << ", got " << types[next - 1];
  if (!takesLinearShape(s.k, s.n))
    return call.emitOpError("of a tensor-core linear kernel needs K and N "
                            "multiples of 8 (16-byte rows), got K = ")
           << s.k << ", N = " << s.n;
  if (s.numMBlocks() > kMaxGridYZ || s.batch > kMaxGridYZ)
    return call.emitOpError("of a tensor-core linear kernel: ")
           << s.numMBlocks() << " row blocks and a batch of " << s.batch
           << " exceed the grid's limit of " << kMaxGridYZ;
  return s;
}

struct CudaLinearToMmaPass
    : weft::cuda::impl::CudaLinearToMmaBase<CudaLinearToMmaPass> {
  using Base::Base;

  void runOnOperation() final {
    auto shape = [](const MmaLinear &s) {
      return KernelLaunchShape{{s.numNBlocks(), s.numMBlocks(), s.batch},
                               s.config.threads(),
                               s.config.sharedBytes()};
    };
    auto build = [](OpBuilder &b, Location loc, const MmaLinear &s,
                    ValueRange args) {
      LinearKernelBuilder(b, loc, s, args).build();
    };
    if (failed(replaceKernelCalls<MmaLinearConfig, MmaLinear>(
            getOperation(), kLinearMmaAttrName, "weft_linear_kernels",
            describe, shape, build)))
      signalPassFailure();
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// MmaLinearConfig
//===----------------------------------------------------------------------===//

StringRef weft::cuda::stringifyLinearEpilogue(LinearEpilogue step) {
  switch (step) {
  case LinearEpilogue::Bias:
    return "bias";
  case LinearEpilogue::Residual:
    return "residual";
  case LinearEpilogue::GeluErf:
    return "gelu_erf";
  case LinearEpilogue::GeluTanh:
    return "gelu_tanh";
  case LinearEpilogue::Silu:
    return "silu";
  case LinearEpilogue::Round:
    return "round";
  }
  llvm_unreachable("unknown epilogue step");
}

std::optional<LinearEpilogue>
weft::cuda::symbolizeLinearEpilogue(StringRef name) {
  for (LinearEpilogue step :
       {LinearEpilogue::Bias, LinearEpilogue::Residual, LinearEpilogue::GeluErf,
        LinearEpilogue::GeluTanh, LinearEpilogue::Silu, LinearEpilogue::Round})
    if (stringifyLinearEpilogue(step) == name)
      return step;
  return std::nullopt;
}

DictionaryAttr MmaLinearConfig::toAttr(MLIRContext *ctx) const {
  Builder b(ctx);
  SmallVector<Attribute> steps;
  for (LinearEpilogue step : epilogue)
    steps.push_back(b.getStringAttr(stringifyLinearEpilogue(step)));
  return b.getDictionaryAttr({
      b.getNamedAttr("block_m", b.getI64IntegerAttr(blockM)),
      b.getNamedAttr("block_n", b.getI64IntegerAttr(blockN)),
      b.getNamedAttr("block_k", b.getI64IntegerAttr(blockK)),
      b.getNamedAttr("warps_m", b.getI64IntegerAttr(warpsM)),
      b.getNamedAttr("warps_n", b.getI64IntegerAttr(warpsN)),
      b.getNamedAttr("stages", b.getI64IntegerAttr(stages)),
      b.getNamedAttr("transpose_rhs", b.getBoolAttr(transposeRhs)),
      b.getNamedAttr("epilogue", b.getArrayAttr(steps)),
  });
}

FailureOr<MmaLinearConfig> MmaLinearConfig::fromAttr(Attribute attr,
                                                     Operation *where) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  auto get = [&](StringRef name) {
    return dict ? dict.getAs<IntegerAttr>(name) : nullptr;
  };
  IntegerAttr blockM = get("block_m"), blockN = get("block_n"),
              blockK = get("block_k"), warpsM = get("warps_m"),
              warpsN = get("warps_n"), stages = get("stages");
  auto transposeRhs = dict ? dict.getAs<BoolAttr>("transpose_rhs") : nullptr;
  auto epilogue = dict ? dict.getAs<ArrayAttr>("epilogue") : nullptr;
  if (!blockM || !blockN || !blockK || !warpsM || !warpsN || !stages ||
      !transposeRhs || !epilogue)
    return where->emitOpError()
           << "needs '" << kLinearMmaAttrName
           << "' = {block_m, block_n, block_k, warps_m, warps_n, stages, "
              "transpose_rhs, epilogue}";
  MmaLinearConfig config;
  config.blockM = blockM.getInt();
  config.blockN = blockN.getInt();
  config.blockK = blockK.getInt();
  config.warpsM = warpsM.getInt();
  config.warpsN = warpsN.getInt();
  config.stages = stages.getInt();
  config.transposeRhs = transposeRhs.getValue();
  for (Attribute step : epilogue) {
    auto name = dyn_cast<StringAttr>(step);
    std::optional<LinearEpilogue> kind =
        name ? symbolizeLinearEpilogue(name.getValue()) : std::nullopt;
    if (!kind)
      return where->emitOpError()
             << "has an unknown epilogue step " << step
             << " (expected bias, residual, gelu_erf, gelu_tanh, silu or "
                "round)";
    config.epilogue.push_back(*kind);
  }
  if (llvm::count(config.epilogue, LinearEpilogue::Bias) > 1 ||
      llvm::count(config.epilogue, LinearEpilogue::Residual) > 1)
    return where->emitOpError()
           << "has more than one bias or residual step in its epilogue";

  // Tiling. Warps own 16-row, 16-column-aligned parts (an ldmatrix.x4
  // feeds two 8-column mma tiles); swizzled tile rows hold eight 16-byte
  // chunks; the copy of each tile splits into whole rows per thread pass.
  if (config.warpsM < 1 || config.warpsN < 1 ||
      config.warpsM * config.warpsN > 32 || config.blockM < 1 ||
      config.blockN < 1 || config.blockM % (16 * config.warpsM) != 0 ||
      config.blockN % (16 * config.warpsN) != 0)
    return where->emitOpError()
           << "tensor-core linear tiles need 1 to 32 warps, each owning a "
              "multiple of 16 rows and 16 columns, got block_m="
           << config.blockM << ", block_n=" << config.blockN
           << ", warps_m=" << config.warpsM << ", warps_n=" << config.warpsN;
  if (config.blockK < 64 || config.blockK % 64 != 0 ||
      (!config.transposeRhs && config.blockN % 64 != 0))
    return where->emitOpError()
           << "tensor-core linear tiles need block_k"
           << (config.transposeRhs ? "" : " and block_n")
           << " to be multiples of 64 (eight 16-byte chunks per swizzled "
              "row), got block_k="
           << config.blockK << ", block_n=" << config.blockN;
  if (config.stages < 2)
    return where->emitOpError()
           << "tensor-core linear kernels need at least 2 stages, got "
           << config.stages;
  int64_t threads = config.threads();
  int64_t bRows = config.transposeRhs ? config.blockN : config.blockK;
  int64_t bCols = config.transposeRhs ? config.blockK : config.blockN;
  auto divides = [&](int64_t rows, int64_t cols) {
    return (rows * cols / 8) % threads == 0 && threads % (cols / 8) == 0;
  };
  if (!divides(config.blockM, config.blockK) || !divides(bRows, bCols))
    return where->emitOpError()
           << "tensor-core linear tiles of " << config.blockM << "x"
           << config.blockK << " and " << config.blockK << "x"
           << config.blockN << " do not divide among " << threads
           << " threads in 16-byte copies of whole rows";
  if (config.sharedBytes() > kMaxSharedBytesPerBlock)
    return where->emitOpError()
           << "tensor-core linear tiles need " << config.sharedBytes()
           << " bytes of shared memory, more than the "
           << kMaxSharedBytesPerBlock << " a block may have";
  return config;
}
