//===- LinalgBuilders.h - Small builders for linalg on static tensors -----===//
//
// The xf lowerings (XfToLinalg, LowerAttention) build the same few shapes of
// linalg.generic over and over: elementwise maps with broadcasting, row
// reductions, contractions and filled accumulators. These helpers build them
// once so that every lowering agrees on compute types and indexing.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SUPPORT_LINALGBUILDERS_H
#define WEFT_SUPPORT_LINALGBUILDERS_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace weft {

/// The type arithmetic is carried out in for `elementType`: f16 and bf16
/// compute (and accumulate) in f32, wider floats in themselves.
mlir::Type getComputeType(mlir::Type elementType);

/// Converts a float scalar to `to` with arith.extf / arith.truncf, or
/// returns it unchanged when the types agree.
mlir::Value castFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::Type to);

/// A float constant of type `type`.
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

/// `n` parallel iterators, then `numReduction` reduction iterators.
llvm::SmallVector<mlir::utils::IteratorType>
getIterators(unsigned numParallel, unsigned numReduction = 0);

/// The indexing map of an operand of shape `operandShape` inside a loop nest
/// over `loopShape`, NumPy-broadcast: dimensions align at the innermost one
/// and operand dimensions of size 1 against larger loop sizes read index 0.
mlir::AffineMap getBroadcastMap(mlir::MLIRContext *ctx,
                                llvm::ArrayRef<int64_t> operandShape,
                                llvm::ArrayRef<int64_t> loopShape);

/// The map of a rank-(n-1) value inside an n-loop nest that drops loop `dim`.
mlir::AffineMap getDropDimMap(mlir::MLIRContext *ctx, unsigned numLoops,
                              unsigned dim);

/// `tensor.empty` of `shape` x `elementType` filled with `value`.
mlir::Value createFilledTensor(mlir::OpBuilder &b, mlir::Location loc,
                               llvm::ArrayRef<int64_t> shape,
                               mlir::Type elementType, double value);

/// The body of a reduction or elementwise generic: block arguments in, the
/// value to yield out.
using ScalarBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// An all-parallel linalg.generic over the shape of `init` reading each of
/// `inputs` at its map in `inputMaps` and writing `init` (identity map).
/// `body` sees the input elements followed by the current `init` element,
/// so that an update such as `acc = acc * alpha` can be written in place.
mlir::Value createMappedGeneric(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::ValueRange inputs,
                                llvm::ArrayRef<mlir::AffineMap> inputMaps,
                                mlir::Value init, ScalarBodyFn body);

/// A linalg.generic over `shape` producing a fresh tensor of `shape` x
/// `resultElementType`; `body` sees the input elements only. Inputs are
/// read at `inputMaps`, by default NumPy-broadcast into `shape`.
mlir::Value createElementwise(mlir::OpBuilder &b, mlir::Location loc,
                              llvm::ArrayRef<int64_t> shape,
                              mlir::Type resultElementType,
                              mlir::ValueRange inputs, ScalarBodyFn body,
                              llvm::ArrayRef<mlir::AffineMap> inputMaps = {});

/// Reduces `input` along `dim` into `init` (rank one less), combining in
/// `body(element, accumulator)`; further `extraInputs` of the reduced shape
/// are passed to the body after the element.
mlir::Value createReduction(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value input, unsigned dim, mlir::Value init,
                            ScalarBodyFn body,
                            mlir::ValueRange extraInputs = {});

/// `acc[..., m, n] += sum_k lhs[..., m, k] * rhs[..., k, n]` (or
/// `rhs[..., n, k]` when `transposeRhs`), in the element type of `acc`.
/// All three have the same rank; the leading dimensions are batch.
mlir::Value createContraction(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value lhs, mlir::Value rhs, mlir::Value acc,
                              bool transposeRhs);

/// Reduces `input` over `dim` in the compute type (f32 for f16/bf16),
/// starting from `start`: row sums and maxima.
mlir::Value createRowReduction(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value input, unsigned dim, double start,
                               ScalarBodyFn combine);
/// The sum of `input` over `dim` in the compute type.
mlir::Value createSum(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::Value input, unsigned dim);

/// Turns one slice's row sums into the whole row's (e.g. an all-reduce over
/// the devices holding the other slices of the row).
using RowSumsFn = llvm::function_ref<mlir::Value(mlir::Value)>;

/// `(x - mean) / sqrt(var + eps) * gamma (+ beta)` over the last dimension
/// of `x`, whose rows average over `width` features: the last dimension,
/// or more when `x` holds one slice of each row and `combineRowSums` adds
/// the other slices' sums. Layer norm centres (`centre`): the mean is summed
/// first and the variance taken around it in a second pass, rather than as
/// E[x²] - E[x]², which cancels catastrophically for large means. RMS norm
/// does not centre (mean 0, the "variance" is the mean square) and has no
/// beta.
mlir::Value createNormalization(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x, mlir::Value gamma,
                                mlir::Value beta, double epsilon, bool centre,
                                int64_t width, RowSumsFn combineRowSums = {});

} // namespace weft

#endif // WEFT_SUPPORT_LINALGBUILDERS_H
