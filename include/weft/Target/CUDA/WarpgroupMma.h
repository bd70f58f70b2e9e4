//===- WarpgroupMma.h - Warpgroup tensor cores and TMA (sm_90a) -----------===//
//
// The Hopper pieces a tensor-core kernel is written with: tiles copied into
// shared memory by the Tensor Memory Accelerator (TMA, one thread issues a
// whole tile, an mbarrier counts its bytes in), multiplied by the four
// warps of a warpgroup together with wgmma.mma_async (m64nNk16, 16-bit in,
// f32 accumulate), operands read from shared memory through 64-bit matrix
// descriptors, or A from registers.
//
// Tiles are stored as TMA writes them with 128-byte swizzling and wgmma
// reads them: in column panels of 64 elements, each panel `rows` rows of
// 128 bytes, the 16-byte chunk c of row r at chunk c ^ (r mod 8). Both
// units swizzle on shared-memory address bits (4-6 by 7-9), so every tile
// starts at a multiple of 1024 bytes.
//
// The accumulator of an m64nN product is N/2 f32 per thread, in the PTX
// ISA's order: for the thread's warp w (of the warpgroup) and its lane
// 4·g + t, element k holds
//
//   row 16·w + g + 8·((k / 2) mod 2),  column 8·(k / 4) + 2·t + (k mod 2)
//
// which is the layout of mma.sync's C fragments (WarpMma.h) repeated over
// N/8 column tiles: elements 4j..4j+3 are C tile j. Hence the same row
// reductions over groups of four lanes, and P rounded to 16 bits is the A
// operand of the next product from registers (four 32-bit registers per
// 16-wide k-step, as mma.sync's A fragment).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_WARPGROUPMMA_H
#define WEFT_TARGET_CUDA_WARPGROUPMMA_H

#include "mlir/IR/Builders.h"

namespace weft::cuda {

/// The dynamic shared memory a block may opt into on sm_90 (227 KiB).
constexpr int64_t kMaxSharedBytesPerBlockSm90 = 227 * 1024;

/// Bytes of a TMA swizzle span and of the row group it repeats over.
constexpr int64_t kSwizzleBytes = 128, kSwizzleAtomBytes = 1024;
/// Elements of a 16-bit panel row.
constexpr int64_t kPanelColumns = kSwizzleBytes / 2;

/// The wgmma instructions of one warpgroup for 16-bit inputs.
class WarpgroupMma {
public:
  using Accumulator = llvm::SmallVector<mlir::Value>;

  /// `element` is f16 or bf16.
  WarpgroupMma(mlir::OpBuilder &b, mlir::Location loc, mlir::Type element);

  /// The descriptor of a K-major operand at `address` (A, or B stored
  /// transposed as [n][k]: the keys of Q·Kᵀ): 8-row groups 1024 bytes
  /// apart, k-steps 32 bytes apart within a panel.
  mlir::Value kMajorDescriptor(mlir::Value address);
  /// The descriptor of an N-major B operand at `address` (stored [k][n]:
  /// the values of P·V): 8-row groups of k 1024 bytes apart, 64-column
  /// panels of n `panelBytes` apart.
  mlir::Value nMajorDescriptor(mlir::Value address, int64_t panelBytes);
  /// `descriptor` advanced by `bytes` (a multiple of 16).
  mlir::Value advance(mlir::Value descriptor, int64_t bytes);

  /// D = A·B (+ D when `accumulate`) for A (64 x 16) and B (16 x n, K-major)
  /// in shared memory.
  Accumulator mmaShared(mlir::Value descriptorA, mlir::Value descriptorB,
                        const Accumulator &d, int64_t n, bool accumulate);
  /// D += A·B for A from registers (the four 32-bit registers of its
  /// 64 x 16 fragment) and B (16 x n, N-major) in shared memory.
  Accumulator mmaRegisterA(llvm::ArrayRef<mlir::Value> a,
                           mlir::Value descriptorB, const Accumulator &d,
                           int64_t n);

  /// Orders this warpgroup's register and shared-memory writes before the
  /// wgmma instructions that follow (required before the first of a group).
  /// `operands` are the registers those instructions read (accumulators, A
  /// fragments): each passes through an empty asm first, so that every one
  /// is its own register, written before the fence (the compiler would
  /// otherwise copy shared values into the tied accumulator registers after
  /// it, which the ISA leaves undefined).
  void fence(llvm::MutableArrayRef<mlir::Value> operands = {});
  /// Closes the group of wgmma instructions issued since the last commit.
  void commit();
  /// Waits until at most `pending` committed groups are in flight; their
  /// accumulators are then readable.
  void wait(int64_t pending);

  /// Accumulator element k's row offset within the thread's 16-row slab
  /// (0 or 8) and its column offset from 2·t.
  static int64_t rowOffset(int64_t k) { return 8 * ((k / 2) % 2); }
  static int64_t columnOffset(int64_t k) { return 8 * (k / 4) + k % 2; }

private:
  mlir::Type accumulatorType(int64_t n);
  mlir::Value pack(const Accumulator &d, int64_t n);
  Accumulator unpack(mlir::Value d, int64_t n);

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Type element;
};

/// A group of mbarriers in shared memory, each counting one arrival and the
/// bytes TMA copies complete on it. They live in the kernel's dynamic shared
/// memory with its tiles (static shared variables would sit wherever ptxas
/// puts them relative to the dynamic region's symbol, which the tiles'
/// alignment reckons from).
class TmaBarriers {
public:
  /// `count` barriers in `storage` (memref<count x i64> in workgroup memory,
  /// 8-byte aligned).
  TmaBarriers(mlir::OpBuilder &b, mlir::Location loc, mlir::Value storage,
              int64_t count);

  /// Initializes every barrier; the caller guards this to one thread and
  /// synchronizes the block after it.
  void init();
  /// Arms barrier `index` to expect `bytes` (one thread).
  void expectBytes(mlir::Value index, int64_t bytes);
  /// Copies the box of `tensorMap` at `coordinates` (innermost first) into
  /// `destination`, completing on barrier `index` (one thread).
  void load(mlir::Value tensorMap, mlir::ValueRange coordinates,
            mlir::Value index, mlir::Value destination);
  /// Waits until barrier `index` completes the phase of `parity` (i1).
  void wait(mlir::Value index, mlir::Value parity);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Value group;
};

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_WARPGROUPMMA_H
