//===- CudaOutlineLinear.cpp - Linear layers to tensor-core kernel calls --===//
//
// Picks the products the tensor-core GEMM takes (xf.linear and xf.matmul
// with f16/bf16 operands whose rows split into 16-byte chunks), follows
// each down the elementwise chain it feeds (bias, activation, residual)
// while every link has a single use, and replaces product and chain by one
// call of a private kernel declaration on buffers (LinearKernel.h); the
// other products stay for XfToLinalg.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Target/CUDA/KernelCalls.h"
#include "weft/Target/CUDA/LinearKernel.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "weft-cuda-outline-linear"

namespace weft::cuda {
#define GEN_PASS_DEF_CUDAOUTLINELINEAR
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;
using namespace weft;
using namespace weft::cuda;

namespace {

/// A product and the chain of ops the kernel replaces with it.
struct LinearChain {
  Operation *product = nullptr;
  /// The epilogue ops in order; the last one (or the product) gives the
  /// result the call replaces.
  SmallVector<Operation *> links;
  SmallVector<LinearEpilogue> epilogue;
  Value lhs, rhs, bias, residual;
  bool transposeRhs = false;
  int64_t batch = 1, m = 1, k = 1, n = 1;
  Type element;

  Operation *last() const { return links.empty() ? product : links.back(); }
};

/// Whether `type` is a static tensor of 16-bit floats with no empty
/// dimension.
bool isTensorCoreOperand(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getNumElements() == 0)
    return false;
  return takesLinearElement(tensor.getElementType());
}

int64_t product(ArrayRef<int64_t> sizes) {
  int64_t p = 1;
  for (int64_t s : sizes)
    p *= s;
  return p;
}

/// The product's operands and sizes when the kernel takes it: 16-bit
/// operands, and K and N multiples of 8 so that every row of A and B
/// starts on a 16-byte boundary (the unit of cp.async).
std::optional<LinearChain> matchProduct(Operation *op) {
  LinearChain chain;
  chain.product = op;
  if (auto linear = dyn_cast<xf::LinearOp>(op)) {
    if (!isTensorCoreOperand(linear.getInput().getType()) ||
        !isTensorCoreOperand(linear.getWeight().getType()) ||
        (linear.getBias() && !isTensorCoreOperand(linear.getBias().getType())))
      return std::nullopt;
    auto input = cast<RankedTensorType>(linear.getInput().getType());
    auto weight = cast<RankedTensorType>(linear.getWeight().getType());
    chain.lhs = linear.getInput();
    chain.rhs = linear.getWeight();
    chain.m = product(input.getShape().drop_back());
    chain.k = weight.getDimSize(0);
    chain.n = weight.getDimSize(1);
    chain.element = input.getElementType();
    if (Value bias = linear.getBias()) {
      chain.bias = bias;
      chain.epilogue.push_back(LinearEpilogue::Bias);
    }
  } else if (auto matmul = dyn_cast<xf::MatmulOp>(op)) {
    if (!isTensorCoreOperand(matmul.getLhs().getType()) ||
        !isTensorCoreOperand(matmul.getRhs().getType()))
      return std::nullopt;
    auto lhs = cast<RankedTensorType>(matmul.getLhs().getType());
    auto rhs = cast<RankedTensorType>(matmul.getRhs().getType());
    int64_t rank = lhs.getRank();
    chain.lhs = matmul.getLhs();
    chain.rhs = matmul.getRhs();
    chain.transposeRhs = matmul.getTransposeRhs();
    chain.batch = product(lhs.getShape().drop_back(2));
    chain.m = lhs.getDimSize(rank - 2);
    chain.k = lhs.getDimSize(rank - 1);
    chain.n = rhs.getDimSize(chain.transposeRhs ? rank - 2 : rank - 1);
    chain.element = lhs.getElementType();
  } else {
    return std::nullopt;
  }
  if (!takesLinearShape(chain.k, chain.n)) {
    LDBG() << "left: K = " << chain.k << ", N = " << chain.n
           << " (16-byte rows need multiples of 8): " << *op;
    return std::nullopt;
  }
  return chain;
}

/// Whether `type` is a row of N elements broadcast over every other
/// dimension of the result (`[N]`, `[1, N]`, `[1, 1, N]`, ...).
bool isBiasRow(Type type, RankedTensorType result) {
  auto row = dyn_cast<RankedTensorType>(type);
  if (!row || row.getElementType() != result.getElementType() ||
      row.getRank() < 1 || row.getRank() > result.getRank() ||
      row.getShape().back() != result.getShape().back())
    return false;
  return llvm::all_of(row.getShape().drop_back(),
                      [](int64_t size) { return size == 1; });
}

/// Extends `chain` over the ops its result feeds: at most one bias add,
/// then one activation, then one residual add, each the single user of
/// the value before it. Each link rounds its input first, as the op chain
/// stored every intermediate tensor in the element type.
void matchEpilogue(LinearChain &chain) {
  enum { kProduct, kBias, kActivation, kResidual } reached = kProduct;
  if (chain.bias)
    reached = kBias;
  Value current = chain.product->getResult(0);
  while (current.hasOneUse()) {
    Operation *user = *current.getUsers().begin();
    if (user->getBlock() != chain.product->getBlock() ||
        user->getResult(0).getType() != current.getType())
      break;
    auto type = cast<RankedTensorType>(current.getType());
    if (auto add = dyn_cast<xf::AddOp>(user)) {
      Value other = add.getLhs() == current ? add.getRhs() : add.getLhs();
      if (reached < kBias && isBiasRow(other.getType(), type)) {
        chain.bias = other;
        chain.epilogue.append({LinearEpilogue::Round, LinearEpilogue::Bias});
        reached = kBias;
      } else if (reached < kResidual && other.getType() == type) {
        chain.residual = other;
        chain.epilogue.append(
            {LinearEpilogue::Round, LinearEpilogue::Residual});
        reached = kResidual;
      } else {
        break;
      }
    } else if (auto gelu = dyn_cast<xf::GeluOp>(user);
               gelu && reached < kActivation) {
      chain.epilogue.append({LinearEpilogue::Round,
                             gelu.getApproximate() == xf::GeluApproximation::Tanh
                                 ? LinearEpilogue::GeluTanh
                                 : LinearEpilogue::GeluErf});
      reached = kActivation;
    } else if (isa<xf::SiluOp>(user) && reached < kActivation) {
      chain.epilogue.append({LinearEpilogue::Round, LinearEpilogue::Silu});
      reached = kActivation;
    } else {
      break;
    }
    chain.links.push_back(user);
    current = user->getResult(0);
  }
}

std::string kernelName(const LinearChain &chain) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << (isa<xf::LinearOp>(chain.product) ? "linear" : "matmul") << "_mma_"
     << (chain.element.isF16() ? "f16" : "bf16");
  for (LinearEpilogue step : chain.epilogue)
    if (step != LinearEpilogue::Round)
      os << "_" << stringifyLinearEpilogue(step);
  return name;
}

/// `value` (a static tensor) viewed as `shape`: a collapse to one dimension
/// and an expansion, both views of a row-major buffer once bufferized.
Value reshape(OpBuilder &b, Location loc, Value value,
              ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto flatType = RankedTensorType::get({type.getNumElements()},
                                        type.getElementType());
  auto allInOne = [](int64_t rank) {
    ReassociationIndices group;
    for (int64_t i = 0; i < rank; ++i)
      group.push_back(i);
    return SmallVector<ReassociationIndices>{group};
  };
  Value flat = value;
  if (type.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, value,
                                           allInOne(type.getRank()));
  if (shape.size() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), flat,
      allInOne(shape.size()));
}

struct CudaOutlineLinearPass
    : weft::cuda::impl::CudaOutlineLinearBase<CudaOutlineLinearPass> {
  using Base::Base;

  /// 1. Check the tiling from the options.
  /// 2. Collect the products (xf.linear, xf.matmul).
  /// 3. For each one the kernel takes, follow its epilogue chain and
  ///    replace both by a kernel call on buffers. Chains cannot overlap (a
  ///    chain passes through no other product), and each is matched only
  ///    when its turn comes, on the operands earlier rewrites left.
  void runOnOperation() final {
    ModuleOp module = getOperation();
    MmaLinearConfig tiling;
    tiling.blockM = blockM;
    tiling.blockN = blockN;
    tiling.blockK = blockK;
    tiling.warpsM = warpsM;
    tiling.warpsN = warpsN;
    tiling.stages = stages;

    SmallVector<Operation *> products;
    module.walk([&](Operation *op) {
      if (isa<xf::LinearOp, xf::MatmulOp>(op))
        products.push_back(op);
    });
    KernelDeclarations declarations(module, kLinearMmaAttrName);
    IRRewriter rewriter(&getContext());
    for (Operation *op : products) {
      std::optional<LinearChain> chain = matchProduct(op);
      if (!chain)
        continue;
      matchEpilogue(*chain);
      MmaLinearConfig config = tiling;
      config.transposeRhs = chain->transposeRhs;
      config.epilogue = chain->epilogue;
      if (failed(MmaLinearConfig::fromAttr(config.toAttr(&getContext()), op)))
        return signalPassFailure();
      outline(rewriter, declarations, *chain, config);
    }
  }

  void outline(IRRewriter &rewriter, KernelDeclarations &declarations,
               const LinearChain &chain, const MmaLinearConfig &config) {
    Operation *last = chain.last();
    MLIRContext *ctx = &getContext();
    // The call computes every op of the chain, the product first.
    SmallVector<Location> locs{chain.product->getLoc()};
    for (Operation *link : chain.links)
      locs.push_back(link->getLoc());
    Location loc = FusedLoc::get(ctx, locs);
    int64_t batch = chain.batch, m = chain.m, k = chain.k, n = chain.n;
    SmallVector<SmallVector<int64_t>> shapes{
        {batch, m, k},
        chain.transposeRhs ? SmallVector<int64_t>{batch, n, k}
                           : SmallVector<int64_t>{batch, k, n}};
    SmallVector<Value> inputs{chain.lhs, chain.rhs};
    if (chain.bias) {
      shapes.push_back({n});
      inputs.push_back(chain.bias);
    }
    if (chain.residual) {
      shapes.push_back({batch, m, n});
      inputs.push_back(chain.residual);
    }
    shapes.push_back({batch, m, n});
    SmallVector<Type> argTypes;
    for (ArrayRef<int64_t> shape : shapes)
      argTypes.push_back(MemRefType::get(shape, chain.element));

    // The declaration, shared by chains of one signature and configuration.
    func::FuncOp kernel = declarations.getOrCreate(
        rewriter, chain.product->getLoc(), kernelName(chain),
        FunctionType::get(ctx, argTypes, TypeRange{}), config.toAttr(ctx));

    // The call on buffers where the chain ends (every operand of the chain
    // is defined by then), its result a fresh buffer.
    rewriter.setInsertionPoint(last);
    SmallVector<Value> operands;
    for (auto [value, type] : llvm::zip(inputs, argTypes)) {
      auto memref = cast<MemRefType>(type);
      operands.push_back(bufferization::ToBufferOp::create(
          rewriter, loc, memref,
          reshape(rewriter, loc, value, memref.getShape()),
          rewriter.getUnitAttr()));
    }
    auto outType = cast<MemRefType>(argTypes.back());
    Value output = memref::AllocOp::create(rewriter, loc, outType);
    operands.push_back(output);
    func::CallOp::create(rewriter, loc, kernel, operands);
    Value result = bufferization::ToTensorOp::create(
        rewriter, loc,
        RankedTensorType::get(outType.getShape(), chain.element), output,
        rewriter.getUnitAttr(), rewriter.getUnitAttr());
    auto resultType = cast<RankedTensorType>(last->getResult(0).getType());
    rewriter.replaceOp(last,
                       reshape(rewriter, loc, result, resultType.getShape()));
    // The rest of the chain, last first (each op's single user is gone).
    if (chain.links.empty())
      return;
    for (Operation *op : llvm::reverse(ArrayRef(chain.links).drop_back()))
      rewriter.eraseOp(op);
    rewriter.eraseOp(chain.product);
  }
};

} // namespace
