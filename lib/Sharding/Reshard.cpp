//===- Reshard.cpp - The collectives between two shardings -----------------===//
//
// The step order is stated in Reshard.h; each step records the sharding
// before and after it so that callers can size buffers and types.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/Reshard.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

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

FailureOr<TensorSharding> weft::sharding::applyStep(const TensorSharding &current,
                                                    const ReshardStep &step) {
  TensorSharding next = current;
  auto innermost = [&](const TensorSharding &sharding, int64_t dim) {
    return !sharding.dimAxes[dim].empty() &&
           sharding.dimAxes[dim].back() == step.axis;
  };
  switch (step.kind) {
  case ReshardStep::Kind::Slice:
  case ReshardStep::Kind::ReduceScatter:
    llvm::erase(next.partialAxes, step.axis);
    next.dimAxes[step.dim].push_back(step.axis);
    llvm::sort(next.dimAxes[step.dim]);
    if (!innermost(next, step.dim))
      return failure();
    break;
  case ReshardStep::Kind::AllReduce:
    llvm::erase(next.partialAxes, step.axis);
    break;
  case ReshardStep::Kind::AllToAll:
    if (!innermost(current, step.dim))
      return failure();
    llvm::erase(next.dimAxes[step.dim], step.axis);
    next.dimAxes[step.toDim].push_back(step.axis);
    llvm::sort(next.dimAxes[step.toDim]);
    if (!innermost(next, step.toDim))
      return failure();
    break;
  case ReshardStep::Kind::AllGather:
    if (!innermost(current, step.dim))
      return failure();
    llvm::erase(next.dimAxes[step.dim], step.axis);
    break;
  }
  return next;
}

/// Fills in the before/after shardings of `steps` from `from`; false when a
/// step does not cut or join whole blocks or the end is not `to`.
static bool runsInPlace(const TensorSharding &from, const TensorSharding &to,
                        llvm::MutableArrayRef<ReshardStep> steps) {
  TensorSharding current = from;
  for (ReshardStep &step : steps) {
    FailureOr<TensorSharding> next = applyStep(current, step);
    if (failed(next))
      return false;
    step.before = current;
    step.after = *next;
    current = *next;
  }
  return current == to;
}

llvm::SmallVector<ReshardStep, 2>
weft::sharding::planReshard(const TensorSharding &from,
                            const TensorSharding &to,
                            llvm::ArrayRef<int64_t> fastFirst) {
  llvm::SmallVector<ReshardStep, 2> steps;
  if (from == to)
    return steps;
  using Kind = ReshardStep::Kind;
  auto add = [&](Kind kind, int64_t axis, int64_t dim, int64_t toDim) {
    steps.push_back({kind, axis, dim, toDim, {}, {}});
  };
  int64_t meshRank = fastFirst.size();
  // Which step each mesh axis needs.
  for (int64_t axis = 0; axis < meshRank; ++axis) {
    int64_t fromDim = from.getSplitDim(axis), toDim = to.getSplitDim(axis);
    bool partial = from.isPartialOn(axis);
    if (partial && toDim >= 0)
      add(Kind::ReduceScatter, axis, toDim, -1);
    else if (partial && !to.isPartialOn(axis))
      add(Kind::AllReduce, axis, -1, -1);
    else if (fromDim < 0 && toDim >= 0 && !partial)
      add(Kind::Slice, axis, toDim, -1);
    else if (fromDim >= 0 && toDim >= 0 && fromDim != toDim)
      add(Kind::AllToAll, axis, fromDim, toDim);
    else if (fromDim >= 0 && toDim < 0)
      add(Kind::AllGather, axis, fromDim, -1);
    else if (fromDim >= 0 && fromDim == toDim) {
      // Same dimension: the block stays when the axes outside it do.
      ArrayRef<int64_t> before = from.dimAxes[fromDim], after = to.dimAxes[toDim];
      size_t i = llvm::find(before, axis) - before.begin();
      size_t j = llvm::find(after, axis) - after.begin();
      if (before.take_front(i) != after.take_front(j)) {
        add(Kind::AllGather, axis, fromDim, -1);
        add(Kind::Slice, axis, toDim, -1);
      }
    }
  }
  // Order: local slices and reduce-scatters (they shrink the buffer), then
  // all-reduces, all-to-alls, and all-gathers last (they grow it).
  auto group = [](Kind kind) {
    switch (kind) {
    case Kind::Slice:
    case Kind::ReduceScatter:
      return 0;
    case Kind::AllReduce:
      return 1;
    case Kind::AllToAll:
      return 2;
    case Kind::AllGather:
      return 3;
    }
    return 3;
  };
  auto position = [&](int64_t axis) {
    return llvm::find(fastFirst, axis) - fastFirst.begin();
  };
  // First choice: shrinking steps over fast links first (the slow ones then
  // move less), gathers over slow links first. A dimension split over
  // several axes nests them, the first outermost, so only its innermost
  // axis can be added or removed in place; when the link order breaks
  // that, order by nesting instead.
  auto byLinks = [&](const ReshardStep &a, const ReshardStep &b) {
    if (group(a.kind) != group(b.kind))
      return group(a.kind) < group(b.kind);
    if (a.kind == Kind::AllGather)
      return position(a.axis) > position(b.axis);
    return position(a.axis) < position(b.axis);
  };
  auto byNesting = [&](const ReshardStep &a, const ReshardStep &b) {
    if (group(a.kind) != group(b.kind))
      return group(a.kind) < group(b.kind);
    if (a.kind == Kind::AllGather)
      return a.axis > b.axis;
    return a.axis < b.axis;
  };
  llvm::stable_sort(steps, byLinks);
  if (runsInPlace(from, to, steps))
    return steps;
  llvm::stable_sort(steps, byNesting);
  if (runsInPlace(from, to, steps))
    return steps;
  // An outer axis of a dimension changes while an inner one stays: reduce
  // the partial sums, gather each changing dimension whole (innermost axis
  // first) and cut it again as the target splits it.
  steps.clear();
  for (int64_t axis : from.partialAxes)
    if (!to.isPartialOn(axis))
      add(Kind::AllReduce, axis, -1, -1);
  for (int64_t dim = 0; dim < from.getRank(); ++dim)
    if (from.dimAxes[dim] != to.dimAxes[dim])
      for (int64_t axis : llvm::reverse(from.dimAxes[dim]))
        add(Kind::AllGather, axis, dim, -1);
  for (int64_t dim = 0; dim < from.getRank(); ++dim)
    if (from.dimAxes[dim] != to.dimAxes[dim])
      for (int64_t axis : to.dimAxes[dim])
        add(Kind::Slice, axis, dim, -1);
  (void)runsInPlace(from, to, steps);
  return steps;
}
