//===- HostCodegen.h - LLVM dialect to a host shared library --------------===//
//
// The last step of the CPU target: translate the LLVM dialect module to LLVM
// IR, add the entry wrappers of the artifact ABI (docs/artifact.md), optimize
// for the chosen CPU, emit an object file and link it into a shared library
// with the system's C compiler driver.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CPU_HOSTCODEGEN_H
#define WEFT_TARGET_CPU_HOSTCODEGEN_H

#include "weft/Target/Manifest.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace weft::cpu {

struct HostCodegenOptions {
  /// "host" (this machine's CPU and features) or an LLVM CPU name such as
  /// "x86-64-v3".
  std::string cpu = "host";
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
  /// Link the OpenMP runtime that parallel loops call.
  bool openmp = true;
  /// The host side of a GPU program: every entry's C interface takes the
  /// device table first (weft-cuda-lower-launches).
  bool deviceTable = false;
};

/// What the host library was built for, recorded in the manifest.
struct HostLibrary {
  std::string bytes;  ///< the ELF shared object
  std::string triple; ///< target triple
  std::string cpu;    ///< resolved CPU name
  std::vector<std::string> needed; ///< shared libraries it depends on
};

/// Builds the shared library for `module`, which must be in LLVM dialect
/// with a `_mlir_ciface_<name>` function for each of `entries`. When
/// `llvmIR` is given, the optimized LLVM IR is written there too.
mlir::FailureOr<HostLibrary>
emitHostLibrary(mlir::ModuleOp module, llvm::ArrayRef<EntryFunction> entries,
                const HostCodegenOptions &options,
                std::string *llvmIR = nullptr);

} // namespace weft::cpu

#endif // WEFT_TARGET_CPU_HOSTCODEGEN_H
