//===- weft-opt.cpp - Weft's opt-style driver -------------------------------===//
//
// mlir-opt with Weft's dialects and passes added: every upstream dialect and
// pass stays available, so a .mlir file can mix `xf`/`mesh` with `linalg`,
// `tosa` or `func` and run any pipeline over it. The lit tests run this tool.
//
//===----------------------------------------------------------------------===//

#include "weft/InitAllDialects.h"
#include "weft/InitAllPasses.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  weft::registerAllPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // GPU kernels are serialized through LLVM IR inside the pipeline.
  mlir::registerAllToLLVMIRTranslations(registry);
  weft::registerAllDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Weft modular optimizer driver\n", registry));
}
