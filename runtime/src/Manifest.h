//===- Manifest.h - The manifest of a .weft artifact ------------*- C++ -*-===//
//
// The typed form of the manifest JSON (docs/artifact.md): target, host and
// functions with their arguments and results. The mesh is validated but
// not kept.
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

struct Manifest {
  std::string target;
  bool hasHost = false;
  HostSpec host;
  std::vector<FunctionSpec> functions;
};

/// Parses and validates the manifest: every field's presence and type, no
/// unknown fields, dtype and role names, shapes, index_bound only on integer
/// inputs, unique function and value names, symbols that are C identifiers.
/// Messages name the field: "functions[0].arguments[1].dtype: ...".
Status parseManifest(std::string_view text, Manifest &manifest);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_MANIFEST_H
