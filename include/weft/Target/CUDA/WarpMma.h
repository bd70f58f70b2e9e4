//===- WarpMma.h - Warp-level tensor-core building blocks (sm_80+) --------===//
//
// The pieces a tensor-core kernel is written with: 16-bit tiles in shared
// memory with a bank-conflict-free swizzle, filled by asynchronous copies
// (cp.async), read into register fragments by ldmatrix, multiplied by
// mma.sync.m16n8k16 with f32 accumulation. The register fragments follow
// the PTX ISA's layouts for m16n8k16; with lane = 4·g + t (g the group of
// four lanes, t the lane within it):
//
//   A (16x16, row-major)  r0: row g,   cols 2t, 2t+1     r1: row g+8, same
//                         r2: row g,   cols 8+2t, 9+2t   r3: row g+8, same
//   B (16x8, k x n)       r0: k 2t, 2t+1 at col g        r1: k 8+2t, 9+2t
//   C (16x8, f32)         c0, c1: row g, cols 2t, 2t+1   c2, c3: row g+8
//
// so the C fragments of two adjacent 8-column tiles, rounded to 16 bits,
// are exactly the A fragment of the 16-wide k-step they cover (how the
// attention kernel feeds P = softmax(S) back into P·V from registers).
//
// Each register of A and B holds two 16-bit elements: vector<2xf16> for
// f16, i32 for bf16 (the forms nvvm.mma.sync takes; nvgpu.mma.sync does not
// lower bf16).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_WARPMMA_H
#define WEFT_TARGET_CUDA_WARPMMA_H

#include "mlir/IR/Builders.h"

#include <array>

namespace weft::cuda {

/// The most dynamic shared memory a block may opt into on every supported
/// chip (sm_80: 163 KiB; sm_90 allows 227 KiB).
constexpr int64_t kMaxSharedBytesPerBlock = 163 * 1024;

/// A [rows, cols] tile of 16-bit elements in shared memory, optionally one
/// of several stages (`stage` indexes a leading dimension). The 16-byte
/// chunk c of row r is stored at chunk c ^ (r mod 8): the eight rows one
/// ldmatrix reads and the rows one cp.async wave writes then fall in
/// distinct banks. `cols` is a multiple of 64 (eight chunks per row).
struct SwizzledTile {
  mlir::Value memref;
  mlir::Value stage; ///< null for a rank-2 tile
  int64_t rows = 0, cols = 0;

  /// The memref indices of element (row, logical column `col`); `col` must
  /// be a multiple of 8 (a chunk's first element). `phase` is row mod 8
  /// when the caller knows it in a form that stays fixed across the rows it
  /// visits (so that their addresses differ by constants); null: computed.
  llvm::SmallVector<mlir::Value> indices(mlir::OpBuilder &b,
                                         mlir::Location loc, mlir::Value row,
                                         mlir::Value col,
                                         mlir::Value phase = {}) const;
};

/// A kernel's dynamic shared memory (gpu.dynamic_shared_memory), carved
/// into consecutive typed views of 16-bit elements (each a multiple of 16
/// bytes, so every view stays aligned for cp.async and ldmatrix).
class SharedMemoryArena {
public:
  SharedMemoryArena(mlir::OpBuilder &b, mlir::Location loc,
                    mlir::Type element);
  /// The next `shape` view.
  mlir::Value view(llvm::ArrayRef<int64_t> shape);
  /// Bytes carved so far.
  int64_t size() const { return offset; }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Type element;
  mlir::Attribute workgroup;
  mlir::Value base;
  int64_t offset = 0;
};

/// The index and f32 shorthands every kernel builder uses.
class KernelArith {
protected:
  KernelArith(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::Value c(int64_t v);
  mlir::Value f32(double v);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);

  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// The sm_80 tensor-core instruction set of one warp for 16-bit inputs.
class WarpMma {
public:
  using FragmentA = std::array<mlir::Value, 4>;
  using FragmentB = std::array<mlir::Value, 2>;
  using Accumulator = std::array<mlir::Value, 4>;

  /// `element` is f16 or bf16; `lane` is the thread's lane in its warp.
  WarpMma(mlir::OpBuilder &b, mlir::Location loc, mlir::Type element,
          mlir::Value lane);

  mlir::Type getElementType() const { return element; }
  /// The lane's group g = lane / 4 and position t = lane % 4.
  mlir::Value group() const { return g; }
  mlir::Value laneInGroup() const { return t; }

  /// C = 0.
  Accumulator zero();
  /// C + A·B on the tensor cores.
  Accumulator mma(const FragmentA &a, const FragmentB &bFrag,
                  const Accumulator &c);

  /// The A fragment of the 16x16 block at (row0, col0) of `tile`.
  FragmentA loadA(const SwizzledTile &tile, mlir::Value row0,
                  mlir::Value col0);
  /// The B fragments of the two 8-column tiles n0 and n0 + 8 of the 16-deep
  /// k-step at k0, from a tile that stores Bᵀ row-major ([n, k], as the keys
  /// of Q·Kᵀ or a weight of x·Wᵀ).
  std::pair<FragmentB, FragmentB> loadBTransposed(const SwizzledTile &tile,
                                                  mlir::Value n0,
                                                  mlir::Value k0);
  /// The same from a tile that stores B row-major ([k, n], as the values of
  /// P·V): ldmatrix transposes on the way.
  std::pair<FragmentB, FragmentB> loadB(const SwizzledTile &tile,
                                        mlir::Value k0, mlir::Value n0);

  /// Two f32 values rounded to nearest into one register (lo first).
  mlir::Value pack(mlir::Value lo, mlir::Value hi);
  /// The same as a vector<2x element> (to store).
  mlir::Value packVector(mlir::Value lo, mlir::Value hi);
  /// The A fragment of the k-step covered by two adjacent C tiles.
  FragmentA packA(const Accumulator &left, const Accumulator &right);

  /// `value` reduced over the four lanes of the caller's group with `max`
  /// or add; every lane of the group gets the result.
  mlir::Value groupReduce(mlir::Value value, bool max);
  /// max(x, y) of two f32 as one max.f32 (arith.maxnumf would be expanded
  /// into compares and selects by the device pipeline's arith expansion).
  mlir::Value max(mlir::Value x, mlir::Value y);

private:
  /// ldmatrix x4 at the lane's row address; its four registers in order.
  std::array<mlir::Value, 4> loadMatrices(const SwizzledTile &tile,
                                          mlir::Value row, mlir::Value col,
                                          bool transpose);
  /// One 32-bit register of two elements as the mma operand type.
  mlir::Value asOperand(mlir::Value pair);

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Type element;
  mlir::Value lane, g, t;
  /// lane mod 8: the swizzle phase of every row a lane addresses in
  /// ldmatrix, whose row offsets are multiples of 8.
  mlir::Value phase;
};

/// Issues the cp.async copies (16 bytes each, by the `numThreads` threads
/// numbered from `thread`) that fill `tile` from `source`: `sourceIndices(row, col)`
/// gives the source indices of tile element (row, col). Rows at or after
/// `validRows`, and, when `validCols` is given, columns at or after it (a
/// multiple of 8, so that no chunk straddles it), are zero-filled without
/// reading; their source row or column is read as the tile's first, whose
/// address must be valid. The tile's rows·cols/8 chunks must divide among
/// the threads in whole rows.
void copyTileAsync(
    mlir::OpBuilder &b, mlir::Location loc, const SwizzledTile &tile,
    mlir::Value source,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value row,
                                                      mlir::Value col)>
        sourceIndices,
    mlir::Value validRows, mlir::Value validCols, mlir::Value thread,
    int64_t numThreads);

/// Closes the group of cp.async copies issued since the last commit.
void commitAsyncCopies(mlir::OpBuilder &b, mlir::Location loc);
/// Waits until at most `pending` committed groups are still in flight.
void waitAsyncCopies(mlir::OpBuilder &b, mlir::Location loc, int64_t pending);

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_WARPMMA_H
