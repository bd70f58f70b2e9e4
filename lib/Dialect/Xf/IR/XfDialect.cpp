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

/// xf.name must be a non-empty string; xf.role "weight" or "input".
static LogicalResult verifyValueAttribute(Operation *op, NamedAttribute attr,
                                          bool isArgument) {
  StringRef name = attr.getName().getValue();
  if (name == XfDialect::kNameAttrName) {
    auto str = dyn_cast<StringAttr>(attr.getValue());
    if (!str || str.getValue().empty())
      return op->emitError("expected '")
             << name << "' to be a non-empty string, got " << attr.getValue();
    return success();
  }
  if (name == XfDialect::kRoleAttrName && isArgument) {
    auto str = dyn_cast<StringAttr>(attr.getValue());
    if (!str || (str.getValue() != "weight" && str.getValue() != "input"))
      return op->emitError("expected '")
             << name << "' to be \"weight\" or \"input\", got "
             << attr.getValue();
    return success();
  }
  return op->emitError("unknown xf attribute '")
         << name << "' on a function " << (isArgument ? "argument" : "result");
}

LogicalResult XfDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned,
                                                  NamedAttribute attr) {
  return verifyValueAttribute(op, attr, /*isArgument=*/true);
}

LogicalResult XfDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned,
                                                     NamedAttribute attr) {
  return verifyValueAttribute(op, attr, /*isArgument=*/false);
}
