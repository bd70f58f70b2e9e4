//===- CostModel.cpp - Time and memory of sharded programs -----------------===//
//
// Roofline compute, alpha-beta collectives and resharding sequences; the
// formulas are stated in CostModel.h and in docs/sharding.md.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/CostModel.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

FailureOr<MeshModel>
MeshModel::fromOp(mesh::MeshOp meshOp,
                  function_ref<InFlightDiagnostic()> emitError) {
  std::optional<mesh::DeviceAttr> device = meshOp.getDevice();
  std::optional<ArrayAttr> links = meshOp.getLinks();
  if (!device || !links) {
    emitError() << "mesh '" << meshOp.getSymName()
                << "' has no hardware description; the cost model needs a "
                   "device and one link per axis (e.g. preset = "
                   "\"8xH100-NVLink\")";
    return failure();
  }
  MeshModel model;
  model.name = meshOp.getSymName().str();
  model.shape.assign(meshOp.getShape().begin(), meshOp.getShape().end());
  for (int64_t axis = 0; axis < meshOp.getRank(); ++axis)
    model.axisNames.push_back(meshOp.getAxisName(axis));
  for (Attribute attr : *links) {
    auto link = cast<mesh::LinkAttr>(attr);
    model.links.push_back({link.getBandwidth().convertToDouble(),
                           link.getLatency().convertToDouble()});
  }
  model.device = *device;
  return model;
}

int64_t MeshModel::getNumDevices() const {
  int64_t devices = 1;
  for (int64_t size : shape)
    devices *= size;
  return devices;
}

double MeshModel::getMemoryCapacity() const {
  return device.getMemoryCapacity().convertToDouble();
}

StringRef weft::sharding::stringifyCollectiveKind(CollectiveKind kind) {
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

int64_t weft::sharding::getElementBytes(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  if (type.isIntOrIndexOrFloat() && !type.isIndex())
    return std::max<int64_t>(1, llvm::divideCeil(type.getIntOrFloatBitWidth(), 8));
  return 8;
}

double CostModel::getComputeTime(double flops, double bytes,
                                 Type elementType) const {
  std::optional<double> peak = mesh.device.getPeakFlops(elementType);
  if (!peak)
    peak = mesh.device.getPeakFlops(Float32Type::get(elementType.getContext()));
  if (!peak) {
    double largest = 0;
    for (NamedAttribute entry : mesh.device.getPeakFlops())
      largest = std::max(largest,
                         cast<FloatAttr>(entry.getValue()).getValueAsDouble());
    peak = largest;
  }
  double bandwidth = mesh.device.getMemoryBandwidth().convertToDouble();
  double computeTime = *peak > 0 ? flops / *peak : 0;
  return std::max(computeTime, bytes / bandwidth);
}

double CostModel::getCollectiveTime(const Collective &collective) const {
  double n = mesh.shape[collective.axis];
  if (n <= 1)
    return 0;
  const MeshModel::Link &link = mesh.links[collective.axis];
  double steps = n - 1;
  double fraction = (n - 1) / n;
  if (collective.kind == CollectiveKind::AllReduce) {
    steps *= 2;
    fraction *= 2;
  }
  return fraction * collective.bytes / link.bandwidth + steps * link.latency;
}

double CostModel::getLocalBytes(const TensorSharding &sharding,
                                ArrayRef<int64_t> shape,
                                int64_t elementBytes) const {
  return static_cast<double>(sharding.getLocalElements(shape, mesh.shape)) *
         elementBytes;
}

SmallVector<Collective>
CostModel::getReshardCollectives(const TensorSharding &from,
                                 const TensorSharding &to,
                                 ArrayRef<int64_t> shape,
                                 int64_t elementBytes) const {
  SmallVector<Collective> collectives;
  if (from == to)
    return collectives;
  TensorSharding current = from;
  auto localBytes = [&] {
    return getLocalBytes(current, shape, elementBytes);
  };
  auto addSplit = [&](int64_t axis, int64_t dim) {
    auto &axes = current.dimAxes[dim];
    axes.push_back(axis);
    llvm::sort(axes);
  };
  auto dropSplit = [&](int64_t axis) {
    for (auto &axes : current.dimAxes)
      llvm::erase(axes, axis);
  };
  int64_t rank = mesh.getRank();
  // Axes from the fastest link to the slowest: a reduce-scatter shrinks the
  // buffer, so the fast axes go first and the slow ones move less; an
  // all-gather grows it, so the slow axes go first.
  SmallVector<int64_t> fastFirst = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  llvm::stable_sort(fastFirst, [&](int64_t a, int64_t b) {
    return mesh.links[a].bandwidth > mesh.links[b].bandwidth;
  });

  // 1. Splits the target adds on axes the source leaves whole: each device
  //    keeps its slice, no communication.
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t dim = to.getSplitDim(axis);
    if (dim >= 0 && current.getSplitDim(axis) < 0 && !current.isPartialOn(axis))
      addSplit(axis, dim);
  }
  // 2. Partial sums the target splits: reduce-scatter leaves each device its
  //    reduced slice.
  for (int64_t axis : fastFirst) {
    int64_t dim = to.getSplitDim(axis);
    if (dim >= 0 && current.isPartialOn(axis)) {
      collectives.push_back({CollectiveKind::ReduceScatter, axis, localBytes()});
      llvm::erase(current.partialAxes, axis);
      addSplit(axis, dim);
    }
  }
  // 3. Partial sums the target needs whole: all-reduce.
  for (int64_t axis = 0; axis < rank; ++axis) {
    if (current.isPartialOn(axis) && !to.isPartialOn(axis)) {
      collectives.push_back({CollectiveKind::AllReduce, axis, localBytes()});
      llvm::erase(current.partialAxes, axis);
    }
  }
  // 4. Splits moving to another dimension: all-to-all.
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t fromDim = current.getSplitDim(axis), toDim = to.getSplitDim(axis);
    if (fromDim >= 0 && toDim >= 0 && fromDim != toDim) {
      collectives.push_back({CollectiveKind::AllToAll, axis, localBytes()});
      dropSplit(axis);
      addSplit(axis, toDim);
    }
  }
  // 5. Splits the target does not have: all-gather, last, so that it moves
  //    the smallest buffer. The cost is of the gathered result.
  for (int64_t axis : llvm::reverse(fastFirst)) {
    if (current.getSplitDim(axis) >= 0 && to.getSplitDim(axis) < 0) {
      dropSplit(axis);
      collectives.push_back({CollectiveKind::AllGather, axis, localBytes()});
    }
  }
  // Whole values becoming partial ones (one device keeps the value, the
  // others zeros) cost nothing.
  return collectives;
}

double CostModel::getReshardTime(const TensorSharding &from,
                                 const TensorSharding &to,
                                 ArrayRef<int64_t> shape,
                                 int64_t elementBytes) const {
  double time = 0;
  for (const Collective &collective :
       getReshardCollectives(from, to, shape, elementBytes))
    time += getCollectiveTime(collective);
  return time;
}
