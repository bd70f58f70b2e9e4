//===- LoopSpace.h - Strategies from an op's iteration space -------*- C++ -*-===//
//
// Most ops are loop nests over a few named dimensions: a linear layer over
// rows, output features and input features; attention over batch, queries
// and heads. Describing that space once, with the tensor dimension each
// operand and result reads from it, yields every strategy: each mesh axis
// either splits one loop dimension or is left alone, splitting a reduction
// dimension leaves the results partial, and the compute time is the
// roofline of the per-device share. On a 2-D mesh this enumerates the
// combinations that use both axes (rows over one, columns over the other)
// and joint splits of one dimension over both.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_LOOPSPACE_H
#define WEFT_SHARDING_LOOPSPACE_H

#include "weft/Sharding/ShardingStrategy.h"

#include "mlir/IR/Operation.h"

namespace weft::sharding {

/// What splitting a loop dimension means, for strategy names.
enum class Parallelism {
  Data,     ///< the batch
  Sequence, ///< tokens
  Head,     ///< attention heads
  Column,   ///< output features of a linear map (Megatron column parallel)
  Row,      ///< input features, the reduction (Megatron row parallel)
  Vocab,    ///< the rows of an embedding table
  Hidden,   ///< model width outside a linear map
  Other,
};

llvm::StringRef getParallelismName(Parallelism parallelism);

/// One dimension of an op's iteration space.
struct LoopDim {
  Parallelism parallelism;
  int64_t size;
  /// Whether a mesh axis may split it (the dimension a softmax or an
  /// attention's keys reduce over may not).
  bool splittable = true;
  /// Whether splitting it leaves the results as partial sums.
  bool reduction = false;
};

struct LoopSpace {
  llvm::SmallVector<LoopDim, 6> dims;
  /// For each operand, for each of its dimensions, the loop dimension it
  /// follows, or -1 when that tensor dimension is never split (broadcast).
  llvm::SmallVector<llvm::SmallVector<int64_t, 4>, 3> operandDims;
  llvm::SmallVector<llvm::SmallVector<int64_t, 4>, 1> resultDims;
  /// Operands read whole (true) or only where the results need them
  /// (false: the rows an embedding gathers), for the memory traffic.
  llvm::SmallVector<bool, 3> operandStreamed;
  /// Arithmetic of the whole op.
  double flops = 0;
  mlir::Type elementType;

  /// Adds a loop dimension and returns its index.
  int64_t addDim(Parallelism parallelism, int64_t size, bool splittable = true,
                 bool reduction = false);
};

/// Mesh axes per loop dimension: one enumerated assignment.
using LoopAssignment = llvm::ArrayRef<llvm::SmallVector<int64_t, 2>>;

/// Called with each valid assignment and the strategy derived from it; may
/// change the strategy (e.g. grouped-query key/value shardings, collectives
/// the op issues) or return false to drop it.
using StrategyAdjuster =
    llvm::function_ref<bool(LoopAssignment assignment, ShardingStrategy &)>;

/// Appends the strategies of `op` described by `space`: every assignment of
/// mesh axes to splittable loop dimensions whose sizes the groups divide,
/// starting with the replicated one.
void enumerateLoopStrategies(mlir::Operation *op, const LoopSpace &space,
                             const StrategyContext &context,
                             llvm::SmallVectorImpl<ShardingStrategy> &strategies,
                             StrategyAdjuster adjust = nullptr);

/// The roofline time of a strategy from its shardings: `flops` divided by
/// the number of devices sharing the work, and the local bytes of every
/// streamed operand and every result.
double getStrategyComputeTime(mlir::Operation *op, const LoopSpace &space,
                              const ShardingStrategy &strategy,
                              int64_t workShare,
                              const StrategyContext &context);

} // namespace weft::sharding

#endif // WEFT_SHARDING_LOOPSPACE_H
