//===- CostModel.h - Time and memory of sharded programs -----------*- C++ -*-===//
//
// The numbers the auto-sharder minimises, read from the mesh's hardware
// description (`mesh.mesh` with a device and one link per axis):
//
// * compute: a roofline per device, max(FLOPs / peak, bytes / memory
//   bandwidth), with the peak of the element type;
// * collectives along one mesh axis of n devices with link bandwidth bw and
//   step latency a (alpha-beta, ring algorithms):
//     all-reduce                     2(n-1)/n · bytes/bw + 2(n-1) · a
//     all-gather, reduce-scatter     (n-1)/n · bytes/bw + (n-1) · a
//     all-to-all                     (n-1)/n · bytes/bw + (n-1) · a
//   where `bytes` is the full per-device buffer: the reduced tensor, the
//   gathered result, the scattered input, the exchanged tensor. Collectives
//   over several axes run per axis in turn;
// * resharding: the cheapest sequence of per-axis collectives turning one
//   sharding of a tensor into another;
// * memory: the bytes of the largest slice a device holds.
//
// All times are in seconds.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_COSTMODEL_H
#define WEFT_SHARDING_COSTMODEL_H

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Sharding/Reshard.h"
#include "weft/Sharding/TensorSharding.h"

#include "mlir/IR/Types.h"

#include <string>

namespace weft::sharding {

/// A mesh with its hardware, as plain numbers.
struct MeshModel {
  struct Link {
    double bandwidth; ///< bytes per second, per device and direction
    double latency;   ///< seconds per collective step
  };
  std::string name;
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<std::string> axisNames;
  llvm::SmallVector<Link> links;
  mesh::DeviceAttr device;

  /// Reads `meshOp`; fails, through `emitError`, when it lacks the hardware
  /// description the cost model needs.
  static mlir::FailureOr<MeshModel>
  fromOp(mesh::MeshOp meshOp,
         llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

  int64_t getRank() const { return shape.size(); }
  int64_t getNumDevices() const;
  double getMemoryCapacity() const;
};

/// One collective along one mesh axis, moving a per-device buffer of `bytes`.
struct Collective {
  CollectiveKind kind;
  int64_t axis;
  double bytes;
};

class CostModel {
public:
  explicit CostModel(const MeshModel &mesh) : mesh(mesh) {}

  const MeshModel &getMesh() const { return mesh; }

  /// Roofline time of `flops` operations on `elementType` moving `bytes`
  /// of device memory. A type the device lists no peak for uses its f32
  /// peak (or the largest it lists).
  double getComputeTime(double flops, double bytes,
                        mlir::Type elementType) const;
  /// Time of one collective (formulas above).
  double getCollectiveTime(const Collective &collective) const;
  /// Mesh axes from the fastest link to the slowest (see planReshard).
  llvm::SmallVector<int64_t> getAxesFastestFirst() const;
  /// The collectives that turn `from` into `to` for a tensor of `shape`
  /// with `elementBytes` per element: local slicing, reduce-scatters (fast
  /// links first), all-reduces, all-to-alls, then all-gathers (slow links
  /// first), so that each moves the smallest buffer its link allows.
  llvm::SmallVector<Collective>
  getReshardCollectives(const TensorSharding &from, const TensorSharding &to,
                        llvm::ArrayRef<int64_t> shape,
                        int64_t elementBytes) const;
  /// The summed time of getReshardCollectives.
  double getReshardTime(const TensorSharding &from, const TensorSharding &to,
                        llvm::ArrayRef<int64_t> shape,
                        int64_t elementBytes) const;
  /// Bytes of the largest slice of a tensor under `sharding`.
  double getLocalBytes(const TensorSharding &sharding,
                       llvm::ArrayRef<int64_t> shape,
                       int64_t elementBytes) const;

private:
  MeshModel mesh;
};

/// Bytes per element of `type` (at least 1: i1 is stored as a byte).
int64_t getElementBytes(mlir::Type type);

} // namespace weft::sharding

#endif // WEFT_SHARDING_COSTMODEL_H
