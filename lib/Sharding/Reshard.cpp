//===- Reshard.cpp - The collectives between two shardings -----------------===//
//
// The step order is stated in Reshard.h; each step records the sharding
// before and after it so that callers can size buffers and types.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/Reshard.h"

#include "llvm/ADT/STLExtras.h"

using namespace weft;
using namespace weft::sharding;

llvm::StringRef weft::sharding::stringifyCollectiveKind(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::AllReduce:
    return "all_reduce";
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  }
  return "collective";
}

std::optional<CollectiveKind> ReshardStep::getCollectiveKind() const {
  switch (kind) {
  case Kind::Slice:
    return std::nullopt;
  case Kind::AllReduce:
    return CollectiveKind::AllReduce;
  case Kind::ReduceScatter:
    return CollectiveKind::ReduceScatter;
  case Kind::AllToAll:
    return CollectiveKind::AllToAll;
  case Kind::AllGather:
    return CollectiveKind::AllGather;
  }
  return std::nullopt;
}

llvm::SmallVector<ReshardStep, 2>
weft::sharding::planReshard(const TensorSharding &from,
                            const TensorSharding &to,
                            llvm::ArrayRef<int64_t> fastFirst) {
  llvm::SmallVector<ReshardStep, 2> steps;
  TensorSharding current = from;
  auto addSplit = [&](int64_t axis, int64_t dim) {
    auto &axes = current.dimAxes[dim];
    axes.push_back(axis);
    llvm::sort(axes);
  };
  auto dropSplit = [&](int64_t axis) {
    for (auto &axes : current.dimAxes)
      llvm::erase(axes, axis);
  };
  auto step = [&](ReshardStep::Kind kind, int64_t axis, int64_t dim,
                  int64_t toDim, llvm::function_ref<void()> apply) {
    ReshardStep s{kind, axis, dim, toDim, current, {}};
    apply();
    s.after = current;
    steps.push_back(std::move(s));
  };
  if (from == to)
    return steps;

  // 1. Splits the target adds on axes the source leaves whole.
  for (int64_t axis : fastFirst) {
    int64_t dim = to.getSplitDim(axis);
    if (dim >= 0 && current.getSplitDim(axis) < 0 && !current.isPartialOn(axis))
      step(ReshardStep::Kind::Slice, axis, dim, -1,
           [&] { addSplit(axis, dim); });
  }
  // 2. Partial sums the target splits.
  for (int64_t axis : fastFirst) {
    int64_t dim = to.getSplitDim(axis);
    if (dim >= 0 && current.isPartialOn(axis))
      step(ReshardStep::Kind::ReduceScatter, axis, dim, -1, [&] {
        llvm::erase(current.partialAxes, axis);
        addSplit(axis, dim);
      });
  }
  // 3. Partial sums the target needs whole.
  for (int64_t axis : fastFirst)
    if (current.isPartialOn(axis) && !to.isPartialOn(axis))
      step(ReshardStep::Kind::AllReduce, axis, -1, -1,
           [&] { llvm::erase(current.partialAxes, axis); });
  // 4. Splits moving to another dimension.
  for (int64_t axis : fastFirst) {
    int64_t fromDim = current.getSplitDim(axis), toDim = to.getSplitDim(axis);
    if (fromDim >= 0 && toDim >= 0 && fromDim != toDim)
      step(ReshardStep::Kind::AllToAll, axis, fromDim, toDim, [&] {
        dropSplit(axis);
        addSplit(axis, toDim);
      });
  }
  // 5. Splits the target does not have.
  for (int64_t axis : llvm::reverse(fastFirst)) {
    int64_t dim = current.getSplitDim(axis);
    if (dim >= 0 && to.getSplitDim(axis) < 0)
      step(ReshardStep::Kind::AllGather, axis, dim, -1,
           [&] { dropSplit(axis); });
  }
  // Whole values becoming partial ones (one device keeps the value, the
  // others zeros) need no step in the model.
  return steps;
}
