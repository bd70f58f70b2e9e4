//===- RuntimeTables.cpp - Calling through the runtime's function tables --===//
//
// See RuntimeTables.h.
//
//===----------------------------------------------------------------------===//

#include "weft/Conversion/RuntimeTables.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace weft {

Value loadTableField(OpBuilder &b, Location loc, Value table, int64_t offset) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value address = LLVM::GEPOp::create(
      b, loc, ptr, b.getI8Type(), table,
      ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(offset)});
  return LLVM::LoadOp::create(b, loc, ptr, address);
}

Value getBufferPointer(OpBuilder &b, Location loc, Value memref) {
  Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  Value integer = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return LLVM::IntToPtrOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext()), integer);
}

Value createI32(OpBuilder &b, Location loc, int64_t value) {
  return LLVM::ConstantOp::create(b, loc, b.getI32Type(),
                                  b.getI32IntegerAttr(value));
}

Value createI64(OpBuilder &b, Location loc, int64_t value) {
  return LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                  b.getI64IntegerAttr(value));
}

void callTableEntry(OpBuilder &b, Location loc, Value callee,
                    ValueRange args) {
  SmallVector<Type> types;
  for (Value arg : args)
    types.push_back(arg.getType());
  auto type = LLVM::LLVMFunctionType::get(b.getI32Type(), types);
  SmallVector<Value> calleeAndArgs{callee};
  calleeAndArgs.append(args.begin(), args.end());
  LLVM::CallOp::create(b, loc, type, calleeAndArgs);
}

} // namespace weft
