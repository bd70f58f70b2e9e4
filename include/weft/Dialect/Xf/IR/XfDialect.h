//===- XfDialect.h - The xf dialect -------------------------------*- C++ -*-===//
//
// Declares the transformer-graph dialect, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_IR_XFDIALECT_H
#define WEFT_DIALECT_XF_IR_XFDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "weft/Dialect/Xf/IR/XfOpsDialect.h.inc"
#include "weft/Dialect/Xf/IR/XfEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "weft/Dialect/Xf/IR/XfAttrs.h.inc"

#endif // WEFT_DIALECT_XF_IR_XFDIALECT_H
