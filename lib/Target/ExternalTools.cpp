//===- ExternalTools.cpp - Running the linker and ptxas -------------------===//
//
// See ExternalTools.h.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/ExternalTools.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace weft {

TempFiles::~TempFiles() {
  for (const std::string &path : paths)
    llvm::sys::fs::remove(path);
}

FailureOr<std::string> TempFiles::create(ModuleOp module, StringRef prefix,
                                         StringRef suffix) {
  SmallString<128> path;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "weft-" + prefix, suffix, path)) {
    emitError(module.getLoc(), "cannot create a temporary file: ")
        << ec.message();
    return failure();
  }
  paths.push_back(path.str().str());
  return paths.back();
}

LogicalResult runTool(ModuleOp module, StringRef what, StringRef program,
                      ArrayRef<StringRef> args, StringRef logPath) {
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string error;
  int status = llvm::sys::ExecuteAndWait(program, args, std::nullopt,
                                         redirects, 0, 0, &error);
  if (status == 0)
    return success();
  auto log = llvm::MemoryBuffer::getFile(logPath);
  auto diag = emitError(module.getLoc()) << what << " with " << program
                                         << " failed (exit status " << status
                                         << ")";
  if (!error.empty())
    diag << ": " << error;
  if (log)
    diag << "\n" << (*log)->getBuffer();
  return failure();
}

} // namespace weft
