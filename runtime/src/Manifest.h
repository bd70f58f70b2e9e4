//===- Manifest.h - The manifest of a .weft artifact ------------*- C++ -*-===//
//
// The typed form of the manifest JSON (docs/artifact.md): target, host,
// mesh and functions with their arguments (and, on a mesh, how each is
// split over the devices) and results.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_MANIFEST_H
#define WEFT_RUNTIME_SRC_MANIFEST_H

#include "Status.h"

#include <string>
#include <string_view>
#include <vector>

namespace weft::runtime {

struct ValueSpec {
  std::string name;
  weft_role_t role = WEFT_ROLE_INPUT; // Results are always inputs.
  weft_dtype_t dtype = WEFT_DTYPE_F32;
  std::vector<int64_t> shape;
  int64_t indexBound = -1; // -1: unconstrained.
  /// Arguments of a module with a mesh: sharding[d] lists the mesh axes
  /// dimension d is split over, outermost first. Dimensions past its end,
  /// and those with an empty list, are whole on every device.
  std::vector<std::vector<int64_t>> sharding;
  /// The shape of the slice each device holds: `shape` with every split
  /// dimension divided by its axes' device count. Equal to `shape` for
  /// results and for values that are not split.
  std::vector<int64_t> localShape;
};

struct FunctionSpec {
  std::string name;
  std::string symbol;
  std::vector<ValueSpec> arguments;
  std::vector<ValueSpec> results;
};

/// The optional "host" object: what the hostlib section was built for.
struct HostSpec {
  std::string triple;
  std::string cpu;
  std::vector<std::string> needed; // Shared libraries it loads.
};

/// The optional "mesh" object: the devices a partitioned program runs on.
struct MeshSpec {
  std::string name;
  std::vector<int64_t> shape; // Devices per axis; at least one axis.
  std::vector<std::string> axes;
};

/// One kernel of the device image, as ptxas reported it.
struct KernelSpec {
  std::string name;
  int64_t registers = 0;
  int64_t stackBytes = 0;
  int64_t spillStoreBytes = 0;
  int64_t spillLoadBytes = 0;
  int64_t sharedBytes = 0;
};

/// The "device" object of a GPU program: the chip its cubin was assembled
/// for and its kernels, in the order the device table's launch indexes.
struct DeviceSpec {
  std::string chip;
  std::vector<KernelSpec> kernels;
};

struct Manifest {
  std::string target;
  bool hasDevice = false;
  DeviceSpec device;
  bool hasHost = false;
  HostSpec host;
  bool hasMesh = false;
  MeshSpec mesh;
  std::vector<FunctionSpec> functions;
};

/// Parses and validates the manifest: every field's presence and type, no
/// unknown fields, dtype and role names, shapes, index_bound only on integer
/// inputs, unique function and value names, symbols that are C identifiers,
/// the mesh, and each argument's sharding against the mesh and its shape
/// (none on results). Messages name the field:
/// "functions[0].arguments[1].dtype: ...".
Status parseManifest(std::string_view text, Manifest &manifest);

/// The offsets of the slice of `value` (sizes: its localShape) that the
/// device at `coordinates` (one in-range value per axis of `mesh`) holds:
/// along a dimension split over axes [a0, .., ak], the row-major index of
/// (c[a0], .., c[ak]) over their sizes times the local size.
std::vector<int64_t> sliceOffsets(const MeshSpec &mesh, const ValueSpec &value,
                                  const int64_t *coordinates);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_MANIFEST_H
