//===- Manifest.h - The artifact manifest of a compiled module ------------===//
//
// Describes a module's entry functions for the runtime (docs/artifact.md):
// every argument's name, role, dtype, shape and index bound, every result.
// Built from the xf-level signatures before lowering, so that names and
// roles come straight from the graph the user wrote.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_MANIFEST_H
#define WEFT_TARGET_MANIFEST_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

namespace weft {

/// One entry function as the runtime sees it.
struct EntryFunction {
  std::string name;
  unsigned numArguments = 0;
  unsigned numResults = 0;
};

/// Checks every public function of `module` against the entry ABI (ranked,
/// static tensors of f16/bf16/f32/f64/i32/i64; unique value names) and
/// returns the manifest and the entry functions. `target` is "cpu" or
/// "cuda". The caller adds what only code generation knows (the "host"
/// object: triple, CPU, needed libraries).
mlir::FailureOr<llvm::json::Object>
buildManifest(mlir::ModuleOp module, llvm::StringRef target,
              llvm::SmallVectorImpl<EntryFunction> &entries);

/// The manifest dtype name of `type` ("f32", "i64", ...), or empty.
llvm::StringRef getManifestDtype(mlir::Type type);

} // namespace weft

#endif // WEFT_TARGET_MANIFEST_H
