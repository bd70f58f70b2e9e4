//===- weft-lsp-server.cpp - Language server for Weft's .mlir files ---------===//
//
// MLIR's language server with Weft's dialects registered, so that editors
// show diagnostics, hovers and go-to-definition for `xf` and `mesh` IR.
//
//===----------------------------------------------------------------------===//

#include "weft/InitAllDialects.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  weft::registerAllDialects(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry));
}
