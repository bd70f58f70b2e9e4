//===- ShardingStrategy.h - One way to split an operator -----------*- C++ -*-===//
//
// A strategy states how an op runs on a mesh: the sharding it needs on each
// operand, the sharding of each result (possibly a pending partial sum), its
// time on one device and the collectives it issues itself. Ops enumerate
// their strategies through ShardingStrategyOpInterface; a loop-space
// description (LoopSpace.h) derives them for most ops.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_SHARDINGSTRATEGY_H
#define WEFT_SHARDING_SHARDINGSTRATEGY_H

#include "weft/Sharding/CostModel.h"
#include "weft/Sharding/TensorSharding.h"

#include <string>

namespace weft::sharding {

struct ShardingStrategy {
  /// Readable name: the kind of parallelism and the mesh axes it uses,
  /// e.g. `column-parallel(gpu)` or `data-parallel(node) head-parallel(gpu)`.
  std::string name;
  /// Required sharding of each operand, in operand order.
  llvm::SmallVector<TensorSharding, 3> operands;
  /// Sharding of each result as produced.
  llvm::SmallVector<TensorSharding, 1> results;
  /// Time of the op's own arithmetic on one device.
  double computeTime = 0;
  /// Collectives the op issues inside itself (e.g. the statistics of a
  /// normalization over a split dimension), and their total time.
  llvm::SmallVector<Collective, 1> collectives;
  double communicationTime = 0;

  double getTime() const { return computeTime + communicationTime; }
};

/// What strategy enumeration needs to know about the machine.
struct StrategyContext {
  const CostModel &costModel;
  const MeshModel &getMesh() const { return costModel.getMesh(); }
};

} // namespace weft::sharding

#endif // WEFT_SHARDING_SHARDINGSTRATEGY_H
