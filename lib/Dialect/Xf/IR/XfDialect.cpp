//===- XfDialect.cpp - The xf dialect ---------------------------------------===//
//
// Registers the transformer-graph dialect's ops and attributes.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/IR/XfDialect.h"
#include "weft/Dialect/Xf/IR/XfOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace weft::xf;

#include "weft/Dialect/Xf/IR/XfOpsDialect.cpp.inc"
#include "weft/Dialect/Xf/IR/XfEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "weft/Dialect/Xf/IR/XfAttrs.cpp.inc"

void XfDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "weft/Dialect/Xf/IR/XfOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "weft/Dialect/Xf/IR/XfAttrs.cpp.inc"
      >();
}
