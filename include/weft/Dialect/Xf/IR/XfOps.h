//===- XfOps.h - Operations of the xf dialect ---------------------*- C++ -*-===//
//
// Declares the ops generated from XfOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_IR_XFOPS_H
#define WEFT_DIALECT_XF_IR_XFOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"

#define GET_OP_CLASSES
#include "weft/Dialect/Xf/IR/XfOps.h.inc"

#endif // WEFT_DIALECT_XF_IR_XFOPS_H
