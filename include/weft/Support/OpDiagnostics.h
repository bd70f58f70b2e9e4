//===- OpDiagnostics.h - Diagnostics for ops not built yet --------*- C++ -*-===//
//
// Type inference runs before an op exists (in builders and parsers) and again
// inside the op's verifier. Both report through this emitter so that one
// piece of shape logic produces the same "'xf.linear' op ..." message text
// as emitOpError, whichever path reaches it (without emitOpError's note
// that prints the operation, which may not exist yet).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SUPPORT_OPDIAGNOSTICS_H
#define WEFT_SUPPORT_OPDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace weft {

/// Emits errors attributed to an op named `opName` at `loc`. Without a
/// location (an inference query that only wants an answer) the diagnostic is
/// inactive and everything streamed into it is dropped.
class OpDiagnosticEmitter {
public:
  OpDiagnosticEmitter(std::optional<mlir::Location> loc, llvm::StringRef opName)
      : loc(loc), opName(opName) {}

  mlir::InFlightDiagnostic operator()() const {
    if (!loc)
      return mlir::InFlightDiagnostic();
    mlir::InFlightDiagnostic diag = mlir::emitError(*loc);
    diag << "'" << opName << "' op ";
    return diag;
  }

private:
  std::optional<mlir::Location> loc;
  llvm::StringRef opName;
};

} // namespace weft

#endif // WEFT_SUPPORT_OPDIAGNOSTICS_H
