//===- TensorSharding.h - A tensor's layout over a mesh ------------*- C++ -*-===//
//
// The value-level view of `#mesh.sharding` the auto-sharder computes with:
// per tensor dimension the mesh axes that split it, and the axes along which
// the value is a pending partial sum. Unlike the attribute it names no mesh
// symbol and always has one entry per tensor dimension, so that shardings of
// one tensor compare with `==` and hash.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_TENSORSHARDING_H
#define WEFT_SHARDING_TENSORSHARDING_H

#include "weft/Dialect/Mesh/IR/MeshDialect.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace weft::sharding {

struct TensorSharding {
  /// Mesh axes splitting each tensor dimension, outermost first.
  llvm::SmallVector<llvm::SmallVector<int64_t, 2>, 4> dimAxes;
  /// Mesh axes along which every device holds a partial sum.
  llvm::SmallVector<int64_t, 2> partialAxes;

  /// Nothing split, nothing partial, for a tensor of `rank` dimensions.
  static TensorSharding replicated(int64_t rank);
  /// The sharding an attribute states for a tensor of `rank` dimensions.
  static TensorSharding fromAttr(mesh::ShardingAttr attr, int64_t rank);
  /// The attribute for this sharding on mesh `meshSymbol`.
  mesh::ShardingAttr toAttr(mlir::FlatSymbolRefAttr meshSymbol) const;

  int64_t getRank() const { return dimAxes.size(); }
  bool isReplicated() const;
  bool isPartial() const { return !partialAxes.empty(); }
  /// The dimension mesh axis `axis` splits, or -1.
  int64_t getSplitDim(int64_t axis) const;
  bool isPartialOn(int64_t axis) const;

  /// Devices sharing one slice along `dim`: the product of the sizes of the
  /// axes splitting it.
  int64_t getSplitCount(int64_t dim, llvm::ArrayRef<int64_t> meshShape) const;
  /// The largest slice any device holds (a split that does not divide its
  /// dimension leaves the first devices one element more).
  llvm::SmallVector<int64_t, 4>
  getLocalShape(llvm::ArrayRef<int64_t> shape,
                llvm::ArrayRef<int64_t> meshShape) const;
  /// The elements of the largest slice.
  int64_t getLocalElements(llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<int64_t> meshShape) const;

  /// `[[0], [], [1]] partial=[1]` with axis names, for reports.
  std::string str(llvm::ArrayRef<std::string> axisNames) const;

  bool operator==(const TensorSharding &other) const {
    return dimAxes == other.dimAxes && partialAxes == other.partialAxes;
  }
  bool operator!=(const TensorSharding &other) const {
    return !(*this == other);
  }
};

} // namespace weft::sharding

#endif // WEFT_SHARDING_TENSORSHARDING_H
