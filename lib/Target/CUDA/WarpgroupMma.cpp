//===- WarpgroupMma.cpp - Warpgroup tensor cores and TMA (sm_90a) ---------===//

#include "weft/Target/CUDA/WarpgroupMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace weft::cuda;

namespace {

Value i64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

/// Matrix descriptor bits (PTX ISA, "Matrix Descriptor Format"): the start
/// address, leading and stride byte offsets, all in 16-byte units, and the
/// swizzle mode in bits 62-63 (1: 128 bytes). The base offset (bits 49-51)
/// stays 0: tiles start at multiples of 1024 bytes.
constexpr uint64_t kSwizzle128Mode = 1ull << 62;
uint64_t descriptorBits(int64_t leadingBytes, int64_t strideBytes) {
  return kSwizzle128Mode |
         (static_cast<uint64_t>(strideBytes >> 4) << 32) |
         (static_cast<uint64_t>(leadingBytes >> 4) << 16);
}

} // namespace

WarpgroupMma::WarpgroupMma(OpBuilder &b, Location loc, Type element)
    : b(b), loc(loc), element(element) {}

/// Bits 4-17 of a shared address: a descriptor's start address field.
static Value startAddressField(OpBuilder &b, Location loc, Value address) {
  return arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, address, i64(b, loc, 4)),
      i64(b, loc, 0x3FFF));
}

Value WarpgroupMma::kMajorDescriptor(Value address) {
  // The leading offset is unused for swizzled K-major operands (the
  // k-steps stay within a 128-byte row) and set to 1 as the ISA advises.
  return arith::OrIOp::create(
      b, loc, startAddressField(b, loc, address),
      i64(b, loc, static_cast<int64_t>(descriptorBits(16, kSwizzleAtomBytes))));
}

Value WarpgroupMma::nMajorDescriptor(Value address, int64_t panelBytes) {
  return arith::OrIOp::create(
      b, loc, startAddressField(b, loc, address),
      i64(b, loc, static_cast<int64_t>(
                      descriptorBits(panelBytes, kSwizzleAtomBytes))));
}

Value WarpgroupMma::advance(Value descriptor, int64_t bytes) {
  if (bytes == 0)
    return descriptor;
  return arith::AddIOp::create(b, loc, descriptor, i64(b, loc, bytes >> 4));
}

Type WarpgroupMma::accumulatorType(int64_t n) {
  return LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(n / 2, b.getF32Type()));
}

Value WarpgroupMma::pack(const Accumulator &d, int64_t n) {
  Value packed = LLVM::PoisonOp::create(b, loc, accumulatorType(n));
  if (d.empty())
    return packed;
  for (auto [i, value] : llvm::enumerate(d))
    packed = LLVM::InsertValueOp::create(b, loc, packed, value,
                                         ArrayRef<int64_t>{int64_t(i)});
  return packed;
}

WarpgroupMma::Accumulator WarpgroupMma::unpack(Value d, int64_t n) {
  Accumulator values;
  for (int64_t i = 0; i < n / 2; ++i)
    values.push_back(
        LLVM::ExtractValueOp::create(b, loc, d, ArrayRef<int64_t>{i}));
  return values;
}

WarpgroupMma::Accumulator WarpgroupMma::mmaShared(Value descriptorA,
                                                  Value descriptorB,
                                                  const Accumulator &d,
                                                  int64_t n, bool accumulate) {
  MLIRContext *ctx = b.getContext();
  auto type = NVVM::WGMMATypesAttr::get(
      ctx, element.isF16() ? NVVM::WGMMATypes::f16 : NVVM::WGMMATypes::bf16);
  auto one = NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one);
  Value result = NVVM::WgmmaMmaAsyncOp::create(
      b, loc, accumulatorType(n), pack(accumulate ? d : Accumulator{}, n),
      descriptorA, descriptorB, NVVM::MMAShapeAttr::get(ctx, 64, n, 16), type,
      type, NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::f32),
      NVVM::WGMMAScaleOutAttr::get(ctx, accumulate
                                            ? NVVM::WGMMAScaleOut::one
                                            : NVVM::WGMMAScaleOut::zero),
      one, one,
      // A row-major and B column-major: both K-major (no transpose).
      NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::row),
      NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::col),
      /*satfinite=*/nullptr);
  return unpack(result, n);
}

WarpgroupMma::Accumulator
WarpgroupMma::mmaRegisterA(ArrayRef<Value> a, Value descriptorB,
                           const Accumulator &d, int64_t n) {
  // wgmma with A in registers has no NVVM op; it is issued as inline PTX:
  // outputs $0..$(n/2-1) are the accumulator, tied to the inputs that
  // follow them, then the four A registers (32-bit) and B's descriptor.
  // Scale-d is a predicate, set (D += A·B); B is transposed (N-major,
  // imm-trans-b 1).
  int64_t count = n / 2;
  std::string dRegs, constraints;
  for (int64_t i = 0; i < count; ++i) {
    dRegs += (i ? ", $" : "$") + std::to_string(i);
    constraints += "=f,";
  }
  for (int64_t i = 0; i < count; ++i)
    constraints += std::to_string(i) + ",";
  constraints += "r,r,r,r,l";
  int64_t aBase = 2 * count;
  std::string ptx = llvm::formatv(
      "{{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n{0}k16.f32.{1}.{1} {{{2}}, "
      "{{${3}, ${4}, ${5}, ${6}}, ${7}, p, 1, 1, 1;\n}\n",
      n, element.isF16() ? "f16" : "bf16", dRegs, aBase, aBase + 1, aBase + 2,
      aBase + 3, aBase + 4);
  SmallVector<Value> operands(d.begin(), d.end());
  llvm::append_range(operands, a);
  operands.push_back(descriptorB);
  auto asmOp = LLVM::InlineAsmOp::create(
      b, loc, accumulatorType(n), operands, ptx, constraints,
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  return unpack(asmOp.getResult(0), n);
}

void WarpgroupMma::fence(MutableArrayRef<Value> operands) {
  if (!operands.empty()) {
    std::string constraints;
    SmallVector<Type> types;
    for (Value operand : operands) {
      constraints += operand.getType().isF32() ? "=f," : "=r,";
      types.push_back(operand.getType());
    }
    for (size_t i = 0; i < operands.size(); ++i)
      constraints += std::to_string(i) + (i + 1 < operands.size() ? "," : "");
    auto asmOp = LLVM::InlineAsmOp::create(
        b, loc, LLVM::LLVMStructType::getLiteral(b.getContext(), types),
        operands, "", constraints, /*has_side_effects=*/true,
        /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
        LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
        /*operand_attrs=*/ArrayAttr());
    for (auto [i, operand] : llvm::enumerate(operands))
      operand = LLVM::ExtractValueOp::create(b, loc, asmOp.getResult(0),
                                             ArrayRef<int64_t>{int64_t(i)});
  }
  NVVM::WgmmaFenceAlignedOp::create(b, loc);
}

void WarpgroupMma::commit() { NVVM::WgmmaGroupSyncAlignedOp::create(b, loc); }

void WarpgroupMma::wait(int64_t pending) {
  NVVM::WgmmaWaitGroupSyncOp::create(b, loc, pending);
}

TmaBarriers::TmaBarriers(OpBuilder &b, Location loc, Value storage,
                         int64_t count)
    : b(b), loc(loc) {
  // The group is the NVGPU view of the storage; its lowering turns it back
  // into that memref (nvgpu::getMBarrierMemrefType), and the casts fold.
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  group = UnrealizedConversionCastOp::create(
              b, loc,
              nvgpu::MBarrierGroupType::get(b.getContext(), workgroup, count),
              storage)
              .getResult(0);
}

void TmaBarriers::init() {
  auto type = cast<nvgpu::MBarrierGroupType>(group.getType());
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t i = 0; i < type.getNumBarriers(); ++i)
    nvgpu::MBarrierInitOp::create(b, loc, group, one,
                                  arith::ConstantIndexOp::create(b, loc, i),
                                  /*predicate=*/Value());
  // The initialized barriers visible to the asynchronous (TMA) proxy.
  NVVM::FenceMbarrierInitOp::create(b, loc);
}

void TmaBarriers::expectBytes(Value index, int64_t bytes) {
  nvgpu::MBarrierArriveExpectTxOp::create(
      b, loc, group, arith::ConstantIndexOp::create(b, loc, bytes), index,
      /*predicate=*/Value());
}

void TmaBarriers::load(Value tensorMap, ValueRange coordinates, Value index,
                       Value destination) {
  nvgpu::TmaAsyncLoadOp::create(b, loc, destination, group, tensorMap,
                                coordinates, index,
                                /*multicastMask=*/Value(),
                                /*predicate=*/Value());
}

void TmaBarriers::wait(Value index, Value parity) {
  // The suspend-time hint of try_wait; the op loops until the phase ends.
  Value ticks = arith::ConstantIndexOp::create(b, loc, 10000000);
  nvgpu::MBarrierTryWaitParityOp::create(b, loc, group, parity, ticks, index);
}
