//===- SplitFusedProjections.cpp - One linear per piece of a fused one ----===//
//
// GPT-2 computes queries, keys and values with one linear layer and splits
// its output. Split by output features over a mesh, that fused output is not
// a block layout of any piece (device 0 would hold only queries), so the
// pieces would have to be gathered before attention. One linear per piece,
// reading the matching columns of the fused weight, gives each piece its
// own column split: Megatron's head-parallel attention. The weight and bias
// splits depend on weights alone, so they happen when weights are loaded.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/Transforms/Passes.h"

#include "weft/Dialect/Xf/IR/XfOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace weft::xf {
#define GEN_PASS_DEF_XFSPLITFUSEDPROJECTIONS
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"
} // namespace weft::xf

using namespace mlir;
using namespace weft;

namespace {

/// xf.split(xf.linear(x, W, b), last dim) -> xf.linear(x, W_i, b_i) with
/// W and b split along their output-feature dimension.
struct SplitLinearOutput : OpRewritePattern<xf::SplitOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(xf::SplitOp split,
                                PatternRewriter &rewriter) const override {
    auto linear = split.getInput().getDefiningOp<xf::LinearOp>();
    if (!linear || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(split, "input is not a linear used once");
    auto resultType = linear.getType();
    if (static_cast<int64_t>(split.getDim()) != resultType.getRank() - 1)
      return rewriter.notifyMatchFailure(split, "not a split of the features");

    Location loc = linear.getLoc();
    auto weightType = linear.getWeight().getType();
    SmallVector<Type> weightPieces, biasPieces;
    for (Type piece : split.getResultTypes()) {
      int64_t features = cast<RankedTensorType>(piece).getShape().back();
      weightPieces.push_back(RankedTensorType::get(
          {weightType.getShape()[0], features}, weightType.getElementType()));
      biasPieces.push_back(
          RankedTensorType::get({features}, weightType.getElementType()));
    }
    auto weights = xf::SplitOp::create(rewriter, loc, weightPieces,
                                       linear.getWeight(), /*dim=*/1);
    xf::SplitOp biases;
    if (Value bias = linear.getBias())
      biases = xf::SplitOp::create(rewriter, loc, biasPieces, bias, /*dim=*/0);
    SmallVector<Value> pieces;
    for (auto [i, type] : llvm::enumerate(split.getResultTypes())) {
      Value bias = biases ? biases.getResult(i) : Value();
      pieces.push_back(xf::LinearOp::create(rewriter, loc, type,
                                            linear.getInput(),
                                            weights.getResult(i), bias));
    }
    rewriter.replaceOp(split, pieces);
    rewriter.eraseOp(linear);
    return success();
  }
};

struct XfSplitFusedProjectionsPass
    : weft::xf::impl::XfSplitFusedProjectionsBase<XfSplitFusedProjectionsPass> {
  using Base::Base;
  void runOnOperation() final {
    RewritePatternSet patterns(&getContext());
    xf::populateSplitFusedProjectionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void weft::xf::populateSplitFusedProjectionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SplitLinearOutput>(patterns.getContext());
}
