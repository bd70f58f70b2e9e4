//===- MeshDialect.h - The mesh dialect ---------------------------*- C++ -*-===//
//
// Declares the device-mesh dialect, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_MESH_IR_MESHDIALECT_H
#define WEFT_DIALECT_MESH_IR_MESHDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpImplementation.h"

#include "weft/Dialect/Mesh/IR/MeshOpsDialect.h.inc"
#include "weft/Dialect/Mesh/IR/MeshEnums.h.inc"

namespace weft::mesh {
/// Parses a real number that must be positive and finite (bandwidths,
/// latencies, capacities).
mlir::FailureOr<llvm::APFloat> parsePositiveDouble(mlir::AsmParser &parser);
/// Prints `value` in the shortest form that parses back to the same double
/// and that MLIR's lexer reads as a float (`3.0e-06`, `4.5e+11`, `2.0`).
void printDouble(llvm::raw_ostream &os, double value);
inline void printDouble(llvm::raw_ostream &os, const llvm::APFloat &value) {
  printDouble(os, value.convertToDouble());
}
} // namespace weft::mesh

#define GET_ATTRDEF_CLASSES
#include "weft/Dialect/Mesh/IR/MeshAttrs.h.inc"

#endif // WEFT_DIALECT_MESH_IR_MESHDIALECT_H
