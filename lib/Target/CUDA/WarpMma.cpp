//===- WarpMma.cpp - Warp-level tensor-core building blocks (sm_80+) ------===//

#include "weft/Target/CUDA/WarpMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace weft::cuda;

namespace {

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

} // namespace

Value KernelArith::c(int64_t v) { return index(b, loc, v); }

Value KernelArith::f32(double v) {
  return arith::ConstantOp::create(b, loc,
                                   b.getF32FloatAttr(static_cast<float>(v)));
}

Value KernelArith::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}

Value KernelArith::mul(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}

SharedMemoryArena::SharedMemoryArena(OpBuilder &b, Location loc,
                                     Type element)
    : b(b), loc(loc), element(element) {
  workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  base = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), workgroup));
}

Value SharedMemoryArena::view(ArrayRef<int64_t> shape) {
  auto type = MemRefType::get(shape, element, MemRefLayoutAttrInterface(),
                              workgroup);
  Value v = memref::ViewOp::create(b, loc, type, base, index(b, loc, offset),
                                   ValueRange{});
  offset += type.getNumElements() * 2;
  return v;
}

SmallVector<Value> SwizzledTile::indices(OpBuilder &b, Location loc,
                                         Value row, Value col,
                                         Value phase) const {
  // chunk' = (col / 8) xor (row mod 8); the element is chunk'·8.
  Value chunk = arith::ShRUIOp::create(b, loc, col, index(b, loc, 3));
  if (!phase)
    phase = arith::AndIOp::create(b, loc, row, index(b, loc, 7));
  Value swizzled = arith::ShLIOp::create(
      b, loc, arith::XOrIOp::create(b, loc, chunk, phase), index(b, loc, 3));
  SmallVector<Value> result;
  if (stage)
    result.push_back(stage);
  result.append({row, swizzled});
  return result;
}

WarpMma::WarpMma(OpBuilder &b, Location loc, Type element, Value lane)
    : b(b), loc(loc), element(element), lane(lane) {
  assert((element.isF16() || element.isBF16()) && "16-bit floats only");
  g = arith::ShRUIOp::create(b, loc, lane, index(b, loc, 2));
  t = arith::AndIOp::create(b, loc, lane, index(b, loc, 3));
  phase = arith::AndIOp::create(b, loc, lane, index(b, loc, 7));
}

WarpMma::Accumulator WarpMma::zero() {
  Value z = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return {z, z, z, z};
}

WarpMma::Accumulator WarpMma::mma(const FragmentA &a, const FragmentB &bFrag,
                                  const Accumulator &c) {
  Type f32 = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(4, f32));
  NVVM::MMATypes ptxType =
      element.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
  Value result = NVVM::MmaOp::create(
      b, loc, resultType, ValueRange(a), ValueRange(bFrag), ValueRange(c),
      ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  Accumulator out;
  for (int64_t i = 0; i < 4; ++i)
    out[i] = LLVM::ExtractValueOp::create(b, loc, result, i);
  return out;
}

std::array<Value, 4> WarpMma::loadMatrices(const SwizzledTile &tile,
                                           Value row, Value col,
                                           bool transpose) {
  auto type = VectorType::get({4, 2}, element);
  Value matrices = nvgpu::LdMatrixOp::create(
      b, loc, type, tile.memref, tile.indices(b, loc, row, col, phase),
      transpose,
      /*numTiles=*/4);
  std::array<Value, 4> regs;
  for (int64_t i = 0; i < 4; ++i)
    regs[i] = asOperand(vector::ExtractOp::create(b, loc, matrices, i));
  return regs;
}

Value WarpMma::asOperand(Value pair) {
  if (element.isF16())
    return pair;
  Type i32 = b.getI32Type();
  Value asInt = vector::BitCastOp::create(b, loc, VectorType::get({1}, i32),
                                          pair);
  return vector::ExtractOp::create(b, loc, asInt, 0);
}

// ldmatrix x4 reads four 8x8 matrices; lanes 8i..8i+7 give the row
// addresses of matrix i and every lane receives one register of each.

WarpMma::FragmentA WarpMma::loadA(const SwizzledTile &tile, Value row0,
                                  Value col0) {
  // Matrices: rows 0-7 / 8-15 of columns 0-7, then of columns 8-15.
  Value row = arith::AddIOp::create(
      b, loc, row0, arith::AndIOp::create(b, loc, lane, index(b, loc, 15)));
  Value col = arith::AddIOp::create(
      b, loc, col0,
      arith::ShLIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, lane, index(b, loc, 4)),
          index(b, loc, 3)));
  return loadMatrices(tile, row, col, /*transpose=*/false);
}

std::pair<WarpMma::FragmentB, WarpMma::FragmentB>
WarpMma::loadBTransposed(const SwizzledTile &tile, Value n0, Value k0) {
  // Matrices: (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7),
  // (n 8-15, k 8-15). Without transposition a lane gets row g, columns
  // 2t, 2t+1 of each: B's k 2t, 2t+1 at column n = g.
  Value row = arith::AddIOp::create(
      b, loc, n0,
      arith::AddIOp::create(
          b, loc,
          arith::ShLIOp::create(
              b, loc, arith::ShRUIOp::create(b, loc, lane, index(b, loc, 4)),
              index(b, loc, 3)),
          arith::AndIOp::create(b, loc, lane, index(b, loc, 7))));
  Value col = arith::AddIOp::create(
      b, loc, k0,
      arith::AndIOp::create(b, loc, lane, index(b, loc, 8)));
  std::array<Value, 4> r = loadMatrices(tile, row, col, /*transpose=*/false);
  return {{r[0], r[1]}, {r[2], r[3]}};
}

std::pair<WarpMma::FragmentB, WarpMma::FragmentB>
WarpMma::loadB(const SwizzledTile &tile, Value k0, Value n0) {
  // Matrices: (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15),
  // (k 8-15, n 8-15). Transposed, a lane gets rows 2t, 2t+1 of column g.
  Value row = arith::AddIOp::create(
      b, loc, k0,
      arith::AndIOp::create(b, loc, lane, index(b, loc, 15)));
  Value col = arith::AddIOp::create(
      b, loc, n0,
      arith::ShLIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, lane, index(b, loc, 4)),
          index(b, loc, 3)));
  std::array<Value, 4> r = loadMatrices(tile, row, col, /*transpose=*/true);
  return {{r[0], r[1]}, {r[2], r[3]}};
}

Value WarpMma::pack(Value lo, Value hi) {
  return asOperand(packVector(lo, hi));
}

Value WarpMma::packVector(Value lo, Value hi) {
  auto rn = NVVM::FPRoundingModeAttr::get(b.getContext(),
                                          NVVM::FPRoundingMode::RN);
  auto type = VectorType::get({2}, element);
  Value pair =
      element.isF16()
          ? NVVM::ConvertF32x2ToF16x2Op::create(b, loc, type, hi, lo,
                                                /*random_bits=*/Value(), rn)
                .getResult()
          : NVVM::ConvertF32x2ToBF16x2Op::create(b, loc, type, hi, lo,
                                                 /*random_bits=*/Value(), rn)
                .getResult();
  return pair;
}

WarpMma::FragmentA WarpMma::packA(const Accumulator &left,
                                  const Accumulator &right) {
  return {pack(left[0], left[1]), pack(left[2], left[3]),
          pack(right[0], right[1]), pack(right[2], right[3])};
}

Value WarpMma::max(Value x, Value y) {
  return LLVM::MaxNumOp::create(b, loc, x, y);
}

Value WarpMma::groupReduce(Value value, bool max) {
  for (int32_t offset : {1, 2}) {
    Value other = gpu::ShuffleOp::create(b, loc, value, offset, /*width=*/32,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    value = max ? this->max(value, other)
                : arith::AddFOp::create(b, loc, value, other).getResult();
  }
  return value;
}

void weft::cuda::copyTileAsync(
    OpBuilder &b, Location loc, const SwizzledTile &tile, Value source,
    function_ref<SmallVector<Value>(Value row, Value col)> sourceIndices,
    Value validRows, Value validCols, Value thread, int64_t numThreads) {
  int64_t chunksPerRow = tile.cols / 8;
  int64_t chunks = tile.rows * chunksPerRow;
  assert(chunks % numThreads == 0 && numThreads % chunksPerRow == 0 &&
         "chunks must divide among threads, whole rows per pass");
  // Each pass copies rowsPerPass whole rows; a thread keeps its column (and,
  // when rowsPerPass is a multiple of 8, its swizzle phase), so its
  // addresses in successive passes differ by constants.
  int64_t rowsPerPass = numThreads / chunksPerRow;
  Value eight = index(b, loc, 8), zero = index(b, loc, 0);
  Value firstRow =
      arith::DivUIOp::create(b, loc, thread, index(b, loc, chunksPerRow));
  Value col = arith::MulIOp::create(
      b, loc,
      arith::RemUIOp::create(b, loc, thread, index(b, loc, chunksPerRow)),
      eight);
  Value phase = rowsPerPass % 8 == 0
                    ? arith::AndIOp::create(b, loc, firstRow, index(b, loc, 7))
                          .getResult()
                    : Value();
  // The column test is the same in every pass.
  Value colValid, sourceCol = col;
  if (validCols) {
    colValid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col,
                                     validCols);
    sourceCol = arith::SelectOp::create(b, loc, colValid, col, zero);
  }
  for (int64_t pass = 0; pass < chunks / numThreads; ++pass) {
    Value row = arith::AddIOp::create(b, loc, firstRow,
                                      index(b, loc, pass * rowsPerPass));
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        row, validRows);
    Value sourceRow = arith::SelectOp::create(b, loc, valid, row, zero);
    // A masked chunk reads nothing (source size 0) but still names an
    // address: its row or column is replaced by the tile's first, valid.
    if (colValid)
      valid = arith::AndIOp::create(b, loc, valid, colValid);
    Value elements = arith::SelectOp::create(b, loc, valid, eight, zero);
    nvgpu::DeviceAsyncCopyOp::create(
        b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()),
        tile.memref, tile.indices(b, loc, row, col, phase), source,
        sourceIndices(sourceRow, sourceCol), b.getIndexAttr(8), elements,
        b.getUnitAttr());
  }
}

void weft::cuda::commitAsyncCopies(OpBuilder &b, Location loc) {
  NVVM::CpAsyncCommitGroupOp::create(b, loc);
}

void weft::cuda::waitAsyncCopies(OpBuilder &b, Location loc,
                                 int64_t pending) {
  NVVM::CpAsyncWaitGroupOp::create(b, loc, b.getI32IntegerAttr(pending));
}
