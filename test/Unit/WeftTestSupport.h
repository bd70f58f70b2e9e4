//===- WeftTestSupport.h - Shared fixture of the unit tests -------*- C++ -*-===//
//
// A context with Weft's dialects (and `func`, which inline test IR uses) and
// a collector of the diagnostics a piece of code emits, so each test asserts
// on the exact messages a user would read.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TEST_UNIT_WEFTTESTSUPPORT_H
#define WEFT_TEST_UNIT_WEFTTESTSUPPORT_H

#include "weft/InitAllDialects.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::test {

/// Collects the text of every diagnostic emitted while it lives.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &diag) {
          messages.push_back(diag.str());
          return mlir::success();
        }) {}

  std::vector<std::string> messages;

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// Base fixture: a context with every Weft dialect loaded.
class WeftTest : public ::testing::Test {
protected:
  WeftTest() {
    mlir::DialectRegistry registry;
    weft::registerAllDialects(registry);
    registry.insert<mlir::func::FuncDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses a module from inline IR.
  mlir::OwningOpRef<mlir::ModuleOp> parse(llvm::StringRef source) {
    return mlir::parseSourceString<mlir::ModuleOp>(
        source, mlir::ParserConfig(&context));
  }

  /// An error at an unknown location, for APIs that take an emitter.
  mlir::InFlightDiagnostic emit() {
    return mlir::emitError(mlir::UnknownLoc::get(&context));
  }

  mlir::MLIRContext context;
};

} // namespace weft::test

#endif // WEFT_TEST_UNIT_WEFTTESTSUPPORT_H
