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

#include "mlir/Support/LLVM.h"
#include "llvm/Support/LogicalResult.h"

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

/// The steps from `from` to `to`: local slices and reduce-scatters first
/// (they shrink the buffer), then all-reduces, all-to-alls, and all-gathers
/// last (they grow it). Shrinking steps go over fast links first and
/// gathers over slow links first (`fastFirst` lists the mesh axes from the
/// fastest link to the slowest), as long as every step cuts or joins whole
/// blocks: a dimension split over several axes nests them, the first
/// outermost, so only its innermost axis can be added or removed in place.
/// When no order does that (an outer axis changes while an inner one
/// stays), the dimension is gathered whole and cut again. Each step's
/// `before` and `after` are filled in.
llvm::SmallVector<ReshardStep, 2> planReshard(const TensorSharding &from,
                                              const TensorSharding &to,
                                              llvm::ArrayRef<int64_t> fastFirst);

/// The sharding after `step` from `current`, or failure when the step would
/// not cut or join whole blocks.
mlir::FailureOr<TensorSharding> applyStep(const TensorSharding &current,
                                          const ReshardStep &step);

} // namespace weft::sharding

#endif // WEFT_SHARDING_RESHARD_H
