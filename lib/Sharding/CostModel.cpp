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

SmallVector<int64_t> CostModel::getAxesFastestFirst() const {
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, mesh.getRank()));
  llvm::stable_sort(axes, [&](int64_t a, int64_t b) {
    return mesh.links[a].bandwidth > mesh.links[b].bandwidth;
  });
  return axes;
}

SmallVector<Collective>
CostModel::getReshardCollectives(const TensorSharding &from,
                                 const TensorSharding &to,
                                 ArrayRef<int64_t> shape,
                                 int64_t elementBytes) const {
  SmallVector<Collective> collectives;
  for (const ReshardStep &step : planReshard(from, to, getAxesFastestFirst())) {
    std::optional<CollectiveKind> kind = step.getCollectiveKind();
    if (!kind)
      continue;
    // A gather moves its result; the others their input.
    const TensorSharding &buffer =
        *kind == CollectiveKind::AllGather ? step.after : step.before;
    collectives.push_back(
        {*kind, step.axis, getLocalBytes(buffer, shape, elementBytes)});
  }
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
