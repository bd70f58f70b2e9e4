//===- TensorSharding.cpp - A tensor's layout over a mesh ------------------===//
//
// Conversions between the value-level sharding and `#mesh.sharding`, and the
// local sizes a sharding leaves each device.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/TensorSharding.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

TensorSharding TensorSharding::replicated(int64_t rank) {
  TensorSharding sharding;
  sharding.dimAxes.resize(rank);
  return sharding;
}

TensorSharding TensorSharding::fromAttr(mesh::ShardingAttr attr,
                                        int64_t rank) {
  TensorSharding sharding = replicated(rank);
  for (auto [dim, axes] : llvm::enumerate(attr.getSplitAxes()))
    if (static_cast<int64_t>(dim) < rank)
      sharding.dimAxes[dim].assign(axes.asArrayRef().begin(),
                                   axes.asArrayRef().end());
  sharding.partialAxes.assign(attr.getPartialAxes().begin(),
                              attr.getPartialAxes().end());
  return sharding;
}

mesh::ShardingAttr
TensorSharding::toAttr(FlatSymbolRefAttr meshSymbol) const {
  SmallVector<SmallVector<int64_t>> splitAxes;
  for (const auto &axes : dimAxes)
    splitAxes.emplace_back(axes.begin(), axes.end());
  // The attribute drops trailing unsplit dimensions.
  while (!splitAxes.empty() && splitAxes.back().empty())
    splitAxes.pop_back();
  return mesh::ShardingAttr::get(meshSymbol.getContext(), meshSymbol,
                                 splitAxes, partialAxes);
}

bool TensorSharding::isReplicated() const {
  return partialAxes.empty() &&
         llvm::all_of(dimAxes, [](const auto &axes) { return axes.empty(); });
}

int64_t TensorSharding::getSplitDim(int64_t axis) const {
  for (auto [dim, axes] : llvm::enumerate(dimAxes))
    if (llvm::is_contained(axes, axis))
      return dim;
  return -1;
}

bool TensorSharding::isPartialOn(int64_t axis) const {
  return llvm::is_contained(partialAxes, axis);
}

int64_t TensorSharding::getSplitCount(int64_t dim,
                                      ArrayRef<int64_t> meshShape) const {
  int64_t count = 1;
  for (int64_t axis : dimAxes[dim])
    count *= meshShape[axis];
  return count;
}

SmallVector<int64_t, 4>
TensorSharding::getLocalShape(ArrayRef<int64_t> shape,
                              ArrayRef<int64_t> meshShape) const {
  SmallVector<int64_t, 4> local(shape.begin(), shape.end());
  for (int64_t dim = 0, e = std::min<int64_t>(getRank(), shape.size());
       dim < e; ++dim)
    local[dim] = llvm::divideCeil(shape[dim], getSplitCount(dim, meshShape));
  return local;
}

int64_t TensorSharding::getLocalElements(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> meshShape) const {
  int64_t elements = 1;
  for (int64_t size : getLocalShape(shape, meshShape))
    elements *= size;
  return elements;
}

std::string TensorSharding::str(ArrayRef<std::string> axisNames) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto name = [&](int64_t axis) -> std::string {
    if (axis >= 0 && axis < static_cast<int64_t>(axisNames.size()))
      return axisNames[axis];
    return std::to_string(axis);
  };
  os << "[";
  llvm::interleaveComma(dimAxes, os, [&](const auto &axes) {
    os << "[";
    llvm::interleaveComma(axes, os, [&](int64_t axis) { os << name(axis); });
    os << "]";
  });
  os << "]";
  if (!partialAxes.empty()) {
    os << " partial=[";
    llvm::interleaveComma(partialAxes, os,
                          [&](int64_t axis) { os << name(axis); });
    os << "]";
  }
  return text;
}
