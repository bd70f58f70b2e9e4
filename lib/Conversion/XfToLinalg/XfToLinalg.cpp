//===- XfToLinalg.cpp - Lower xf ops to linalg, tensor, arith and math ----===//
//
// Every xf op except attention becomes linalg.generic (or a tensor reshaping
// op) on the same static tensors. Normalizations and softmax decompose into
// row reductions followed by an elementwise map; f16/bf16 compute in f32 and
// round once at the end, as PyTorch does. Attention has its own lowering,
// xf-lower-attention, which must run first.
//
//===----------------------------------------------------------------------===//

#include "weft/Conversion/Passes.h"

#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace weft {
#define GEN_PASS_DEF_XFLOWERTOLINALG
#include "weft/Conversion/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;
using namespace weft::xf;

namespace {

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Builds `body` on compute-type scalars: every float argument is widened to
/// the compute type and the result rounded to `resultType`.
Value createComputeElementwise(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, Type resultType,
                               ValueRange inputs, ScalarBodyFn body) {
  Type compute = getComputeType(resultType);
  return createElementwise(
      b, loc, shape, resultType, inputs,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> wide;
        for (Value arg : args)
          wide.push_back(isa<FloatType>(arg.getType())
                             ? castFloat(nb, nloc, arg, compute)
                             : arg);
        return castFloat(nb, nloc, body(nb, nloc, wide), resultType);
      });
}

Value createMax(OpBuilder &b, Location loc, Value input, unsigned dim) {
  return createRowReduction(
      b, loc, input, dim, -INFINITY,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MaximumFOp::create(nb, nloc, args[0], args[1]);
      });
}


//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

template <typename XfOp, typename ArithOp>
struct LowerBinary : OpRewritePattern<XfOp> {
  using OpRewritePattern<XfOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(XfOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = createComputeElementwise(
        rewriter, op.getLoc(), type.getShape(), type.getElementType(),
        {op.getLhs(), op.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return ArithOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerGelu : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool useTanh = op.getApproximate() == GeluApproximation::Tanh;
    Value result = createComputeElementwise(
        rewriter, op.getLoc(), type.getShape(), type.getElementType(),
        op.getInput(), [&](OpBuilder &b, Location loc, ValueRange args) {
          Value x = args[0];
          Type t = x.getType();
          Value half = floatConstant(b, loc, t, 0.5);
          Value one = floatConstant(b, loc, t, 1.0);
          Value inner;
          if (useTanh) {
            // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
            Value x3 = arith::MulFOp::create(
                b, loc, arith::MulFOp::create(b, loc, x, x), x);
            Value poly = arith::AddFOp::create(
                b, loc, x,
                arith::MulFOp::create(b, loc,
                                      floatConstant(b, loc, t, 0.044715), x3));
            inner = math::TanhOp::create(
                b, loc,
                arith::MulFOp::create(
                    b, loc, floatConstant(b, loc, t, std::sqrt(2.0 / M_PI)),
                    poly));
          } else {
            inner = math::ErfOp::create(
                b, loc,
                arith::MulFOp::create(b, loc,
                                      floatConstant(b, loc, t, M_SQRT1_2), x));
          }
          Value cdf = arith::MulFOp::create(
              b, loc, half, arith::AddFOp::create(b, loc, one, inner));
          return arith::MulFOp::create(b, loc, x, cdf);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerSilu : OpRewritePattern<SiluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SiluOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = createComputeElementwise(
        rewriter, op.getLoc(), type.getShape(), type.getElementType(),
        op.getInput(), [](OpBuilder &b, Location loc, ValueRange args) {
          // x / (1 + exp(-x)): exp overflows to +inf for very negative x and
          // the quotient is then -0, the right limit.
          Value x = args[0];
          Value one = floatConstant(b, loc, x.getType(), 1.0);
          Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
          return arith::DivFOp::create(b, loc, x,
                                       arith::AddFOp::create(b, loc, one, e));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Normalizations and softmax
//===----------------------------------------------------------------------===//

struct LowerLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, createNormalization(rewriter, op.getLoc(), op.getInput(),
                                op.getGamma(), op.getBeta(),
                                op.getEpsilon().convertToDouble(),
                                /*centre=*/true,
                                op.getInput().getType().getShape().back()));
    return success();
  }
};

struct LowerRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, createNormalization(rewriter, op.getLoc(), op.getInput(),
                                op.getGamma(), /*beta=*/nullptr,
                                op.getEpsilon().convertToDouble(),
                                /*centre=*/false,
                                op.getInput().getType().getShape().back()));
    return success();
  }
};

struct LowerSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    unsigned dim = op.getDim();
    Type elem = type.getElementType(), compute = getComputeType(elem);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap reduced = getDropDimMap(ctx, rank, dim);

    // Subtracting the maximum keeps exp in range; the sum is then >= 1.
    Value max = createMax(rewriter, loc, x, dim);
    SmallVector<int64_t> rowShape(shapeOf(max));
    Value init = createFilledTensor(rewriter, loc, rowShape, compute, 0.0);
    Value sum = createReduction(
        rewriter, loc, x, dim, init,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value e = math::ExpOp::create(
              b, l,
              arith::SubFOp::create(b, l, castFloat(b, l, args[0], compute),
                                    args[1]));
          return arith::AddFOp::create(b, l, args[2], e);
        },
        max);
    Value result = createElementwise(
        rewriter, loc, type.getShape(), elem, {x, max, sum},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value e = math::ExpOp::create(
              b, l,
              arith::SubFOp::create(b, l, castFloat(b, l, args[0], compute),
                                    args[1]));
          return castFloat(b, l, arith::DivFOp::create(b, l, e, args[2]),
                           elem);
        },
        {identity, reduced, reduced});
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Embedding and rotary positions
//===----------------------------------------------------------------------===//

/// `id` as an index clamped to [0, bound): the runtime checks token ids
/// against the table, and the clamp keeps a stray id from reading outside it.
Value clampedIndex(OpBuilder &b, Location loc, Value id, int64_t bound) {
  Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value last = arith::ConstantIndexOp::create(b, loc, bound - 1);
  idx = arith::MaxSIOp::create(b, loc, idx, zero);
  return arith::MinSIOp::create(b, loc, idx, last);
}

struct LowerEmbedding : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    Value table = op.getTable();
    int64_t vocab = shapeOf(table)[0];
    AffineMap idsMap = getDropDimMap(rewriter.getContext(), rank, rank - 1);
    Value result = createElementwise(
        rewriter, loc, type.getShape(), type.getElementType(), op.getIds(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value row = clampedIndex(b, l, args[0], vocab);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          return tensor::ExtractOp::create(b, l, table, ValueRange{row, col});
        },
        idsMap);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerRope : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType(), compute = getComputeType(elem);
    Value x = op.getInput();
    int64_t headDim = type.getShape()[3];
    int64_t half = headDim / 2;
    bool interleaved = op.getInterleaved();
    double logTheta = std::log(op.getTheta().convertToDouble());
    MLIRContext *ctx = rewriter.getContext();

    SmallVector<Value> inputs{x};
    SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(4, ctx)};
    if (Value positions = op.getPositions()) {
      inputs.push_back(positions);
      maps.push_back(AffineMap::get(
          4, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx));
    }
    Value result = createElementwise(
        rewriter, loc, type.getShape(), elem, inputs,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          auto c = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          Value batch = linalg::IndexOp::create(b, l, 0);
          Value seq = linalg::IndexOp::create(b, l, 1);
          Value head = linalg::IndexOp::create(b, l, 2);
          Value d = linalg::IndexOp::create(b, l, 3);
          // Pair index i, the partner feature, and whether d is the first
          // member of its pair (which then takes -sin).
          Value pair, partner, first;
          if (interleaved) {
            pair = arith::DivUIOp::create(b, l, d, c(2));
            Value odd = arith::RemUIOp::create(b, l, d, c(2));
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, odd,
                                          c(0));
            partner = arith::SelectOp::create(
                b, l, first, arith::AddIOp::create(b, l, d, c(1)),
                arith::SubIOp::create(b, l, d, c(1)));
          } else {
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, d,
                                          c(half));
            pair = arith::SelectOp::create(
                b, l, first, d, arith::SubIOp::create(b, l, d, c(half)));
            partner = arith::SelectOp::create(
                b, l, first, arith::AddIOp::create(b, l, d, c(half)),
                arith::SubIOp::create(b, l, d, c(half)));
          }
          Value position =
              arith::IndexCastOp::create(b, l, b.getI64Type(), seq);
          if (args.size() > 1)
            position = args[1].getType().isInteger(64)
                           ? args[1]
                           : arith::ExtSIOp::create(b, l, b.getI64Type(),
                                                    args[1])
                                 .getResult();
          // frequency = theta^(-2i/D) = exp(-2i/D * ln theta)
          Value iFloat = arith::UIToFPOp::create(
              b, l, compute,
              arith::IndexCastOp::create(b, l, b.getI64Type(), pair));
          Value freq = math::ExpOp::create(
              b, l,
              arith::MulFOp::create(
                  b, l, iFloat,
                  floatConstant(b, l, compute,
                                -2.0 * logTheta / double(headDim))));
          Value angle = arith::MulFOp::create(
              b, l, arith::SIToFPOp::create(b, l, compute, position), freq);
          Value cos = math::CosOp::create(b, l, angle);
          Value sin = math::SinOp::create(b, l, angle);
          Value self = castFloat(b, l, args[0], compute);
          Value other = castFloat(
              b, l,
              tensor::ExtractOp::create(b, l, x,
                                        ValueRange{batch, seq, head, partner}),
              compute);
          Value signedSin = arith::SelectOp::create(
              b, l, first, arith::NegFOp::create(b, l, sin), sin);
          Value rotated = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, self, cos),
              arith::MulFOp::create(b, l, other, signedSin));
          return castFloat(b, l, rotated, elem);
        },
        maps);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

/// Groups dims [0, rank) as {leading..., last} (or all in one group with
/// `mergeAll`): the reassociation of a collapse to rows or to 1-D.
SmallVector<ReassociationIndices> groupDims(int64_t rank, bool mergeAll) {
  if (rank == 0)
    return {};
  SmallVector<ReassociationIndices> groups(mergeAll ? 1 : 2);
  for (int64_t i = 0; i < rank; ++i)
    groups[mergeAll || i < rank - 1 ? 0 : 1].push_back(i);
  return groups;
}

/// Casts a compute-type accumulator back to `elem` (a no-op for f32/f64).
Value roundTensor(OpBuilder &b, Location loc, Value acc, Type elem) {
  if (elementTypeOf(acc) == elem)
    return acc;
  return createElementwise(b, loc, shapeOf(acc), elem, acc,
                           [&](OpBuilder &nb, Location l, ValueRange args) {
                             return castFloat(nb, l, args[0], elem);
                           });
}

struct LowerLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType(), compute = getComputeType(elem);
    Value input = op.getInput();
    ArrayRef<int64_t> inShape = shapeOf(input);
    int64_t rank = inShape.size();
    int64_t k = inShape.back(), n = type.getShape().back();
    int64_t m = 1;
    for (int64_t size : inShape.drop_back())
      m *= size;

    // [..., K] -> [M, K]: a view, no copy, once bufferized.
    Value rows = input;
    if (rank != 2)
      rows = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({m, k}, elem), input,
          groupDims(rank, /*mergeAll=*/false));
    Value acc = createFilledTensor(rewriter, loc, {m, n}, compute, 0.0);
    acc = createContraction(rewriter, loc, rows, op.getWeight(), acc,
                            /*transposeRhs=*/false);
    Value out;
    if (Value bias = op.getBias()) {
      out = createElementwise(
          rewriter, loc, {m, n}, elem, {acc, bias},
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            return castFloat(b, l,
                             arith::AddFOp::create(
                                 b, l, args[0], castFloat(b, l, args[1], compute)),
                             elem);
          });
    } else {
      out = roundTensor(rewriter, loc, acc, elem);
    }
    if (rank != 2)
      out = tensor::ExpandShapeOp::create(rewriter, loc, type, out,
                                          groupDims(rank, /*mergeAll=*/false));
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType();
    Value acc = createFilledTensor(rewriter, loc, type.getShape(),
                                   getComputeType(elem), 0.0);
    acc = createContraction(rewriter, loc, op.getLhs(), op.getRhs(), acc,
                            op.getTransposeRhs());
    rewriter.replaceOp(op, roundTensor(rewriter, loc, acc, elem));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

struct LowerReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    // Any static reshape of a row-major tensor is a collapse to 1-D followed
    // by an expansion; both are views once bufferized.
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Value flat = op.getInput();
    auto flatType = RankedTensorType::get({inType.getNumElements()},
                                          inType.getElementType());
    if (inType.getRank() != 1)
      flat = tensor::CollapseShapeOp::create(
          rewriter, loc, flatType, flat,
          groupDims(inType.getRank(), /*mergeAll=*/true));
    Value out = flat;
    if (outType.getRank() != 1)
      out = tensor::ExpandShapeOp::create(
          rewriter, loc, outType, flat,
          groupDims(outType.getRank(), /*mergeAll=*/true));
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LowerTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                         type.getShape(), type.getElementType());
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), op.getInput(), init, op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct LowerSplit : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    int64_t dim = op.getDim();
    int64_t offset = 0;
    SmallVector<Value> pieces;
    for (Value result : op.getResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      SmallVector<OpFoldResult> offsets(inType.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[dim] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides;
      for (int64_t size : type.getShape()) {
        sizes.push_back(rewriter.getIndexAttr(size));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      pieces.push_back(tensor::ExtractSliceOp::create(
          rewriter, op.getLoc(), type, op.getInput(), offsets, sizes, strides));
      offset += type.getDimSize(dim);
    }
    rewriter.replaceOp(op, pieces);
    return success();
  }
};

struct LowerConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    Value out = tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(),
                                        type.getElementType());
    int64_t offset = 0;
    for (Value input : op.getInputs()) {
      auto inType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[dim] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides;
      for (int64_t size : inType.getShape()) {
        sizes.push_back(rewriter.getIndexAttr(size));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      out = tensor::InsertSliceOp::create(rewriter, op.getLoc(), input, out,
                                          offsets, sizes, strides);
      offset += inType.getDimSize(dim);
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct XfLowerToLinalgPass
    : weft::impl::XfLowerToLinalgBase<XfLowerToLinalgPass> {
  using Base::Base;

  void runOnOperation() final {
    // 1. Attention is lowered by its own pass into a loop nest; finding one
    //    here means the pipeline is out of order.
    WalkResult walk = getOperation()->walk([](AttentionOp op) {
      op.emitOpError("must be lowered by xf-lower-attention before "
                     "xf-lower-to-linalg");
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // 2. Rewrite every other xf op; all of them are illegal afterwards.
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateXfToLinalgPatterns(patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<XfDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void weft::populateXfToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerBinary<AddOp, arith::AddFOp>,
               LowerBinary<MulOp, arith::MulFOp>, LowerGelu, LowerSilu,
               LowerLayerNorm, LowerRmsNorm, LowerSoftmax, LowerEmbedding,
               LowerRope, LowerLinear, LowerMatmul, LowerReshape,
               LowerTranspose, LowerSplit, LowerConcat>(patterns.getContext());
}
