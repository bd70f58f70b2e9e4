//===- ExternalTools.h - Running the linker and ptxas from the compiler -===//
//
// Code generation runs a few external programs (the C compiler driver to
// link the host library, ptxas to assemble kernels) on temporary files;
// these helpers own the files and turn a failed run into a diagnostic
// carrying the program's own output.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_EXTERNALTOOLS_H
#define WEFT_TARGET_EXTERNALTOOLS_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace weft {

/// Temporary files of one run, removed however it ends.
class TempFiles {
public:
  TempFiles() = default;
  TempFiles(const TempFiles &) = delete;
  TempFiles &operator=(const TempFiles &) = delete;
  ~TempFiles();
  /// A fresh file `weft-<prefix>-*.<suffix>`; a diagnostic on `module` when
  /// it cannot be created.
  mlir::FailureOr<std::string> create(mlir::ModuleOp module,
                                      llvm::StringRef prefix,
                                      llvm::StringRef suffix);

private:
  llvm::SmallVector<std::string> paths;
};

/// Runs `program args...` with stdout and stderr into `logPath`. On failure
/// reports "<what> with <program> failed (exit status N)" and the log.
mlir::LogicalResult runTool(mlir::ModuleOp module, llvm::StringRef what,
                            llvm::StringRef program,
                            llvm::ArrayRef<llvm::StringRef> args,
                            llvm::StringRef logPath);

} // namespace weft

#endif // WEFT_TARGET_EXTERNALTOOLS_H
