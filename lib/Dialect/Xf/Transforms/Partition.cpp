//===- Partition.cpp - One program per device from a sharded graph --------===//
//
// The `xf-partition` pass: rewrites a function whose values carry
// `mesh.shard` annotations (as xf-auto-shard writes them) into the program
// every device runs, SPMD: each value takes its local shape, each op runs on
// its slices, and mesh collectives appear wherever a sharding changes or a
// partial sum must be reduced. Arguments take the least split layout all
// their uses share (`mesh.sharding` on the argument), from which each use
// slices what it needs; results leave whole.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/Transforms/Passes.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Sharding/LoopSpace.h"
#include "weft/Sharding/Reshard.h"
#include "weft/Sharding/ShardingOpInterface.h"
#include "weft/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

namespace weft::xf {
#define GEN_PASS_DEF_XFPARTITION
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"
} // namespace weft::xf

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {

/// A value of the partitioned program and the sharding it has.
struct Local {
  Value value;
  TensorSharding sharding;
};

class FunctionPartitioner {
public:
  FunctionPartitioner(func::FuncOp func, mesh::MeshOp mesh,
                      const StrategyContext &context)
      : func(func), mesh(mesh), context(context),
        meshSymbol(FlatSymbolRefAttr::get(mesh.getSymNameAttr())),
        builder(func.getContext()) {}

  LogicalResult run();

private:
  LogicalResult partitionArguments();
  LogicalResult partitionOp(Operation *op);
  /// `local` resharded to `to`, with the collectives it takes.
  FailureOr<Value> reshard(Location loc, const Local &local,
                           const TensorSharding &to, RankedTensorType global);
  FailureOr<RankedTensorType> localType(Location loc, RankedTensorType global,
                                        const TensorSharding &sharding,
                                        StringRef what);
  /// The sharding annotated as produced on `result`, if any.
  std::optional<TensorSharding> producedAnnotation(Value result);
  /// The sharding a use of `value` by `user` wants, through annotations.
  Local &lookup(Value value) { return values[value]; }
  Value processIndex(Location loc, int64_t axis);

  func::FuncOp func;
  mesh::MeshOp mesh;
  const StrategyContext &context;
  FlatSymbolRefAttr meshSymbol;
  OpBuilder builder;
  DenseMap<Value, Local> values;
  /// Ops of the original function, erased once the new ones exist.
  SmallVector<Operation *> replaced;
};

int64_t groupSize(mesh::MeshOp mesh, ArrayRef<int64_t> axes) {
  return mesh.getGroupSize(axes);
}

FailureOr<RankedTensorType>
FunctionPartitioner::localType(Location loc, RankedTensorType global,
                               const TensorSharding &sharding, StringRef what) {
  SmallVector<int64_t> shape(global.getShape());
  for (auto [dim, axes] : llvm::enumerate(sharding.dimAxes)) {
    if (axes.empty())
      continue;
    int64_t devices = groupSize(mesh, axes);
    if (ShapedType::isDynamic(shape[dim]))
      return emitError(loc) << "cannot split dynamic dimension " << dim
                            << " of " << what << " (" << global << ")";
    if (shape[dim] % devices != 0) {
      InFlightDiagnostic diag = emitError(loc);
      diag << "cannot split dimension " << dim << " of " << what << " ("
           << global << ") of size " << shape[dim] << " evenly over "
           << devices << " devices (mesh axes ";
      llvm::interleaveComma(axes, diag);
      diag << ")";
      return failure();
    }
    shape[dim] /= devices;
  }
  return RankedTensorType::get(shape, global.getElementType());
}

Value FunctionPartitioner::processIndex(Location loc, int64_t axis) {
  return mesh::ProcessIndexOp::create(builder, loc, builder.getIndexType(),
                                      meshSymbol,
                                      builder.getDenseI64ArrayAttr({axis}));
}

FailureOr<Value> FunctionPartitioner::reshard(Location loc, const Local &local,
                                              const TensorSharding &to,
                                              RankedTensorType global) {
  if (local.sharding == to)
    return local.value;
  const TensorSharding &from = local.sharding;
  // The plan the cost model priced; every step cuts or joins whole blocks.
  SmallVector<ReshardStep, 2> steps =
      planReshard(from, to, context.costModel.getAxesFastestFirst());
  Value value = local.value;
  for (const ReshardStep &step : steps) {
    const TensorSharding &next = step.after;
    FailureOr<RankedTensorType> type =
        localType(loc, global, next, "a resharded value");
    if (failed(type))
      return failure();
    DenseI64ArrayAttr axes = builder.getDenseI64ArrayAttr({step.axis});
    switch (step.kind) {
    case ReshardStep::Kind::Slice: {
      // This device's block: offset = index along the axis x block size.
      SmallVector<OpFoldResult> offsets(type->getRank(), builder.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(type->getRank(),
                                               builder.getIndexAttr(1));
      for (int64_t size : type->getShape())
        sizes.push_back(builder.getIndexAttr(size));
      Value index = processIndex(loc, step.axis);
      Value block = arith::ConstantIndexOp::create(builder, loc,
                                                   type->getDimSize(step.dim));
      offsets[step.dim] =
          arith::MulIOp::create(builder, loc, index, block).getResult();
      value = tensor::ExtractSliceOp::create(builder, loc, *type, value,
                                             offsets, sizes, strides);
      break;
    }
    case ReshardStep::Kind::AllReduce:
      value = mesh::AllReduceOp::create(
          builder, loc, *type, meshSymbol, axes, value,
          mesh::ReductionKindAttr::get(builder.getContext(),
                                       mesh::ReductionKind::Sum));
      break;
    case ReshardStep::Kind::ReduceScatter:
      value = mesh::ReduceScatterOp::create(
          builder, loc, *type, meshSymbol, axes, value,
          builder.getI64IntegerAttr(step.dim),
          mesh::ReductionKindAttr::get(builder.getContext(),
                                       mesh::ReductionKind::Sum));
      break;
    case ReshardStep::Kind::AllToAll:
      // The target dimension is cut across the group; the source dimension
      // grows by what the others send.
      value = mesh::AllToAllOp::create(builder, loc, *type, meshSymbol, axes,
                                       value,
                                       builder.getI64IntegerAttr(step.toDim),
                                       builder.getI64IntegerAttr(step.dim));
      break;
    case ReshardStep::Kind::AllGather:
      value = mesh::AllGatherOp::create(builder, loc, *type, meshSymbol, axes,
                                        value,
                                        builder.getI64IntegerAttr(step.dim));
      break;
    }
  }
  return value;
}

std::optional<TensorSharding>
FunctionPartitioner::producedAnnotation(Value result) {
  for (Operation *user : result.getUsers())
    if (auto shard = dyn_cast<mesh::ShardOp>(user);
        shard && !shard.getAnnotateForUsers())
      return TensorSharding::fromAttr(
          shard.getSharding(),
          cast<RankedTensorType>(result.getType()).getRank());
  return std::nullopt;
}

LogicalResult FunctionPartitioner::partitionArguments() {
  Block &entry = func.getBody().front();
  SmallVector<Type> inputs;
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type) {
      inputs.push_back(arg.getType());
      continue;
    }
    // The shardings the uses want; a use without annotation wants it whole.
    SmallVector<TensorSharding> wanted;
    for (Operation *user : arg.getUsers()) {
      auto shard = dyn_cast<mesh::ShardOp>(user);
      wanted.push_back(shard ? TensorSharding::fromAttr(shard.getSharding(),
                                                        type.getRank())
                             : TensorSharding::replicated(type.getRank()));
    }
    // Keep a split only where every use has it, and never a partial sum.
    TensorSharding common = TensorSharding::replicated(type.getRank());
    if (!wanted.empty()) {
      for (int64_t dim = 0; dim < type.getRank(); ++dim) {
        const auto &first = wanted.front().dimAxes[dim];
        size_t prefix = first.size();
        for (const TensorSharding &w : wanted) {
          size_t n = 0;
          while (n < prefix && n < w.dimAxes[dim].size() &&
                 w.dimAxes[dim][n] == first[n])
            ++n;
          prefix = n;
        }
        common.dimAxes[dim].assign(first.begin(), first.begin() + prefix);
      }
    }
    FailureOr<RankedTensorType> local =
        localType(arg.getLoc(), type,
                  common, "argument #" + std::to_string(arg.getArgNumber()));
    if (failed(local))
      return failure();
    arg.setType(*local);
    inputs.push_back(*local);
    func.setArgAttr(arg.getArgNumber(), mesh::MeshDialect::kShardingAttrName,
                    common.toAttr(meshSymbol));
    values[arg] = {arg, common};
  }
  func.setFunctionType(builder.getFunctionType(
      inputs, func.getFunctionType().getResults()));
  return success();
}

LogicalResult FunctionPartitioner::partitionOp(Operation *op) {
  builder.setInsertionPoint(op);
  Location loc = op->getLoc();

  if (auto shard = dyn_cast<mesh::ShardOp>(op)) {
    Local source = lookup(shard.getSrc());
    // The annotation's own type: arguments have already taken local types.
    auto global = cast<RankedTensorType>(shard.getResult().getType());
    TensorSharding target = TensorSharding::fromAttr(shard.getSharding(),
                                                     global.getRank());
    FailureOr<Value> value = reshard(loc, source, target, global);
    if (failed(value))
      return failure();
    values[shard.getResult()] = {*value, target};
    replaced.push_back(op);
    return success();
  }

  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    for (OpOperand &operand : ret->getOpOperands()) {
      if (!values.count(operand.get()))
        continue;
      auto global = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!global) {
        operand.set(lookup(operand.get()).value);
        continue;
      }
      FailureOr<Value> whole =
          reshard(loc, lookup(operand.get()),
                  TensorSharding::replicated(global.getRank()), global);
      if (failed(whole))
        return failure();
      operand.set(*whole);
    }
    return success();
  }

  // The op's strategy: the operand shardings as they arrive and the result
  // shardings as annotated (whole when not).
  SmallVector<TensorSharding> operandShardings, resultShardings;
  for (Value operand : op->getOperands())
    operandShardings.push_back(
        values.count(operand)
            ? lookup(operand).sharding
            : TensorSharding::replicated(
                  isa<RankedTensorType>(operand.getType())
                      ? cast<RankedTensorType>(operand.getType()).getRank()
                      : 0));
  for (Value result : op->getResults()) {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    resultShardings.push_back(
        producedAnnotation(result).value_or(
            TensorSharding::replicated(type ? type.getRank() : 0)));
  }

  if (auto iface = dyn_cast<ShardingStrategyOpInterface>(op)) {
    SmallVector<ShardingStrategy, 0> strategies;
    iface.getShardingStrategies(context, strategies);
    bool matched = llvm::any_of(strategies, [&](const ShardingStrategy &s) {
      return llvm::equal(s.operands, operandShardings) &&
             llvm::equal(s.results, resultShardings);
    });
    if (!matched) {
      InFlightDiagnostic diag = op->emitOpError(
          "has no strategy taking operands sharded as ");
      llvm::interleaveComma(operandShardings, diag,
                            [&](const TensorSharding &s) { diag << s.str({}); });
      diag << " to results sharded as ";
      llvm::interleaveComma(resultShardings, diag,
                            [&](const TensorSharding &s) { diag << s.str({}); });
      diag << "; annotate each use with the sharding the op needs "
              "(xf-auto-shard does)";
      return failure();
    }
  } else if (!llvm::all_of(operandShardings, [](const TensorSharding &s) {
               return s.isReplicated();
             }) ||
             !llvm::all_of(resultShardings, [](const TensorSharding &s) {
               return s.isReplicated();
             })) {
    return op->emitOpError("has no sharding strategies, so its operands and "
                           "results must be whole");
  }

  // A normalization over a split width: each device sums its slice of
  // every row and the sums are all-reduced over the devices holding the
  // other slices, once for the mean and once for the (centred) variance.
  if (isa<xf::LayerNormOp, xf::RmsNormOp>(op)) {
    const TensorSharding &input = operandShardings[0];
    ArrayRef<int64_t> widthAxes = input.dimAxes[input.getRank() - 1];
    if (!widthAxes.empty()) {
      auto global = cast<RankedTensorType>(op->getOperand(0).getType());
      auto combine = [&](Value rowSums) -> Value {
        return mesh::AllReduceOp::create(
            builder, loc, rowSums.getType(), meshSymbol,
            builder.getDenseI64ArrayAttr(widthAxes), rowSums,
            mesh::ReductionKindAttr::get(builder.getContext(),
                                         mesh::ReductionKind::Sum));
      };
      auto local = [&](Value v) { return lookup(v).value; };
      Value result;
      if (auto norm = dyn_cast<xf::LayerNormOp>(op))
        result = createNormalization(
            builder, loc, local(norm.getInput()), local(norm.getGamma()),
            local(norm.getBeta()), norm.getEpsilon().convertToDouble(),
            /*centre=*/true, global.getShape().back(), combine);
      else {
        auto rms = cast<xf::RmsNormOp>(op);
        result = createNormalization(
            builder, loc, local(rms.getInput()), local(rms.getGamma()),
            /*beta=*/nullptr, rms.getEpsilon().convertToDouble(),
            /*centre=*/false, global.getShape().back(), combine);
      }
      values[op->getResult(0)] = {result, resultShardings[0]};
      replaced.push_back(op);
      return success();
    }
  }

  // The op on its slices. Values its regions use from outside are taken
  // whole.
  IRMapping mapping;
  for (Value operand : op->getOperands())
    if (values.count(operand))
      mapping.map(operand, lookup(operand).value);
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  for (Value value : captured) {
    if (!values.count(value))
      continue;
    auto global = dyn_cast<RankedTensorType>(value.getType());
    if (!global) {
      mapping.map(value, lookup(value).value);
      continue;
    }
    FailureOr<Value> whole = reshard(
        loc, lookup(value), TensorSharding::replicated(global.getRank()), global);
    if (failed(whole))
      return failure();
    mapping.map(value, *whole);
  }
  Operation *local = builder.clone(*op, mapping);
  for (auto [result, sharding] : llvm::zip(local->getResults(), resultShardings)) {
    auto global = dyn_cast<RankedTensorType>(result.getType());
    if (!global)
      continue;
    FailureOr<RankedTensorType> type =
        localType(loc, global, sharding, "a result");
    if (failed(type))
      return failure();
    result.setType(*type);
  }
  // Vocabulary-parallel lookup: each device holds rows [start, start + V/n)
  // of the table, looks up the ids that fall there and contributes zeros
  // for the others; the partial sum over devices is the lookup.
  if (auto embedding = dyn_cast<xf::EmbeddingOp>(local);
      embedding && !operandShardings[0].dimAxes[0].empty()) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(embedding);
    auto ids = embedding.getIds();
    auto idsType = ids.getType();
    Type idType = idsType.getElementType();
    int64_t rows = embedding.getTable().getType().getDimSize(0);
    Value index = mesh::ProcessIndexOp::create(
        builder, loc, builder.getIndexType(), meshSymbol,
        builder.getDenseI64ArrayAttr(operandShardings[0].dimAxes[0]));
    Value start = arith::IndexCastOp::create(
        builder, loc, idType,
        arith::MulIOp::create(builder, loc, index,
                              arith::ConstantIndexOp::create(builder, loc, rows)));
    Value rowCount = arith::ConstantOp::create(
        builder, loc, builder.getIntegerAttr(idType, rows));
    Value zeroId =
        arith::ConstantOp::create(builder, loc, builder.getIntegerAttr(idType, 0));
    // The local row of an id, and whether the id is this device's.
    auto localRow = [&](OpBuilder &b, Location l, Value id) {
      return arith::SubIOp::create(b, l, id, start).getResult();
    };
    auto owned = [&](OpBuilder &b, Location l, Value row) {
      Value low = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, row,
                                        zeroId);
      Value high = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, row,
                                         rowCount);
      return arith::AndIOp::create(b, l, low, high).getResult();
    };
    Value localIds = createElementwise(
        builder, loc, idsType.getShape(), idType, {ids},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value row = localRow(b, l, args[0]);
          return arith::SelectOp::create(b, l, owned(b, l, row), row, zeroId);
        });
    embedding.getIdsMutable().assign(localIds);
    // Zero the rows of ids another device owns (a select, so that whatever
    // row 0 holds, even a NaN, does not leak into the sum).
    auto resultType = cast<RankedTensorType>(embedding.getType());
    Type elementType = resultType.getElementType();
    int64_t loops = resultType.getRank();
    builder.setInsertionPointAfter(embedding);
    Value rowsOut = embedding.getResult();
    Value masked = createElementwise(
        builder, loc, resultType.getShape(), elementType, {rowsOut, ids},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::SelectOp::create(
              b, l, owned(b, l, localRow(b, l, args[1])), args[0],
              floatConstant(b, l, elementType, 0.0));
        },
        {AffineMap::getMultiDimIdentityMap(loops, builder.getContext()),
         getDropDimMap(builder.getContext(), loops, loops - 1)});
    rowsOut.replaceAllUsesExcept(masked, masked.getDefiningOp());
    local = masked.getDefiningOp();
  }
  // Rotary embedding over a block of the sequence: positions start at the
  // block's start.
  if (auto rope = dyn_cast<xf::RopeOp>(local);
      rope && !rope.getPositions() && !operandShardings[0].dimAxes[1].empty()) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(rope);
    auto type = rope.getInput().getType();
    int64_t block = type.getDimSize(1);
    Value index = mesh::ProcessIndexOp::create(
        builder, loc, builder.getIndexType(), meshSymbol,
        builder.getDenseI64ArrayAttr(operandShardings[0].dimAxes[1]));
    Value start = arith::MulIOp::create(
        builder, loc, index, arith::ConstantIndexOp::create(builder, loc, block));
    Value positions = createElementwise(
        builder, loc, {type.getDimSize(0), block}, builder.getI64Type(), {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value position = arith::AddIOp::create(
              b, l, start, linalg::IndexOp::create(b, l, 1));
          return arith::IndexCastOp::create(b, l, b.getI64Type(), position);
        });
    rope.getPositionsMutable().assign(positions);
  }
  // Causal attention over a block of the queries: its diagonal moves by
  // the block's start.
  if (auto attention = dyn_cast<xf::AttentionOp>(local);
      attention && attention.getCausal() &&
      !operandShardings[0].dimAxes[1].empty()) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(attention);
    auto global = cast<xf::AttentionOp>(op);
    int64_t seqQ = global.getQuery().getType().getDimSize(1);
    int64_t seqKv = global.getKey().getType().getDimSize(1);
    int64_t block = attention.getQuery().getType().getDimSize(1);
    Value index = mesh::ProcessIndexOp::create(
        builder, loc, builder.getIndexType(), meshSymbol,
        builder.getDenseI64ArrayAttr(operandShardings[0].dimAxes[1]));
    Value start = arith::MulIOp::create(
        builder, loc, index, arith::ConstantIndexOp::create(builder, loc, block));
    Value diagonal =
        attention.getCausalOffset()
            ? attention.getCausalOffset()
            : arith::ConstantIndexOp::create(builder, loc, seqKv - seqQ)
                  .getResult();
    attention.getCausalOffsetMutable().assign(
        arith::AddIOp::create(builder, loc, start, diagonal).getResult());
  }
  // Grouped-query attention with more query-head slices than key/value
  // heads: the devices of one slice group share a key/value head, which
  // each takes from the whole keys and values it holds.
  if (auto attention = dyn_cast<xf::AttentionOp>(local)) {
    ArrayRef<int64_t> headAxes = operandShardings[0].dimAxes[2];
    int64_t devices = groupSize(mesh, headAxes);
    int64_t kvHeads = attention.getKey().getType().getDimSize(2);
    if (devices > 1 && kvHeads > 1 && operandShardings[1].dimAxes[2].empty()) {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPoint(attention);
      Value index = mesh::ProcessIndexOp::create(
          builder, loc, builder.getIndexType(), meshSymbol,
          builder.getDenseI64ArrayAttr(headAxes));
      Value perHead =
          arith::ConstantIndexOp::create(builder, loc, devices / kvHeads);
      Value head = arith::DivUIOp::create(builder, loc, index, perHead);
      for (OpOperand *operand :
           {&attention.getKeyMutable(), &attention.getValueMutable()}) {
        auto type = cast<RankedTensorType>(operand->get().getType());
        SmallVector<int64_t> shape(type.getShape());
        shape[2] = 1;
        SmallVector<OpFoldResult> offsets(4, builder.getIndexAttr(0)),
            sizes, strides(4, builder.getIndexAttr(1));
        offsets[2] = head;
        for (int64_t size : shape)
          sizes.push_back(builder.getIndexAttr(size));
        operand->set(tensor::ExtractSliceOp::create(
            builder, loc, RankedTensorType::get(shape, type.getElementType()),
            operand->get(), offsets, sizes, strides));
      }
    }
  }
  // Row-parallel linear: every device adds its share of the bias, so that
  // the reduction adds it once.
  if (auto linear = dyn_cast<xf::LinearOp>(local);
      linear && linear.getBias() && resultShardings[0].isPartial()) {
    int64_t devices = groupSize(mesh, resultShardings[0].partialAxes);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(linear);
    auto biasType = cast<RankedTensorType>(linear.getBias().getType());
    auto share = arith::ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(
            biasType, FloatAttr::get(biasType.getElementType(),
                                     1.0 / static_cast<double>(devices))));
    Value scaled = xf::MulOp::create(builder, loc, biasType, linear.getBias(),
                                     share);
    linear.getBiasMutable().assign(scaled);
  }
  for (auto [result, newResult, sharding] :
       llvm::zip(op->getResults(), local->getResults(), resultShardings))
    values[result] = {newResult, sharding};
  replaced.push_back(op);
  return success();
}

LogicalResult FunctionPartitioner::run() {
  if (failed(partitionArguments()))
    return failure();
  for (Operation &op :
       llvm::make_early_inc_range(func.getBody().front().getOperations()))
    if (failed(partitionOp(&op)))
      return failure();
  // Old ops go last to first, users before producers.
  for (Operation *op : llvm::reverse(replaced)) {
    op->dropAllUses();
    op->erase();
  }
  return success();
}

struct XfPartitionPass : weft::xf::impl::XfPartitionBase<XfPartitionPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const final {
    Base::getDependentDialects(registry);
    registerXfShardingStrategies(registry);
  }
  void runOnOperation() final;
};

void XfPartitionPass::runOnOperation() {
  ModuleOp module = getOperation();
  // 1. The mesh: the one every annotation names.
  FlatSymbolRefAttr meshSymbol;
  WalkResult walk = module.walk([&](mesh::ShardOp shard) {
    FlatSymbolRefAttr symbol = shard.getSharding().getMesh();
    if (meshSymbol && symbol != meshSymbol) {
      shard.emitOpError("annotates mesh ")
          << symbol << " but other annotations name " << meshSymbol
          << "; a program is partitioned over one mesh";
      return WalkResult::interrupt();
    }
    meshSymbol = symbol;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return signalPassFailure();
  if (!meshSymbol)
    return; // Nothing is sharded: every device runs the program as is.
  auto meshOp = SymbolTable::lookupNearestSymbolFrom<mesh::MeshOp>(
      module, meshSymbol);
  if (!meshOp) {
    module.emitError() << "expected " << meshSymbol << " to name a mesh.mesh";
    return signalPassFailure();
  }
  // Strategies need only the mesh's shape here; a mesh without hardware
  // gets unit numbers.
  MeshModel model;
  model.name = meshOp.getSymName().str();
  model.shape.assign(meshOp.getShape().begin(), meshOp.getShape().end());
  for (int64_t axis = 0; axis < meshOp.getRank(); ++axis) {
    model.axisNames.push_back(meshOp.getAxisName(axis));
    model.links.push_back({1.0, 1.0});
  }
  if (std::optional<ArrayAttr> links = meshOp.getLinks())
    for (auto [axis, attr] : llvm::enumerate(*links))
      model.links[axis].bandwidth =
          cast<mesh::LinkAttr>(attr).getBandwidth().convertToDouble();
  model.device = meshOp.getDevice().value_or(mesh::DeviceAttr::get(
      &getContext(), "unspecified", DictionaryAttr::get(&getContext()),
      APFloat(1.0), APFloat(1.0)));
  CostModel costModel(model);
  StrategyContext context{costModel};

  // 2. Each function. A partitioned function takes local slices, so a call
  //    that passes it whole tensors would no longer match.
  WalkResult calls = module.walk([&](func::CallOp call) {
    call.emitOpError("calls @")
        << call.getCallee()
        << "; xf-partition rewrites functions on their own, so inline calls "
           "first (--inline)";
    return WalkResult::interrupt();
  });
  if (calls.wasInterrupted())
    return signalPassFailure();
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("expected a function of one block to partition");
      return signalPassFailure();
    }
    FunctionPartitioner partitioner(func, meshOp, context);
    if (failed(partitioner.run()))
      return signalPassFailure();
  }
}

} // namespace
