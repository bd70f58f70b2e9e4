//===- MeshPresets.h - Named machines -----------------------------*- C++ -*-===//
//
// Hardware descriptions of common machines, so that a user can write
// `mesh.mesh @m(preset = "2x8xH100-IB")` or pass `--mesh=8xH100-NVLink`
// instead of looking up bandwidths.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_MESH_IR_MESHPRESETS_H
#define WEFT_DIALECT_MESH_IR_MESHPRESETS_H

#include "weft/Dialect/Mesh/IR/MeshDialect.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace weft::mesh {

/// The largest mesh Weft accepts. Device counts, group sizes and ranks are
/// 32-bit in the runtime (MPI, NCCL), and products of axis sizes must never
/// overflow.
constexpr int64_t kMaxMeshDevices = (int64_t(1) << 31) - 1;

/// The number of devices of a mesh of `shape` (the product of its sizes), or
/// nothing when a size is not positive or the product exceeds
/// kMaxMeshDevices.
inline std::optional<int64_t> getDeviceCount(llvm::ArrayRef<int64_t> shape) {
  int64_t devices = 1;
  for (int64_t size : shape) {
    if (size <= 0 || size > kMaxMeshDevices / devices)
      return std::nullopt;
    devices *= size;
  }
  return devices;
}

/// Everything a `mesh.mesh` declares besides its symbol name.
struct MeshDescription {
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<std::string> axisNames;
  DeviceAttr device;
  llvm::SmallVector<LinkAttr> links;
};

/// Resolves a preset name `<shape>x<family>` (e.g. `2x8xH100-IB`, `4xCPU`).
/// Reports an unknown family or a shape the family cannot have through
/// `emitError`.
mlir::FailureOr<MeshDescription>
getMeshPreset(mlir::MLIRContext *context, llvm::StringRef name,
              llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The preset families, for help texts and diagnostics.
llvm::ArrayRef<llvm::StringRef> getMeshPresetFamilies();

} // namespace weft::mesh

#endif // WEFT_DIALECT_MESH_IR_MESHPRESETS_H
