//===- CudaLowerLaunches.cpp - Launches and device memory via the runtime -===//
//
// See Passes.td. The table's layout comes from the runtime's header
// (weft/device_table.h), so the compiler and the runtime cannot disagree.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Conversion/RuntimeTables.h"

#include "weft/device_table.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cstddef>

namespace weft::cuda {
#define GEN_PASS_DEF_CUDALOWERLAUNCHES
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;
using namespace weft;

namespace {

constexpr int64_t kLaunch = offsetof(weft_device_table_t, launch);
constexpr int64_t kAllocate = offsetof(weft_device_table_t, allocate);
constexpr int64_t kDeallocate = offsetof(weft_device_table_t, deallocate);
constexpr int64_t kDevice = offsetof(weft_device_table_t, device);
constexpr int64_t kEncodeTensorMap =
    offsetof(weft_device_table_t, encode_tensor_map);

/// Emits host code that talks to the device table `table` of one function.
class DeviceCalls {
public:
  DeviceCalls(OpBuilder &b, Value table, Block &entry)
      : b(b), table(table), entry(entry),
        ptr(LLVM::LLVMPointerType::get(b.getContext())) {}

  Value i64(Location loc, int64_t v) { return createI64(b, loc, v); }

  /// A stack slot of `count` values of `type`, in the entry block.
  Value slot(Location loc, Type type, int64_t count = 1) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&entry);
    Value size = i64(loc, count);
    return LLVM::AllocaOp::create(b, loc, ptr, type, size);
  }

  /// Calls entry `offset` with the device first; the status is the
  /// runtime's to report.
  void call(Location loc, int64_t offset, ArrayRef<Value> operands) {
    SmallVector<Value> args{loadTableField(b, loc, table, kDevice)};
    args.append(operands.begin(), operands.end());
    callTableEntry(b, loc, loadTableField(b, loc, table, offset), args);
  }

  /// `values` (index) stored as i64 into a fresh array.
  Value indexArray(Location loc, ValueRange values) {
    Value array = slot(loc, b.getI64Type(), values.size());
    for (auto [i, value] : llvm::enumerate(values)) {
      Value address = LLVM::GEPOp::create(
          b, loc, ptr, b.getI64Type(), array,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(
          b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), value),
          address);
    }
    return array;
  }

  /// Constants of `type` (i32 or i64) in a fresh array.
  Value constantArray(Location loc, IntegerType type,
                      ArrayRef<int64_t> values) {
    Value array = slot(loc, type, values.size());
    for (auto [i, value] : llvm::enumerate(values)) {
      Value address = LLVM::GEPOp::create(
          b, loc, ptr, type, array,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, type, value), address);
    }
    return array;
  }

  OpBuilder &b;
  Value table;
  Block &entry;
  Type ptr;
};

/// The value a kernel parameter slot holds for `operand`, or null when the
/// type cannot be passed.
Value kernelParameter(DeviceCalls &calls, Location loc, Value operand) {
  Type type = operand.getType();
  if (isa<MemRefType>(type))
    return getBufferPointer(calls.b, loc, operand);
  if (type.isIndex())
    return arith::IndexCastOp::create(calls.b, loc, calls.b.getI64Type(),
                                      operand);
  if (type.isIntOrFloat())
    return operand;
  return {};
}

/// Each tensor map's 128 bytes on the stack, by the value that names it.
using TensorMaps = llvm::DenseMap<Value, Value>;

/// `op`'s map, encoded by the runtime into a stack slot (WEFT_TENSOR_MAP_*
/// element types, dims and strides innermost first, as the table says).
LogicalResult lowerTensorMap(DeviceCalls &calls,
                             nvgpu::TmaCreateDescriptorOp op,
                             TensorMaps &maps) {
  OpBuilder &b = calls.b;
  Location loc = op.getLoc();
  auto cast = op.getTensor().getDefiningOp<memref::CastOp>();
  auto type =
      cast ? dyn_cast<MemRefType>(cast.getSource().getType()) : MemRefType();
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
    return op.emitOpError("on the host of a GPU program needs a static, "
                          "row-major buffer (cast to an unranked memref)");
  nvgpu::TensorMapDescriptorType mapType = op.getTensorMap().getType();
  // What the runtime's encode_tensor_map encodes, always.
  if (mapType.getInterleave() !=
          nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE ||
      mapType.getOob() != nvgpu::TensorMapOOBKind::OOB_ZERO ||
      mapType.getL2promo() != nvgpu::TensorMapL2PromoKind::L2PROMO_128B)
    return op.emitOpError("tensor maps are encoded without interleaving, "
                          "with zeros outside the tensor and 128-byte L2 "
                          "promotion");
  Type element = type.getElementType();
  int32_t elementType = element.isF16()    ? WEFT_TENSOR_MAP_F16
                        : element.isBF16() ? WEFT_TENSOR_MAP_BF16
                        : element.isF32()  ? WEFT_TENSOR_MAP_F32
                                           : 0;
  if (!elementType)
    return op.emitOpError("tensor maps of ")
           << element << " elements are not supported (f16, bf16, f32)";
  int64_t swizzle = 0;
  switch (mapType.getSwizzle()) {
  case nvgpu::TensorMapSwizzleKind::SWIZZLE_NONE:
    break;
  case nvgpu::TensorMapSwizzleKind::SWIZZLE_32B:
    swizzle = 32;
    break;
  case nvgpu::TensorMapSwizzleKind::SWIZZLE_64B:
    swizzle = 64;
    break;
  case nvgpu::TensorMapSwizzleKind::SWIZZLE_128B:
    swizzle = 128;
    break;
  }
  int64_t rank = type.getRank();
  if (static_cast<int64_t>(op.getBoxDimensions().size()) != rank)
    return op.emitOpError("needs one box size per dimension of its buffer (")
           << rank << ")";
  SmallVector<int64_t> dims, strides, box;
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  int64_t stride = elementBytes;
  for (int64_t d = rank - 1; d >= 0; --d) {
    std::optional<int64_t> size =
        getConstantIntValue(op.getBoxDimensions()[d]);
    if (!size)
      return op.emitOpError("needs constant box sizes");
    dims.push_back(type.getDimSize(d));
    box.push_back(*size);
    if (d != rank - 1)
      strides.push_back(stride);
    stride *= type.getDimSize(d);
  }

  b.setInsertionPoint(op);
  Value map;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&calls.entry);
    map = LLVM::AllocaOp::create(
        b, loc, calls.ptr, b.getI8Type(),
        calls.i64(loc, WEFT_TENSOR_MAP_BYTES), WEFT_TENSOR_MAP_ALIGNMENT);
  }
  Value noStrides = LLVM::ZeroOp::create(b, loc, calls.ptr);
  calls.call(loc, kEncodeTensorMap,
             {map, createI32(b, loc, elementType), createI32(b, loc, rank),
              getBufferPointer(b, loc, cast.getSource()),
              calls.constantArray(loc, b.getI64Type(), dims),
              strides.empty()
                  ? noStrides
                  : calls.constantArray(loc, b.getI64Type(), strides),
              calls.constantArray(loc, b.getI32Type(), box),
              createI32(b, loc, swizzle)});
  maps[op.getTensorMap()] = map;
  return success();
}

LogicalResult lowerLaunch(DeviceCalls &calls, gpu::LaunchFuncOp launch,
                          int64_t kernel, const TensorMaps &maps) {
  OpBuilder &b = calls.b;
  Location loc = launch.getLoc();
  b.setInsertionPoint(launch);
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
      launch.hasClusterSize())
    return launch.emitOpError("asynchronous or clustered launches are not "
                              "supported by the device table");
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  Value grids = calls.indexArray(loc, {grid.x, grid.y, grid.z});
  Value blocks = calls.indexArray(loc, {block.x, block.y, block.z});
  Value params = calls.slot(loc, calls.ptr, launch.getNumKernelOperands());
  for (auto [i, operand] : llvm::enumerate(launch.getKernelOperands())) {
    // A tensor map's slot is the map itself (a by-value parameter).
    Value slot = maps.lookup(operand);
    if (!slot) {
      Value value = kernelParameter(calls, loc, operand);
      if (!value)
        return launch.emitOpError("kernel argument ")
               << i << " of type " << operand.getType()
               << " cannot be passed to a kernel";
      slot = calls.slot(loc, value.getType());
      LLVM::StoreOp::create(b, loc, value, slot);
    }
    Value address = LLVM::GEPOp::create(
        b, loc, calls.ptr, calls.ptr, params,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, slot, address);
  }
  Value shared = calls.i64(loc, 0);
  if (Value dynamic = launch.getDynamicSharedMemorySize())
    shared = arith::ExtUIOp::create(b, loc, b.getI64Type(), dynamic);
  calls.call(loc, kLaunch,
             {calls.i64(loc, kernel), grids, blocks, shared, params});
  launch.erase();
  return success();
}

/// The buffer `allocate` returns, described as `alloc`'s memref.
LogicalResult lowerAlloc(DeviceCalls &calls, memref::AllocOp alloc) {
  OpBuilder &b = calls.b;
  Location loc = alloc.getLoc();
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return alloc.emitOpError("on the host of a GPU program needs a static, "
                             "row-major shape");
  b.setInsertionPoint(alloc);
  int64_t elementBytes = (type.getElementTypeBitWidth() + 7) / 8;
  int64_t bytes = std::max<int64_t>(1, type.getNumElements() * elementBytes);
  Value out = calls.slot(loc, calls.ptr);
  calls.call(loc, kAllocate, {calls.i64(loc, bytes), out});
  Value pointer = LLVM::LoadOp::create(b, loc, calls.ptr, out);

  // {allocated, aligned, offset, sizes, strides}, cast back to the memref.
  int64_t rank = type.getRank();
  SmallVector<Type> fields{calls.ptr, calls.ptr, b.getI64Type()};
  if (rank > 0) {
    auto array = LLVM::LLVMArrayType::get(b.getI64Type(), rank);
    fields.append({array, array});
  }
  auto descriptorType = LLVM::LLVMStructType::getLiteral(b.getContext(), fields);
  Value descriptor = LLVM::UndefOp::create(b, loc, descriptorType);
  descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, pointer,
                                           ArrayRef<int64_t>{0});
  descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, pointer,
                                           ArrayRef<int64_t>{1});
  descriptor = LLVM::InsertValueOp::create(b, loc, descriptor,
                                           calls.i64(loc, 0),
                                           ArrayRef<int64_t>{2});
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    descriptor = LLVM::InsertValueOp::create(
        b, loc, descriptor, calls.i64(loc, type.getDimSize(d)),
        ArrayRef<int64_t>{3, d});
    descriptor = LLVM::InsertValueOp::create(
        b, loc, descriptor, calls.i64(loc, stride), ArrayRef<int64_t>{4, d});
    stride *= type.getDimSize(d);
  }
  Value memref =
      UnrealizedConversionCastOp::create(b, loc, type, descriptor).getResult(0);
  alloc.replaceAllUsesWith(memref);
  alloc.erase();
  return success();
}

struct CudaLowerLaunchesPass
    : weft::cuda::impl::CudaLowerLaunchesBase<CudaLowerLaunchesPass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    llvm::DenseMap<SymbolRefAttr, int64_t> kernels;
    SmallVector<Attribute> names;
    SmallVector<SmallVector<Location>> locations;

    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      bool launches = false;
      func.walk([&](gpu::LaunchFuncOp) {
        launches = true;
        return WalkResult::interrupt();
      });
      if (!func.isPublic()) {
        if (!launches)
          continue;
        func.emitOpError("launches kernels but is not public; only entry "
                         "functions receive the device table");
        return signalPassFailure();
      }
      // Every entry takes the table first (one ABI for the whole program);
      // the collective table and the results follow the arguments.
      if (failed(func.insertArgument(0, LLVM::LLVMPointerType::get(ctx),
                                     DictionaryAttr::get(ctx),
                                     func.getLoc())))
        return signalPassFailure();
      OpBuilder b(ctx);
      DeviceCalls calls(b, func.getArgument(0), func.getBody().front());

      TensorMaps maps;
      SmallVector<nvgpu::TmaCreateDescriptorOp> mapOps;
      func.walk(
          [&](nvgpu::TmaCreateDescriptorOp op) { mapOps.push_back(op); });
      for (nvgpu::TmaCreateDescriptorOp op : mapOps)
        if (failed(lowerTensorMap(calls, op, maps)))
          return signalPassFailure();
      SmallVector<gpu::LaunchFuncOp> launchOps;
      func.walk([&](gpu::LaunchFuncOp op) { launchOps.push_back(op); });
      for (gpu::LaunchFuncOp launch : launchOps) {
        auto [it, inserted] =
            kernels.try_emplace(launch.getKernel(), kernels.size());
        if (inserted) {
          names.push_back(launch.getKernelName());
          locations.push_back({});
        }
        locations[it->second].push_back(launch.getLoc());
        if (failed(lowerLaunch(calls, launch, it->second, maps)))
          return signalPassFailure();
      }
      // The maps' only users were launches; the casts fed only the maps.
      for (nvgpu::TmaCreateDescriptorOp op : mapOps) {
        auto cast = op.getTensor().getDefiningOp<memref::CastOp>();
        op.erase();
        if (cast && cast->use_empty())
          cast.erase();
      }
      SmallVector<memref::AllocOp> allocs;
      func.walk([&](memref::AllocOp op) { allocs.push_back(op); });
      for (memref::AllocOp alloc : allocs)
        if (failed(lowerAlloc(calls, alloc)))
          return signalPassFailure();
      SmallVector<memref::DeallocOp> deallocs;
      func.walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
      for (memref::DeallocOp dealloc : deallocs) {
        b.setInsertionPoint(dealloc);
        calls.call(dealloc.getLoc(), kDeallocate,
                   {getBufferPointer(b, dealloc.getLoc(), dealloc.getMemref())});
        dealloc.erase();
      }
    }
    module->setAttr(weft::cuda::kKernelsAttrName, ArrayAttr::get(ctx, names));
    // Where each kernel is launched from (the model ops each launch
    // computes), in the same order, for the artifact's kernel report: a
    // kernel shared by several layers has a location per launch.
    SmallVector<Attribute> kernelLocations;
    for (ArrayRef<Location> locs : locations)
      kernelLocations.push_back(
          ArrayAttr::get(ctx, SmallVector<Attribute>(locs.begin(), locs.end())));
    module->setAttr(weft::cuda::kKernelLocationsAttrName,
                    ArrayAttr::get(ctx, kernelLocations));
  }
};

} // namespace
