//===- MeshToRuntime.cpp - mesh collectives to runtime table calls --------===//
//
// A partitioned program talks to the other devices only through the
// collective table the runtime hands to each entry point
// (weft/collectives.h). The table's layout is taken from that header, so
// the compiler and the runtime cannot disagree on it.
//
//===----------------------------------------------------------------------===//

#include "weft/Conversion/Passes.h"

#include "weft/Conversion/RuntimeTables.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Target/Manifest.h"
#include "weft/collectives.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstddef>

namespace weft {
#define GEN_PASS_DEF_CONVERTMESHTORUNTIME
#include "weft/Conversion/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// Byte offsets of the table fields compiled code reads.
namespace table {
constexpr int64_t kCommunicator =
    offsetof(weft_collective_table_t, communicator);
constexpr int64_t kCoordinates = offsetof(weft_collective_table_t, coordinates);
constexpr int64_t kAllReduce = offsetof(weft_collective_table_t, all_reduce);
constexpr int64_t kAllGather = offsetof(weft_collective_table_t, all_gather);
constexpr int64_t kReduceScatter =
    offsetof(weft_collective_table_t, reduce_scatter);
constexpr int64_t kAllToAll = offsetof(weft_collective_table_t, all_to_all);
constexpr int64_t kBroadcast = offsetof(weft_collective_table_t, broadcast);
constexpr int64_t kSend = offsetof(weft_collective_table_t, send);
constexpr int64_t kRecv = offsetof(weft_collective_table_t, recv);
} // namespace table

/// The runtime's weft_dtype_t code of `type`, or nothing.
std::optional<int32_t> getDtypeCode(Type type) {
  StringRef name = getManifestDtype(type);
  return llvm::StringSwitch<std::optional<int32_t>>(name)
      .Case("f16", WEFT_DTYPE_F16)
      .Case("bf16", WEFT_DTYPE_BF16)
      .Case("f32", WEFT_DTYPE_F32)
      .Case("f64", WEFT_DTYPE_F64)
      .Case("i32", WEFT_DTYPE_I32)
      .Case("i64", WEFT_DTYPE_I64)
      .Default(std::nullopt);
}

/// Builds the pieces of one lowered collective: constants, table loads,
/// buffer pointers, helper functions.
class Lowering {
public:
  Lowering(ModuleOp module) : module(module), symbols(module) {}

  /// The address of a constant global holding `values` (i64), one per
  /// distinct list.
  Value getI64Array(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
    auto ptr = LLVM::LLVMPointerType::get(b.getContext());
    if (values.empty())
      return LLVM::ZeroOp::create(b, loc, ptr);
    SmallVector<int64_t> key(values);
    LLVM::GlobalOp &global = arrays[key];
    if (!global) {
      OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
      auto type = LLVM::LLVMArrayType::get(top.getI64Type(), values.size());
      auto data = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(values.size())},
                                top.getI64Type()),
          values);
      global = LLVM::GlobalOp::create(top, loc, type, /*isConstant=*/true,
                                      LLVM::Linkage::Internal,
                                      "__weft_mesh_array", data);
      symbols.insert(global);
    }
    return LLVM::AddressOfOp::create(b, loc, global);
  }

  /// A private function `(table, buffers...) -> ()` whose body `emitCall`
  /// fills with the call through the table; `emitCall` receives the
  /// builder, the table and the buffers' base pointers.
  func::FuncOp createHelper(
      Location loc, StringRef kind, TypeRange buffers,
      function_ref<void(OpBuilder &, Value, ArrayRef<Value>)> emitCall) {
    MLIRContext *ctx = module.getContext();
    SmallVector<Type> inputs{LLVM::LLVMPointerType::get(ctx)};
    inputs.append(buffers.begin(), buffers.end());
    OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
    auto helper = func::FuncOp::create(top, loc, ("__weft_" + kind).str(),
                                       FunctionType::get(ctx, inputs, {}));
    helper.setPrivate();
    symbols.insert(helper);
    OpBuilder b = OpBuilder::atBlockBegin(helper.addEntryBlock());
    SmallVector<Value> pointers;
    for (BlockArgument buffer : helper.getArguments().drop_front())
      pointers.push_back(getBufferPointer(b, loc, buffer));
    emitCall(b, helper.getArgument(0), pointers);
    func::ReturnOp::create(b, loc);
    return helper;
  }

  /// Calls entry `field` of `table` with (communicator, axes, #axes,
  /// operands...), ignoring the status it returns (the runtime collects it).
  void callEntry(OpBuilder &b, Location loc, Value table, int64_t field,
                 ArrayRef<int64_t> axes, ArrayRef<Value> operands) {
    SmallVector<Value> args{loadTableField(b, loc, table, table::kCommunicator),
                            getI64Array(b, loc, axes),
                            createI64(b, loc, axes.size())};
    args.append(operands.begin(), operands.end());
    callTableEntry(b, loc, loadTableField(b, loc, table, field), args);
  }

  ModuleOp module;
  SymbolTable symbols;
  std::map<SmallVector<int64_t>, LLVM::GlobalOp> arrays;
  /// Helpers by the collective's signature (op name, attributes, types).
  llvm::StringMap<func::FuncOp> helpers;
};

/// The identity-layout buffer type of a tensor type.
MemRefType getBufferType(Type tensor) {
  auto type = cast<RankedTensorType>(tensor);
  return MemRefType::get(type.getShape(), type.getElementType());
}

/// A key that identifies a collective up to its operands.
std::string getSignature(Operation *op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op->getName() << op->getAttrDictionary() << '(';
  llvm::interleaveComma(op->getOperandTypes(), os);
  os << ")->(";
  llvm::interleaveComma(op->getResultTypes(), os);
  os << ')';
  return key;
}

struct ConvertMeshToRuntimePass
    : weft::impl::ConvertMeshToRuntimeBase<ConvertMeshToRuntimePass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    Lowering lowering(module);
    SymbolTableCollection meshes;
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (failed(convertFunction(func, lowering, meshes)))
        return signalPassFailure();
    }
    for (auto mesh : llvm::to_vector(module.getOps<mesh::MeshOp>()))
      mesh.erase();
  }

  LogicalResult convertFunction(func::FuncOp func, Lowering &lowering,
                                SymbolTableCollection &meshes) {
    SmallVector<Operation *> ops;
    WalkResult walk = func.walk([&](Operation *op) {
      if (!isa_and_nonnull<mesh::MeshDialect>(op->getDialect()))
        return WalkResult::advance();
      if (isa<mesh::ShardOp>(op)) {
        op->emitOpError("must be partitioned away before lowering "
                        "collectives (run xf-partition first)");
        return WalkResult::interrupt();
      }
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (ops.empty())
      return success();
    if (!func.isPublic())
      return func.emitOpError("holds mesh ops but is not public; only entry "
                              "functions receive the collective table");

    // Appended last: after bufferization the results follow as out-params,
    // so the table sits right after the tensor arguments in the C interface.
    MLIRContext *ctx = func.getContext();
    unsigned tableIndex = func.getNumArguments();
    if (failed(func.insertArgument(tableIndex,
                                   LLVM::LLVMPointerType::get(ctx),
                                   DictionaryAttr::get(ctx), func.getLoc())))
      return func.emitOpError("cannot add the collective table argument");
    Value table = func.getArgument(tableIndex);

    for (Operation *op : ops) {
      OpBuilder b(op);
      LogicalResult converted =
          TypeSwitch<Operation *, LogicalResult>(op)
              .Case([&](mesh::ProcessIndexOp index) {
                return convertProcessIndex(b, index, table, meshes);
              })
              .Default([&](Operation *collective) {
                return convertCollective(b, collective, table, lowering);
              });
      if (failed(converted))
        return failure();
    }
    return success();
  }

  /// coordinates[a0] * S[a1] * ... + coordinates[a1] * ... , row-major.
  LogicalResult convertProcessIndex(OpBuilder &b, mesh::ProcessIndexOp op,
                                    Value table,
                                    SymbolTableCollection &meshes) {
    auto meshOp = meshes.lookupNearestSymbolFrom<mesh::MeshOp>(
        op, op.getMeshAttr());
    if (!meshOp)
      return op.emitOpError("refers to an unknown mesh ") << op.getMeshAttr();
    Location loc = op.getLoc();
    Value coordinates =
        loadTableField(b, loc, table, table::kCoordinates);
    Value index = createI64(b, loc, 0);
    for (int64_t axis : op.getMeshAxes()) {
      Value address = LLVM::GEPOp::create(
          b, loc, LLVM::LLVMPointerType::get(b.getContext()), b.getI64Type(),
          coordinates, ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(axis)});
      Value coordinate =
          LLVM::LoadOp::create(b, loc, b.getI64Type(), address);
      Value size = createI64(b, loc, meshOp.getShape()[axis]);
      index = LLVM::AddOp::create(
          b, loc, LLVM::MulOp::create(b, loc, index, size), coordinate);
    }
    Value result = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
    op.getResult().replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  LogicalResult convertCollective(OpBuilder &b, Operation *op, Value table,
                                  Lowering &lowering) {
    Location loc = op->getLoc();
    Type valueType = op->getNumOperands() ? op->getOperand(0).getType()
                                          : op->getResult(0).getType();
    auto tensorType = cast<RankedTensorType>(valueType);
    std::optional<int32_t> dtype = getDtypeCode(tensorType.getElementType());
    if (!dtype)
      return op->emitOpError("moves elements of type ")
             << tensorType.getElementType()
             << ", which the runtime's collectives do not support (f16, "
                "bf16, f32, f64, i32, i64)";
    if (!tensorType.hasStaticShape())
      return op->emitOpError("needs a static shape to be lowered");

    // The helper: one per distinct signature.
    func::FuncOp &helper = lowering.helpers[getSignature(op)];
    if (!helper) {
      SmallVector<Type> buffers;
      for (Type type : op->getOperandTypes())
        buffers.push_back(getBufferType(type));
      for (Type type : op->getResultTypes())
        buffers.push_back(getBufferType(type));
      StringRef kind = op->getName().stripDialect();
      helper = lowering.createHelper(
          loc, kind, buffers,
          [&](OpBuilder &hb, Value helperTable, ArrayRef<Value> pointers) {
            emitTableCall(hb, loc, op, helperTable, *dtype, tensorType,
                          pointers, lowering);
          });
    }

    // The call site: operand buffers, a fresh result buffer, the call.
    SmallVector<Value> args{table};
    for (Value operand : op->getOperands())
      args.push_back(bufferization::ToBufferOp::create(
          b, loc, getBufferType(operand.getType()), operand,
          /*read_only=*/true));
    Value result;
    if (op->getNumResults()) {
      auto alloc = memref::AllocOp::create(
          b, loc, getBufferType(op->getResult(0).getType()));
      alloc.setAlignment(64);
      args.push_back(alloc);
      result = alloc;
    }
    func::CallOp::create(b, loc, helper, args);
    if (result) {
      auto tensor = bufferization::ToTensorOp::create(
          b, loc, op->getResult(0).getType(), result, /*restrict=*/true,
          /*writable=*/true);
      op->getResult(0).replaceAllUsesWith(tensor.getResult());
    }
    op->erase();
    return success();
  }

  /// The body of a helper: the table entry for `op` with its operands.
  void emitTableCall(OpBuilder &b, Location loc, Operation *op, Value table,
                     int32_t dtype, RankedTensorType type,
                     ArrayRef<Value> pointers, Lowering &lowering) {
    auto i32 = [&](int64_t v) { return createI32(b, loc, v); };
    auto i64 = [&](int64_t v) { return createI64(b, loc, v); };
    auto shape = [&] { return lowering.getI64Array(b, loc, type.getShape()); };
    auto call = [&](int64_t field, ArrayRef<int64_t> axes,
                    ArrayRef<Value> operands) {
      lowering.callEntry(b, loc, table, field, axes, operands);
    };
    int64_t count = type.getNumElements();
    int64_t rank = type.getRank();
    TypeSwitch<Operation *>(op)
        .Case([&](mesh::AllReduceOp c) {
          call(table::kAllReduce, c.getMeshAxes(),
               {i32(static_cast<int32_t>(c.getReduction())), i32(dtype),
                i64(count), pointers[0], pointers[1]});
        })
        .Case([&](mesh::AllGatherOp c) {
          call(table::kAllGather, c.getMeshAxes(),
               {i32(dtype), i64(rank), shape(), i64(c.getGatherAxis()),
                pointers[0], pointers[1]});
        })
        .Case([&](mesh::ReduceScatterOp c) {
          call(table::kReduceScatter, c.getMeshAxes(),
               {i32(static_cast<int32_t>(c.getReduction())), i32(dtype),
                i64(rank), shape(), i64(c.getScatterAxis()), pointers[0],
                pointers[1]});
        })
        .Case([&](mesh::AllToAllOp c) {
          call(table::kAllToAll, c.getMeshAxes(),
               {i32(dtype), i64(rank), shape(), i64(c.getSplitAxis()),
                i64(c.getConcatAxis()), pointers[0], pointers[1]});
        })
        .Case([&](mesh::BroadcastOp c) {
          call(table::kBroadcast, c.getMeshAxes(),
               {lowering.getI64Array(b, loc, c.getRoot()), i32(dtype),
                i64(count), pointers[0], pointers[1]});
        })
        .Case([&](mesh::SendOp c) {
          call(table::kSend, c.getMeshAxes(),
               {lowering.getI64Array(b, loc, c.getDestination()), i32(dtype),
                i64(count), pointers[0]});
        })
        .Case([&](mesh::RecvOp c) {
          call(table::kRecv, c.getMeshAxes(),
               {lowering.getI64Array(b, loc, c.getSource()), i32(dtype),
                i64(count), pointers[0]});
        });
  }
};

} // namespace
