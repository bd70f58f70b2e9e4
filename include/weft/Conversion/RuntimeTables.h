//===- RuntimeTables.h - Calling through the runtime's function tables ----===//
//
// Compiled host code reaches the runtime only through tables of function
// pointers it receives as arguments (weft_collective_table_t,
// weft_device_table_t). These builders emit the few LLVM dialect pieces
// every such call needs, before the program is converted to LLVM: a field
// of a table, a buffer's base pointer, integer constants, the indirect call.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CONVERSION_RUNTIMETABLES_H
#define WEFT_CONVERSION_RUNTIMETABLES_H

#include "mlir/IR/Builders.h"

namespace weft {

/// The pointer stored at byte offset `offset` of the table `table` points
/// to (a function or the runtime's state).
mlir::Value loadTableField(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value table, int64_t offset);

/// The aligned base pointer of an identity-layout memref, as `!llvm.ptr`.
mlir::Value getBufferPointer(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value memref);

/// LLVM dialect integer constants.
mlir::Value createI32(mlir::OpBuilder &b, mlir::Location loc, int64_t value);
mlir::Value createI64(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Calls `callee`, a table entry returning int32_t, with `args`; the status
/// is the runtime's to keep (every table entry records its failures).
void callTableEntry(mlir::OpBuilder &b, mlir::Location loc, mlir::Value callee,
                    mlir::ValueRange args);

} // namespace weft

#endif // WEFT_CONVERSION_RUNTIMETABLES_H
