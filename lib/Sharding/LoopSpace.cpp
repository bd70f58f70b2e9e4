//===- LoopSpace.cpp - Strategies from an op's iteration space -------------===//
//
// Enumerates the assignments of mesh axes to loop dimensions and turns each
// into a ShardingStrategy (see LoopSpace.h).
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/LoopSpace.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

StringRef weft::sharding::getParallelismName(Parallelism parallelism) {
  switch (parallelism) {
  case Parallelism::Data:
    return "data-parallel";
  case Parallelism::Sequence:
    return "sequence-parallel";
  case Parallelism::Head:
    return "head-parallel";
  case Parallelism::Column:
    return "column-parallel";
  case Parallelism::Row:
    return "row-parallel";
  case Parallelism::Vocab:
    return "vocab-parallel";
  case Parallelism::Hidden:
    return "hidden-parallel";
  case Parallelism::Other:
    return "split";
  }
  return "split";
}

int64_t LoopSpace::addDim(Parallelism parallelism, int64_t size,
                          bool splittable, bool reduction) {
  dims.push_back({parallelism, size, splittable, reduction});
  return dims.size() - 1;
}

/// The sharding of a tensor whose dimensions follow `tensorDims` under
/// `assignment`; `partial` adds the axes of split reduction dimensions.
static TensorSharding shardingFor(ArrayRef<int64_t> tensorDims,
                                  LoopAssignment assignment,
                                  const LoopSpace &space, bool partial) {
  TensorSharding sharding = TensorSharding::replicated(tensorDims.size());
  for (auto [dim, loopDim] : llvm::enumerate(tensorDims))
    if (loopDim >= 0)
      sharding.dimAxes[dim].assign(assignment[loopDim].begin(),
                                   assignment[loopDim].end());
  if (partial) {
    for (auto [loopDim, axes] : llvm::enumerate(assignment))
      if (space.dims[loopDim].reduction)
        sharding.partialAxes.append(axes.begin(), axes.end());
    llvm::sort(sharding.partialAxes);
  }
  return sharding;
}

double weft::sharding::getStrategyComputeTime(Operation *op,
                                              const LoopSpace &space,
                                              const ShardingStrategy &strategy,
                                              int64_t workShare,
                                              const StrategyContext &context) {
  const CostModel &model = context.costModel;
  double bytes = 0;
  for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
    if (index < space.operandStreamed.size() && !space.operandStreamed[index])
      continue;
    auto type = cast<ShapedType>(operand.getType());
    bytes += model.getLocalBytes(strategy.operands[index], type.getShape(),
                                 getElementBytes(type));
  }
  for (auto [index, result] : llvm::enumerate(op->getResults())) {
    auto type = cast<ShapedType>(result.getType());
    // A result an unstreamed operand feeds (gathered rows) is read and
    // written once each.
    double factor = llvm::is_contained(space.operandStreamed, false) ? 2 : 1;
    bytes += factor * model.getLocalBytes(strategy.results[index],
                                          type.getShape(),
                                          getElementBytes(type));
  }
  return model.getComputeTime(space.flops / workShare, bytes,
                              space.elementType);
}

void weft::sharding::enumerateLoopStrategies(
    Operation *op, const LoopSpace &space, const StrategyContext &context,
    SmallVectorImpl<ShardingStrategy> &strategies, StrategyAdjuster adjust) {
  const MeshModel &mesh = context.getMesh();
  int64_t meshRank = mesh.getRank();
  int64_t numDims = space.dims.size();
  // choice[a] in [0, numDims]: the loop dimension axis a splits, numDims
  // for none. Counting through all choices enumerates (numDims+1)^rank
  // assignments, replicated first.
  SmallVector<int64_t> choice(meshRank, numDims);
  auto advance = [&] {
    for (int64_t axis = meshRank - 1; axis >= 0; --axis) {
      if (choice[axis] > 0) {
        --choice[axis];
        for (int64_t later = axis + 1; later < meshRank; ++later)
          choice[later] = numDims;
        return true;
      }
    }
    return false;
  };
  // Counting down from "all unused" visits the replicated strategy first.
  do {
    SmallVector<SmallVector<int64_t, 2>, 6> assignment(numDims);
    for (int64_t axis = 0; axis < meshRank; ++axis)
      if (choice[axis] < numDims)
        assignment[choice[axis]].push_back(axis);
    bool valid = true;
    int64_t workShare = 1;
    for (auto [loopDim, axes] : llvm::enumerate(assignment)) {
      if (axes.empty())
        continue;
      int64_t group = 1;
      for (int64_t axis : axes)
        group *= mesh.shape[axis];
      const LoopDim &dim = space.dims[loopDim];
      if (!dim.splittable || dim.size % group != 0) {
        valid = false;
        break;
      }
      workShare *= group;
    }
    if (!valid)
      continue;

    ShardingStrategy strategy;
    for (ArrayRef<int64_t> dims : space.operandDims)
      strategy.operands.push_back(
          shardingFor(dims, assignment, space, /*partial=*/false));
    // Operands outside the loop space (an index offset) are scalars.
    while (strategy.operands.size() < op->getNumOperands())
      strategy.operands.push_back(TensorSharding::replicated(0));
    for (ArrayRef<int64_t> dims : space.resultDims)
      strategy.results.push_back(
          shardingFor(dims, assignment, space, /*partial=*/true));
    llvm::raw_string_ostream name(strategy.name);
    bool first = true;
    for (auto [loopDim, axes] : llvm::enumerate(assignment)) {
      if (axes.empty())
        continue;
      name << (first ? "" : " ")
           << getParallelismName(space.dims[loopDim].parallelism) << "(";
      llvm::interleave(
          axes, name, [&](int64_t axis) { name << mesh.axisNames[axis]; },
          ",");
      name << ")";
      first = false;
    }
    if (first)
      name << "replicated";
    strategy.computeTime =
        getStrategyComputeTime(op, space, strategy, workShare, context);
    if (adjust && !adjust(assignment, strategy))
      continue;
    strategy.communicationTime = 0;
    for (const Collective &collective : strategy.collectives)
      strategy.communicationTime +=
          context.costModel.getCollectiveTime(collective);
    strategies.push_back(std::move(strategy));
  } while (advance());
}
