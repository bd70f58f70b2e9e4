//===- ShardingProblem.h - A function's sharding choices as a graph -*- C++ -*-===//
//
// The auto-sharder's model of one function: a node per op (or per op with
// the followers merged into it) holding that node's strategies and their
// costs, an edge per data dependence holding the resharding cost of every
// (producer strategy, consumer strategy) pair, and the live ranges and
// parameter bytes the memory constraint sums. Identical transformer blocks
// are found as a repeated run of node signatures; the nodes at the same
// place in each repeat share one choice (a "strategy set") unless untied.
//
// Function arguments and constants are sources: weights and inputs are read
// from files, so each consumer reads the slice it needs at no run-time
// cost, and the bytes count as parameters of the consumer.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_SHARDINGPROBLEM_H
#define WEFT_SHARDING_SHARDINGPROBLEM_H

#include "weft/Sharding/ShardingStrategy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

namespace weft::sharding {

struct ProblemOptions {
  /// Share one strategy set between the nodes of identical blocks.
  bool tieLayers = true;
  /// Merge ops that follow their operand into its producer.
  bool mergeFollowers = true;
};

struct ProblemNode {
  /// The ops decided together: the leader first, then its followers.
  llvm::SmallVector<mlir::Operation *, 2> ops;
  /// For each strategy of the node, the strategy index of each op.
  llvm::SmallVector<llvm::SmallVector<unsigned, 2>> opStrategies;
  /// Time of each strategy: the ops' compute and own collectives, plus
  /// resharding into the function's results.
  llvm::SmallVector<double> cost;
  /// The part of `cost` that reshards into the function results (empty when
  /// the node produces none).
  llvm::SmallVector<double> resultCost;
  /// Per strategy, the bytes of weights, inputs and constants the node's
  /// ops hold on one device.
  llvm::SmallVector<double> parameterBytes;
  /// The strategy set (ILP variables) this node uses.
  unsigned strategySet = 0;
  /// Index of the repeated block the node belongs to, or -1.
  int64_t layer = -1;

  unsigned getNumStrategies() const { return cost.size(); }
};

struct ProblemEdge {
  unsigned from, to;
  /// Row-major [from strategies x to strategies] resharding time.
  llvm::SmallVector<double> cost;
  /// Resharded copies the consumer holds: per program point, the bytes per
  /// strategy pair (row-major like `cost`; 0 where no reshard happens).
  llvm::SmallVector<std::pair<unsigned, llvm::SmallVector<double>>, 1> copies;
};

/// A value that lives in device memory between program points.
struct LiveRange {
  unsigned node;
  /// Per strategy of `node`, its bytes on one device.
  llvm::SmallVector<double> bytes;
  unsigned begin, end; ///< program points, inclusive
};

/// The evaluation of one choice of strategies.
struct PlanCost {
  double time = 0;
  double peakMemory = 0;
  double parameterBytes = 0;
};

class ShardingProblem {
public:
  /// Builds the problem for `func`. Fails, through `emitError`, on a value
  /// whose sharding annotation names another mesh.
  static mlir::FailureOr<ShardingProblem>
  build(mlir::func::FuncOp func, const StrategyContext &context,
        const ProblemOptions &options);

  llvm::ArrayRef<ProblemNode> getNodes() const { return nodes; }
  llvm::ArrayRef<ProblemEdge> getEdges() const { return edges; }
  llvm::ArrayRef<LiveRange> getLiveRanges() const { return liveRanges; }
  unsigned getNumPoints() const { return numPoints; }
  unsigned getNumStrategySets() const { return numStrategySets; }
  unsigned getNumLayers() const { return numLayers; }
  unsigned getNumOps() const { return numOps; }
  bool isTied() const { return tied; }
  /// The strategies of `op` (every op that has a node).
  llvm::ArrayRef<ShardingStrategy> getStrategies(mlir::Operation *op) const;
  /// Strategy count of each strategy set.
  unsigned getSetSize(unsigned set) const;

  /// Time, peak memory and parameter bytes of choosing `setChoice[s]` in
  /// every strategy set `s`.
  PlanCost evaluate(llvm::ArrayRef<unsigned> setChoice) const;

  /// The optimum by trying every choice, for problems with at most `limit`
  /// combinations (tests compare the ILP against it). Returns nothing when
  /// the problem is larger or no choice fits `memoryBudget`.
  std::optional<std::pair<llvm::SmallVector<unsigned>, PlanCost>>
  solveByEnumeration(double memoryBudget, uint64_t limit) const;

private:
  llvm::SmallVector<ProblemNode, 0> nodes;
  llvm::SmallVector<ProblemEdge, 0> edges;
  llvm::SmallVector<LiveRange, 0> liveRanges;
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<ShardingStrategy, 0>>
      strategies;
  unsigned numPoints = 0, numStrategySets = 0, numLayers = 0, numOps = 0;
  bool tied = false;
};

} // namespace weft::sharding

#endif // WEFT_SHARDING_SHARDINGPROBLEM_H
