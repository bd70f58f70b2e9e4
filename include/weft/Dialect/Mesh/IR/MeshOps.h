//===- MeshOps.h - Operations of the mesh dialect -----------------*- C++ -*-===//
//
// Declares the ops generated from MeshOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_MESH_IR_MESHOPS_H
#define WEFT_DIALECT_MESH_IR_MESHOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "weft/Dialect/Mesh/IR/MeshDialect.h"

namespace weft::mesh {
class MeshOp;
} // namespace weft::mesh

#define GET_OP_CLASSES
#include "weft/Dialect/Mesh/IR/MeshOps.h.inc"

#endif // WEFT_DIALECT_MESH_IR_MESHOPS_H
