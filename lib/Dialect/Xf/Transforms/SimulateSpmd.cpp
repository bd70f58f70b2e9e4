//===- SimulateSpmd.cpp - Run every device's program on one device --------===//
//
// The `xf-simulate-spmd` pass: turns a partitioned function (xf-partition's
// output, for a mesh of N devices) into one function that computes all N
// devices' programs side by side and carries out their collectives with
// ordinary tensor ops (sums, concatenations, slices). It takes and returns
// whole tensors, so a partitioned program can be compiled and checked
// against the unpartitioned one on a single machine, with no runtime
// collectives involved: a test of the partitioner, not a way to run fast.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/Transforms/Passes.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Mesh/IR/MeshPresets.h"
#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Sharding/TensorSharding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace weft::xf {
#define GEN_PASS_DEF_XFSIMULATESPMD
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"
} // namespace weft::xf

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {

/// The devices of a mesh and their groups along sets of axes.
struct Devices {
  SmallVector<int64_t> shape;
  int64_t count = 1;

  SmallVector<int64_t> coordinates(int64_t device) const {
    SmallVector<int64_t> coords(shape.size());
    for (int64_t axis = shape.size() - 1; axis >= 0; --axis) {
      coords[axis] = device % shape[axis];
      device /= shape[axis];
    }
    return coords;
  }
  /// Row-major index of `device` within its group along `axes`.
  int64_t indexAlong(int64_t device, ArrayRef<int64_t> axes) const {
    SmallVector<int64_t> coords = coordinates(device);
    int64_t index = 0;
    for (int64_t axis : axes)
      index = index * shape[axis] + coords[axis];
    return index;
  }
  /// The devices of `device`'s group along `axes`, in group order.
  SmallVector<int64_t> group(int64_t device, ArrayRef<int64_t> axes) const {
    SmallVector<int64_t> members;
    SmallVector<int64_t> base = coordinates(device);
    int64_t size = 1;
    for (int64_t axis : axes)
      size *= shape[axis];
    for (int64_t i = 0; i < size; ++i) {
      SmallVector<int64_t> coords = base;
      int64_t rest = i;
      for (int64_t a = axes.size() - 1; a >= 0; --a) {
        coords[axes[a]] = rest % shape[axes[a]];
        rest /= shape[axes[a]];
      }
      int64_t linear = 0;
      for (auto [axis, c] : llvm::enumerate(coords))
        linear = linear * shape[axis] + c;
      members.push_back(linear);
    }
    return members;
  }
};

/// Slice `piece` of `count` equal pieces of `value` along `dim`.
Value slicePiece(OpBuilder &b, Location loc, Value value, int64_t dim,
                 int64_t count, int64_t piece) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] /= count;
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0)), sizes,
      strides(shape.size(), b.getIndexAttr(1));
  offsets[dim] = b.getIndexAttr(piece * shape[dim]);
  for (int64_t size : shape)
    sizes.push_back(b.getIndexAttr(size));
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      offsets, sizes, strides);
}

Value sumOf(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value sum = values.front();
  for (Value v : values.drop_front())
    sum = xf::AddOp::create(b, loc, sum.getType(), sum, v);
  return sum;
}

struct XfSimulateSpmdPass
    : weft::xf::impl::XfSimulateSpmdBase<XfSimulateSpmdPass> {
  using Base::Base;
  void runOnOperation() final;
  LogicalResult simulate(func::FuncOp func, mesh::MeshOp mesh);
};

LogicalResult XfSimulateSpmdPass::simulate(func::FuncOp func,
                                           mesh::MeshOp meshOp) {
  Devices devices;
  devices.shape.assign(meshOp.getShape().begin(), meshOp.getShape().end());
  devices.count = meshOp.getNumDevices();
  Block &body = func.getBody().front();
  // The program's own ops, before the argument slices go in front of them.
  SmallVector<Operation *> original;
  for (Operation &op : body)
    original.push_back(&op);
  OpBuilder b = OpBuilder::atBlockBegin(&body);
  Location loc = func.getLoc();

  // 1. Whole arguments; each device's slice of them.
  SmallVector<IRMapping> maps(devices.count);
  SmallVector<Type> inputs;
  for (BlockArgument arg : body.getArguments()) {
    auto local = dyn_cast<RankedTensorType>(arg.getType());
    auto attr = func.getArgAttrOfType<mesh::ShardingAttr>(arg.getArgNumber(),
                                                          mesh::MeshDialect::kShardingAttrName);
    if (!local || !attr) {
      inputs.push_back(arg.getType());
      for (IRMapping &map : maps)
        map.map(arg, arg);
      continue;
    }
    TensorSharding sharding = TensorSharding::fromAttr(attr, local.getRank());
    SmallVector<int64_t> shape(local.getShape());
    for (int64_t dim = 0; dim < local.getRank(); ++dim)
      shape[dim] *= sharding.getSplitCount(dim, devices.shape);
    auto global = RankedTensorType::get(shape, local.getElementType());
    inputs.push_back(global);
    func.removeArgAttr(arg.getArgNumber(), mesh::MeshDialect::kShardingAttrName);
    arg.setType(global);
    for (int64_t device = 0; device < devices.count; ++device) {
      Value slice = arg;
      for (int64_t dim = 0; dim < local.getRank(); ++dim) {
        ArrayRef<int64_t> axes = sharding.dimAxes[dim];
        if (axes.empty())
          continue;
        auto type = cast<RankedTensorType>(slice.getType());
        // Cut this dimension in the blocks of the axes splitting it.
        SmallVector<int64_t> pieceShape(type.getShape());
        pieceShape[dim] = local.getDimSize(dim);
        SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
            sizes, strides(type.getRank(), b.getIndexAttr(1));
        offsets[dim] = b.getIndexAttr(devices.indexAlong(device, axes) *
                                      local.getDimSize(dim));
        for (int64_t size : pieceShape)
          sizes.push_back(b.getIndexAttr(size));
        slice = tensor::ExtractSliceOp::create(
            b, loc, RankedTensorType::get(pieceShape, type.getElementType()),
            slice, offsets, sizes, strides);
      }
      maps[device].map(arg, slice);
    }
  }
  func.setFunctionType(b.getFunctionType(inputs, func.getResultTypes()));

  // 2. Every op once per device, in lockstep, so that a collective finds
  //    every member's input already computed.
  for (Operation *op : original) {
    b.setInsertionPoint(op);
    Location l = op->getLoc();
    auto inputOf = [&](int64_t device) {
      return maps[device].lookup(op->getOperand(0));
    };
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (OpOperand &operand : ret->getOpOperands())
        operand.set(maps[0].lookupOrDefault(operand.get()));
      continue;
    }
    if (auto index = dyn_cast<mesh::ProcessIndexOp>(op)) {
      for (int64_t device = 0; device < devices.count; ++device)
        maps[device].map(index.getResult(),
                         arith::ConstantIndexOp::create(
                             b, l, devices.indexAlong(device,
                                                      index.getMeshAxes())));
      continue;
    }
    if (auto reduce = dyn_cast<mesh::AllReduceOp>(op)) {
      if (reduce.getReduction() != mesh::ReductionKind::Sum)
        return reduce.emitOpError("is simulated for sums only");
      for (int64_t device = 0; device < devices.count; ++device) {
        SmallVector<Value> parts;
        for (int64_t member : devices.group(device, reduce.getMeshAxes()))
          parts.push_back(inputOf(member));
        maps[device].map(reduce.getResult(), sumOf(b, l, parts));
      }
      continue;
    }
    if (auto gather = dyn_cast<mesh::AllGatherOp>(op)) {
      for (int64_t device = 0; device < devices.count; ++device) {
        SmallVector<Value> parts;
        for (int64_t member : devices.group(device, gather.getMeshAxes()))
          parts.push_back(inputOf(member));
        maps[device].map(gather.getResult(),
                         xf::ConcatOp::create(b, l, gather.getType(), parts,
                                              b.getI64IntegerAttr(
                                                  gather.getGatherAxis())));
      }
      continue;
    }
    if (auto scatter = dyn_cast<mesh::ReduceScatterOp>(op)) {
      if (scatter.getReduction() != mesh::ReductionKind::Sum)
        return scatter.emitOpError("is simulated for sums only");
      for (int64_t device = 0; device < devices.count; ++device) {
        SmallVector<int64_t> members =
            devices.group(device, scatter.getMeshAxes());
        SmallVector<Value> parts;
        for (int64_t member : members)
          parts.push_back(inputOf(member));
        maps[device].map(
            scatter.getResult(),
            slicePiece(b, l, sumOf(b, l, parts), scatter.getScatterAxis(),
                       members.size(),
                       devices.indexAlong(device, scatter.getMeshAxes())));
      }
      continue;
    }
    if (auto exchange = dyn_cast<mesh::AllToAllOp>(op)) {
      for (int64_t device = 0; device < devices.count; ++device) {
        SmallVector<int64_t> members =
            devices.group(device, exchange.getMeshAxes());
        int64_t mine = devices.indexAlong(device, exchange.getMeshAxes());
        SmallVector<Value> parts;
        for (int64_t member : members)
          parts.push_back(slicePiece(b, l, inputOf(member),
                                     exchange.getSplitAxis(), members.size(),
                                     mine));
        maps[device].map(exchange.getResult(),
                         xf::ConcatOp::create(b, l, exchange.getType(), parts,
                                              b.getI64IntegerAttr(
                                                  exchange.getConcatAxis())));
      }
      continue;
    }
    if (isa<mesh::BroadcastOp, mesh::SendOp, mesh::RecvOp>(op))
      return op->emitOpError("is not simulated");
    for (int64_t device = 0; device < devices.count; ++device)
      b.clone(*op, maps[device]);
  }
  for (Operation *op : llvm::reverse(original))
    if (!isa<func::ReturnOp>(op)) {
      op->dropAllUses();
      op->erase();
    }
  return success();
}

void XfSimulateSpmdPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<mesh::MeshOp> meshes(module.getOps<mesh::MeshOp>());
  if (meshes.size() != 1) {
    module.emitError() << "expected the one mesh.mesh of a partitioned "
                          "program, found "
                       << meshes.size();
    return signalPassFailure();
  }
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("expected a function of one block to simulate");
      return signalPassFailure();
    }
    if (failed(simulate(func, meshes.front())))
      return signalPassFailure();
  }
}

} // namespace
