//===- Reshard.h - The collectives between two shardings -----------*- C++ -*-===//
//
// One plan for turning a tensor's sharding into another, shared by the cost
// model (which prices it) and the partitioner (which emits it), so that the
// auto-sharder pays for exactly the collectives the program will run.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_RESHARD_H
#define WEFT_SHARDING_RESHARD_H

#include "weft/Sharding/TensorSharding.h"

namespace weft::sharding {

/// The kinds of collectives the model prices.
enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll };

llvm::StringRef stringifyCollectiveKind(CollectiveKind kind);

/// One step of a reshard along one mesh axis.
struct ReshardStep {
  enum class Kind {
    Slice,         ///< keep this device's slice of `dim`; no communication
    AllReduce,     ///< sum the partial values
    ReduceScatter, ///< sum and keep this device's slice of `dim`
    AllToAll,      ///< move the split from `dim` to `toDim`
    AllGather,     ///< concatenate the group's slices of `dim`
  };
  Kind kind;
  int64_t axis;
  int64_t dim = -1;
  int64_t toDim = -1;
  /// The sharding before and after the step.
  TensorSharding before, after;

  /// The collective the step issues, if it communicates.
  std::optional<CollectiveKind> getCollectiveKind() const;
};

/// The steps from `from` to `to`, each moving the least it can:
/// local slices first, then reduce-scatters (fast links first, each shrinks
/// the buffer the slower ones move), all-reduces, all-to-alls, and
/// all-gathers last (slow links first, each grows the buffer). `fastFirst`
/// lists the mesh axes from the fastest link to the slowest.
llvm::SmallVector<ReshardStep, 2> planReshard(const TensorSharding &from,
                                           const TensorSharding &to,
                                           llvm::ArrayRef<int64_t> fastFirst);

} // namespace weft::sharding

#endif // WEFT_SHARDING_RESHARD_H
