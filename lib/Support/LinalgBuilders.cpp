//===- LinalgBuilders.cpp - Small builders for linalg on static tensors ---===//
//
// See LinalgBuilders.h.
//
//===----------------------------------------------------------------------===//

#include "weft/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace weft {

Type getComputeType(Type elementType) {
  if (elementType.isF16() || elementType.isBF16())
    return Float32Type::get(elementType.getContext());
  return elementType;
}

Value castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (cast<FloatType>(from).getWidth() < cast<FloatType>(to).getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

SmallVector<utils::IteratorType> getIterators(unsigned numParallel,
                                              unsigned numReduction) {
  SmallVector<utils::IteratorType> iterators(numParallel,
                                             utils::IteratorType::parallel);
  iterators.append(numReduction, utils::IteratorType::reduction);
  return iterators;
}

AffineMap getBroadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                          ArrayRef<int64_t> loopShape) {
  unsigned offset = loopShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    if (size == 1 && loopShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(loopShape.size(), 0, exprs, ctx);
}

AffineMap getDropDimMap(MLIRContext *ctx, unsigned numLoops, unsigned dim) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < numLoops; ++i)
    if (i != dim)
      exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

Value createFilledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Type elementType, double value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, elementType);
  Value scalar = floatConstant(b, loc, elementType, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value createMappedGeneric(OpBuilder &b, Location loc, ValueRange inputs,
                          ArrayRef<AffineMap> inputMaps, Value init,
                          ScalarBodyFn body) {
  unsigned rank = cast<RankedTensorType>(init.getType()).getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, b.getContext()));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps, getIterators(rank),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
             })
      .getResult(0);
}

Value createElementwise(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        Type resultElementType, ValueRange inputs,
                        ScalarBodyFn body, ArrayRef<AffineMap> inputMaps) {
  SmallVector<AffineMap> maps(inputMaps);
  if (maps.empty())
    for (Value input : inputs)
      maps.push_back(getBroadcastMap(
          b.getContext(), cast<RankedTensorType>(input.getType()).getShape(),
          shape));
  Value init = tensor::EmptyOp::create(b, loc, shape, resultElementType);
  return createMappedGeneric(
      b, loc, inputs, maps, init,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return body(nb, nloc, args.drop_back());
      });
}

Value createReduction(OpBuilder &b, Location loc, Value input, unsigned dim,
                      Value init, ScalarBodyFn body, ValueRange extraInputs) {
  MLIRContext *ctx = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  unsigned rank = inputType.getRank();
  // Loops keep the input's order; the reduced loop becomes a reduction.
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[dim] = utils::IteratorType::reduction;
  AffineMap reduced = getDropDimMap(ctx, rank, dim);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
  maps.append(extraInputs.size(), reduced);
  maps.push_back(reduced);
  SmallVector<Value> inputs{input};
  inputs.append(extraInputs.begin(), extraInputs.end());
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  return generic.getResult(0);
}

Value createContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                        Value acc, bool transposeRhs) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = cast<RankedTensorType>(acc.getType()).getRank();
  unsigned batch = rank - 2;
  // Loops: batch..., m, k, n when the rhs is [k, n]: the innermost loop
  // then walks rows of rhs and acc contiguously, which vectorizes without
  // reassociating the sum. With a transposed rhs ([n, k]) the contiguous
  // walk is along k, so k goes innermost: batch..., m, n, k.
  auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> lhsExprs, rhsExprs, accExprs;
  for (unsigned i = 0; i < batch; ++i) {
    lhsExprs.push_back(dim(i));
    rhsExprs.push_back(dim(i));
    accExprs.push_back(dim(i));
  }
  AffineExpr m = dim(batch);
  AffineExpr k = transposeRhs ? dim(batch + 2) : dim(batch + 1);
  AffineExpr n = transposeRhs ? dim(batch + 1) : dim(batch + 2);
  lhsExprs.append({m, k});
  if (transposeRhs)
    rhsExprs.append({n, k});
  else
    rhsExprs.append({k, n});
  accExprs.append({m, n});
  unsigned numLoops = rank + 1;
  SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, lhsExprs, ctx),
                              AffineMap::get(numLoops, 0, rhsExprs, ctx),
                              AffineMap::get(numLoops, 0, accExprs, ctx)};
  SmallVector<utils::IteratorType> iterators = getIterators(rank + 1);
  iterators[transposeRhs ? batch + 2 : batch + 1] =
      utils::IteratorType::reduction;
  Type accType = cast<RankedTensorType>(acc.getType()).getElementType();
  auto generic = linalg::GenericOp::create(
      b, loc, acc.getType(), ValueRange{lhs, rhs}, acc, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = castFloat(nb, nloc, args[0], accType);
        Value y = castFloat(nb, nloc, args[1], accType);
        Value product = arith::MulFOp::create(nb, nloc, x, y);
        Value sum = arith::AddFOp::create(nb, nloc, args[2], product);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
}

} // namespace weft

Value weft::createRowReduction(OpBuilder &b, Location loc, Value input, unsigned dim,
                         double start, ScalarBodyFn combine) {
  auto type = cast<RankedTensorType>(input.getType());
  Type compute = getComputeType(type.getElementType());
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + dim);
  Value init = createFilledTensor(b, loc, shape, compute, start);
  return createReduction(
      b, loc, input, dim, init,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return combine(nb, nloc,
                       {castFloat(nb, nloc, args[0], compute), args.back()});
      });
}

Value weft::createSum(OpBuilder &b, Location loc, Value input, unsigned dim) {
  return createRowReduction(
      b, loc, input, dim, 0.0,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, nloc, args[0], args[1]);
      });
}

Value weft::createNormalization(OpBuilder &b, Location loc, Value x,
                                Value gamma, Value beta, double epsilon,
                                bool centre, int64_t width,
                                RowSumsFn combineRowSums) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  Type elem = type.getElementType(), compute = getComputeType(elem);
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> rowShape(type.getShape().drop_back());
  Value widthValue = floatConstant(b, loc, compute, static_cast<double>(width));
  auto combine = [&](Value rowSums) {
    return combineRowSums ? combineRowSums(rowSums) : rowSums;
  };

  Value mean;
  if (centre)
    mean = createElementwise(
        b, loc, rowShape, compute, combine(createSum(b, loc, x, rank - 1)),
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::DivFOp::create(nb, l, args[0], widthValue);
        });
  Value init = createFilledTensor(b, loc, rowShape, compute, 0.0);
  Value sumSq = createReduction(
      b, loc, x, rank - 1, init,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value d = castFloat(nb, l, args[0], compute);
        if (centre)
          d = arith::SubFOp::create(nb, l, d, args[1]);
        return arith::AddFOp::create(nb, l, args.back(),
                                     arith::MulFOp::create(nb, l, d, d));
      },
      centre ? ValueRange{mean} : ValueRange{});
  sumSq = combine(sumSq);

  // x [, mean], sum of squares, gamma [, beta]
  AffineMap row = getDropDimMap(ctx, rank, rank - 1);
  AffineMap feature = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
  auto add = [&](Value v, AffineMap map) {
    inputs.push_back(v);
    maps.push_back(map);
  };
  if (centre)
    add(mean, row);
  add(sumSq, row);
  add(gamma, feature);
  if (beta)
    add(beta, feature);
  return createElementwise(
      b, loc, type.getShape(), elem, inputs,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        unsigned next = 0;
        Value centred = castFloat(nb, l, args[next++], compute);
        if (centre)
          centred = arith::SubFOp::create(nb, l, centred, args[next++]);
        Value variance = arith::AddFOp::create(
            nb, l, arith::DivFOp::create(nb, l, args[next++], widthValue),
            floatConstant(nb, l, compute, epsilon));
        Value norm = arith::DivFOp::create(
            nb, l, centred, math::SqrtOp::create(nb, l, variance));
        Value out = arith::MulFOp::create(
            nb, l, norm, castFloat(nb, l, args[next++], compute));
        if (beta)
          out = arith::AddFOp::create(nb, l, out,
                                      castFloat(nb, l, args[next++], compute));
        return castFloat(nb, l, out, elem);
      },
      maps);
}
