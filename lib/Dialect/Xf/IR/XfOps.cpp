//===- XfOps.cpp - Operations of the xf dialect -----------------------------===//
//
// Shape rules, verifiers and folds of the transformer-graph ops.
//
// Each op with an inferable result keeps its shape rule in one place,
// `inferReturnTypes`, which reports what is wrong with the operands. Its
// verifier runs that same rule and then compares the declared result type, so
// a builder that omits the result type and the verifier can never disagree.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Support/OpDiagnostics.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace weft;
using namespace weft::xf;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {
using Shape = SmallVector<int64_t>;

RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Prints a shape as `2x16x768` (a scalar as `[]`).
std::string shapeStr(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "[]";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

/// Checks that `actual` has the element type of `reference`, naming both.
LogicalResult checkSameElementType(const OpDiagnosticEmitter &emit,
                                   StringRef refName, RankedTensorType ref,
                                   StringRef name, RankedTensorType actual) {
  if (ref.getElementType() == actual.getElementType())
    return success();
  emit() << "expected " << name << " element type " << ref.getElementType()
         << " (that of " << refName << "), got " << actual.getElementType();
  return failure();
}

LogicalResult checkRank(const OpDiagnosticEmitter &emit, StringRef name,
                        RankedTensorType type, int64_t rank) {
  if (type.getRank() == rank)
    return success();
  emit() << "expected " << name << " of rank " << rank << ", got rank "
         << type.getRank() << " (" << type << ")";
  return failure();
}

LogicalResult checkMinRank(const OpDiagnosticEmitter &emit, StringRef name,
                           RankedTensorType type, int64_t minRank) {
  if (type.getRank() >= minRank)
    return success();
  emit() << "expected " << name << " of rank at least " << minRank
         << ", got rank " << type.getRank() << " (" << type << ")";
  return failure();
}

/// Checks that a per-feature parameter (norm gamma/beta) is `[D]` with `D`
/// the input's last dimension.
LogicalResult checkFeatureVector(const OpDiagnosticEmitter &emit,
                                 RankedTensorType input, StringRef name,
                                 RankedTensorType param) {
  if (failed(checkRank(emit, name, param, 1)) ||
      failed(checkSameElementType(emit, "input", input, name, param)))
    return failure();
  int64_t features = input.getShape().back();
  if (param.getDimSize(0) == features)
    return success();
  emit() << "expected " << name << " of size " << features
         << " (the input's last dim), got " << param.getDimSize(0);
  return failure();
}

LogicalResult checkDimInRange(const OpDiagnosticEmitter &emit, int64_t dim,
                              int64_t rank) {
  if (dim >= 0 && dim < rank)
    return success();
  emit() << "expected dim in [0, " << rank << "), got " << dim;
  return failure();
}

LogicalResult inferSameAsInput(Value input, SmallVectorImpl<Type> &types) {
  types.push_back(input.getType());
  return success();
}

/// Runs an op's own `inferReturnTypes` with diagnostics attributed to the op
/// and compares the result types it declares against the inferred ones.
template <typename OpT>
LogicalResult verifyAgainstInferredTypes(OpT op) {
  SmallVector<Type, 1> inferred;
  if (failed(OpT::inferReturnTypes(op.getContext(), op.getLoc(),
                                   typename OpT::Adaptor(op), inferred)))
    return failure();
  for (auto [index, expected, actual] :
       llvm::enumerate(inferred, op->getResultTypes())) {
    if (expected != actual)
      return op.emitOpError("expected result #")
             << index << " of type " << expected << ", got " << actual;
  }
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto table = tensorOf(adaptor.getTable());
  auto ids = tensorOf(adaptor.getIds());
  if (failed(checkRank(emit, "table", table, 2)))
    return failure();
  Shape shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  types.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto input = tensorOf(adaptor.getInput());
  auto weight = tensorOf(adaptor.getWeight());
  if (failed(checkMinRank(emit, "input", input, 1)) ||
      failed(checkRank(emit, "weight", weight, 2)) ||
      failed(checkSameElementType(emit, "input", input, "weight", weight)))
    return failure();
  int64_t inFeatures = input.getShape().back();
  if (weight.getDimSize(0) != inFeatures) {
    emit() << "expected weight dim 0 (in features) to be " << inFeatures
           << " (the input's last dim), got " << weight.getDimSize(0);
    return failure();
  }
  int64_t outFeatures = weight.getDimSize(1);
  if (Value biasValue = adaptor.getBias()) {
    auto bias = tensorOf(biasValue);
    if (failed(checkRank(emit, "bias", bias, 1)) ||
        failed(checkSameElementType(emit, "input", input, "bias", bias)))
      return failure();
    if (bias.getDimSize(0) != outFeatures) {
      emit() << "expected bias of size " << outFeatures
             << " (weight dim 1, out features), got " << bias.getDimSize(0);
      return failure();
    }
  }
  Shape shape(input.getShape());
  shape.back() = outFeatures;
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult LinearOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto lhs = tensorOf(adaptor.getLhs());
  auto rhs = tensorOf(adaptor.getRhs());
  if (failed(checkMinRank(emit, "lhs", lhs, 2)) ||
      failed(checkRank(emit, "rhs", rhs, lhs.getRank())) ||
      failed(checkSameElementType(emit, "lhs", lhs, "rhs", rhs)))
    return failure();
  int64_t rank = lhs.getRank();
  for (int64_t d = 0; d < rank - 2; ++d) {
    if (lhs.getDimSize(d) != rhs.getDimSize(d)) {
      emit() << "expected rhs batch dim " << d << " to be "
             << lhs.getDimSize(d) << " (as in lhs), got " << rhs.getDimSize(d);
      return failure();
    }
  }
  bool transposed = adaptor.getTransposeRhs();
  int64_t k = lhs.getDimSize(rank - 1);
  int64_t rhsK = rhs.getDimSize(transposed ? rank - 1 : rank - 2);
  int64_t n = rhs.getDimSize(transposed ? rank - 2 : rank - 1);
  if (rhsK != k) {
    emit() << "expected rhs contraction dim " << (transposed ? rank - 1 : rank - 2)
           << " to be " << k << " (lhs dim " << rank - 1 << "), got " << rhsK;
    return failure();
  }
  Shape shape(lhs.getShape());
  shape.back() = n;
  types.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult MatmulOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// LayerNormOp, RmsNormOp
//===----------------------------------------------------------------------===//

static LogicalResult checkEpsilon(const OpDiagnosticEmitter &emit,
                                  double epsilon) {
  if (epsilon > 0 && std::isfinite(epsilon))
    return success();
  emit() << "expected epsilon to be positive and finite, got " << epsilon;
  return failure();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto input = tensorOf(adaptor.getInput());
  if (failed(checkMinRank(emit, "input", input, 1)) ||
      failed(checkFeatureVector(emit, input, "gamma",
                                tensorOf(adaptor.getGamma()))) ||
      failed(checkFeatureVector(emit, input, "beta",
                                tensorOf(adaptor.getBeta()))) ||
      failed(checkEpsilon(emit, adaptor.getEpsilon().convertToDouble())))
    return failure();
  return inferSameAsInput(adaptor.getInput(), types);
}

LogicalResult LayerNormOp::verify() {
  return verifyAgainstInferredTypes(*this);
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto input = tensorOf(adaptor.getInput());
  if (failed(checkMinRank(emit, "input", input, 1)) ||
      failed(checkFeatureVector(emit, input, "gamma",
                                tensorOf(adaptor.getGamma()))) ||
      failed(checkEpsilon(emit, adaptor.getEpsilon().convertToDouble())))
    return failure();
  return inferSameAsInput(adaptor.getInput(), types);
}

LogicalResult RmsNormOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// SoftmaxOp, GeluOp, SiluOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  if (failed(checkDimInRange(emit, adaptor.getDim(),
                             tensorOf(adaptor.getInput()).getRank())))
    return failure();
  return inferSameAsInput(adaptor.getInput(), types);
}

LogicalResult SoftmaxOp::verify() { return verifyAgainstInferredTypes(*this); }

LogicalResult GeluOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferSameAsInput(adaptor.getInput(), types);
}

LogicalResult GeluOp::verify() { return verifyAgainstInferredTypes(*this); }

LogicalResult SiluOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferSameAsInput(adaptor.getInput(), types);
}

LogicalResult SiluOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// AddOp, MulOp
//===----------------------------------------------------------------------===//

/// NumPy broadcasting of two shapes, aligned at their last dimension.
static LogicalResult inferBroadcast(const OpDiagnosticEmitter &emit,
                                    RankedTensorType lhs, RankedTensorType rhs,
                                    SmallVectorImpl<Type> &types) {
  if (failed(checkSameElementType(emit, "lhs", lhs, "rhs", rhs)))
    return failure();
  int64_t rank = std::max(lhs.getRank(), rhs.getRank());
  Shape shape(rank, 1);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t l = i < lhs.getRank() ? lhs.getShape()[lhs.getRank() - 1 - i] : 1;
    int64_t r = i < rhs.getRank() ? rhs.getShape()[rhs.getRank() - 1 - i] : 1;
    if (l != r && l != 1 && r != 1) {
      emit() << "expected broadcast-compatible shapes, got "
             << shapeStr(lhs.getShape()) << " and " << shapeStr(rhs.getShape())
             << " (sizes " << l << " and " << r << " at dim "
             << rank - 1 - i << " of the broadcast shape)";
      return failure();
    }
    shape[rank - 1 - i] = l == 1 ? r : l;
  }
  types.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult AddOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferBroadcast(OpDiagnosticEmitter(loc, getOperationName()),
                        tensorOf(adaptor.getLhs()), tensorOf(adaptor.getRhs()),
                        types);
}

LogicalResult AddOp::verify() { return verifyAgainstInferredTypes(*this); }

LogicalResult MulOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferBroadcast(OpDiagnosticEmitter(loc, getOperationName()),
                        tensorOf(adaptor.getLhs()), tensorOf(adaptor.getRhs()),
                        types);
}

LogicalResult MulOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto input = tensorOf(adaptor.getInput());
  if (failed(checkRank(emit, "input", input, 4)))
    return failure();
  if (input.getDimSize(3) % 2 != 0) {
    emit() << "expected an even head dim (dim 3) to rotate in pairs, got "
           << input.getDimSize(3);
    return failure();
  }
  double theta = adaptor.getTheta().convertToDouble();
  if (!(theta > 0) || !std::isfinite(theta)) {
    emit() << "expected theta to be positive and finite, got " << theta;
    return failure();
  }
  if (Value positionsValue = adaptor.getPositions()) {
    auto positions = tensorOf(positionsValue);
    ArrayRef<int64_t> expected = input.getShape().take_front(2);
    if (positions.getShape() != expected) {
      emit() << "expected positions of shape " << shapeStr(expected)
             << " (batch x sequence of the input), got "
             << shapeStr(positions.getShape());
      return failure();
    }
  }
  return inferSameAsInput(adaptor.getInput(), types);
}

LogicalResult RopeOp::verify() { return verifyAgainstInferredTypes(*this); }

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto query = tensorOf(adaptor.getQuery());
  auto key = tensorOf(adaptor.getKey());
  auto value = tensorOf(adaptor.getValue());
  if (failed(checkRank(emit, "query", query, 4)) ||
      failed(checkRank(emit, "key", key, 4)) ||
      failed(checkRank(emit, "value", value, 4)) ||
      failed(checkSameElementType(emit, "query", query, "key", key)) ||
      failed(checkSameElementType(emit, "query", query, "value", value)))
    return failure();
  int64_t batch = query.getDimSize(0), seqQ = query.getDimSize(1);
  int64_t headsQ = query.getDimSize(2), headDim = query.getDimSize(3);
  if (key.getDimSize(0) != batch || value.getDimSize(0) != batch) {
    emit() << "expected key and value batch (dim 0) to be " << batch
           << " (the query's), got " << key.getDimSize(0) << " and "
           << value.getDimSize(0);
    return failure();
  }
  if (headDim < 1) {
    emit() << "expected a positive head dim (query dim 3), got " << headDim;
    return failure();
  }
  if (key.getDimSize(3) != headDim) {
    emit() << "expected key head dim (dim 3) to be " << headDim
           << " (the query's), got " << key.getDimSize(3);
    return failure();
  }
  if (value.getDimSize(1) != key.getDimSize(1) ||
      value.getDimSize(2) != key.getDimSize(2)) {
    emit() << "expected value sequence and heads (dims 1, 2) to be "
           << key.getDimSize(1) << ", " << key.getDimSize(2)
           << " (the key's), got " << value.getDimSize(1) << ", "
           << value.getDimSize(2);
    return failure();
  }
  int64_t headsKV = key.getDimSize(2);
  if (headsKV == 0 || headsQ == 0) {
    emit() << "expected at least one head, got " << headsQ
           << " query and " << headsKV << " key/value heads";
    return failure();
  }
  if (headsQ % headsKV != 0) {
    emit() << "expected key/value heads " << headsKV
           << " to divide query heads " << headsQ;
    return failure();
  }
  if (adaptor.getCausalOffset() && !adaptor.getCausal()) {
    emit() << "expected causal_offset only with causal";
    return failure();
  }
  if (adaptor.getCausal() && !adaptor.getCausalOffset() &&
      key.getDimSize(1) < seqQ) {
    emit() << "expected a causal key/value sequence of at least " << seqQ
           << " (the query's), got " << key.getDimSize(1);
    return failure();
  }
  if (std::optional<APFloat> scale = adaptor.getScale()) {
    double s = scale->convertToDouble();
    if (!(s > 0) || !std::isfinite(s)) {
      emit() << "expected scale to be positive and finite, got " << s;
      return failure();
    }
  }
  types.push_back(RankedTensorType::get(
      {batch, seqQ, headsQ, value.getDimSize(3)}, query.getElementType()));
  return success();
}

LogicalResult AttentionOp::verify() {
  return verifyAgainstInferredTypes(*this);
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  return 1.0 / std::sqrt(double(getQuery().getType().getDimSize(3)));
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

/// The element count of a static shape, or nothing when it overflows.
static std::optional<int64_t> elementCount(ArrayRef<int64_t> shape) {
  if (llvm::is_contained(shape, 0))
    return 0;
  int64_t count = 1;
  for (int64_t size : shape)
    if (llvm::MulOverflow(count, size, count))
      return std::nullopt;
  return count;
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  for (auto [name, type] : {std::pair{"input", input}, {"result", result}})
    if (!elementCount(type.getShape()))
      return emitOpError("expected the ")
             << name << " element count to fit in 64 bits, got shape "
             << shapeStr(type.getShape());
  if (input.getElementType() != result.getElementType())
    return emitOpError("expected result element type ")
           << input.getElementType() << " (the input's), got "
           << result.getElementType();
  int64_t inputCount = *elementCount(input.getShape());
  int64_t resultCount = *elementCount(result.getShape());
  if (inputCount != resultCount)
    return emitOpError("expected result with ")
           << inputCount << " elements (input shape "
           << shapeStr(input.getShape()) << "), got " << resultCount
           << " (shape " << shapeStr(result.getShape()) << ")";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) is one reshape of x: the element order never changes.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  auto input = tensorOf(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(perm.size()) != rank) {
    emit() << "expected a permutation of " << rank
           << " dims (the input's rank), got " << perm.size();
    return failure();
  }
  llvm::SmallBitVector seen(rank);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen.test(p)) {
      emit() << "expected a permutation of [0, " << rank << "), got ["
             << llvm::make_range(perm.begin(), perm.end()) << "]";
      return failure();
    }
    seen.set(p);
  }
  Shape shape;
  for (int64_t p : perm)
    shape.push_back(input.getDimSize(p));
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult TransposeOp::verify() {
  return verifyAgainstInferredTypes(*this);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (auto [i, v] : llvm::enumerate(p))
      if (static_cast<int64_t>(i) != v)
        return false;
    return true;
  };
  if (isIdentity(perm) && getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, inner), outer) == transpose(x, inner ∘ outer).
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> inner = producer.getPermutation();
    Shape composed;
    for (int64_t p : perm)
      composed.push_back(inner[p]);
    if (isIdentity(composed)) {
      if (producer.getInput().getType() != getType())
        return {};
      return producer.getInput();
    }
    setPermutation(composed);
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// SplitOp
//===----------------------------------------------------------------------===//

LogicalResult SplitOp::verify() {
  RankedTensorType input = getInput().getType();
  int64_t dim = getDim();
  OpDiagnosticEmitter emit(getLoc(), getOperationName());
  if (failed(checkDimInRange(emit, dim, input.getRank())))
    return failure();
  if (getNumResults() == 0)
    return emitOpError("expected at least one result");
  int64_t total = 0;
  for (auto [index, type] : llvm::enumerate(getResultTypes())) {
    auto result = cast<RankedTensorType>(type);
    std::string name = "result #" + std::to_string(index);
    if (failed(checkRank(emit, name, result, input.getRank())) ||
        failed(checkSameElementType(emit, "input", input, name, result)))
      return failure();
    for (int64_t d = 0; d < input.getRank(); ++d) {
      if (d != dim && result.getDimSize(d) != input.getDimSize(d))
        return emitOpError("expected ")
               << name << " dim " << d << " to be " << input.getDimSize(d)
               << " (the input's), got " << result.getDimSize(d);
    }
    if (llvm::AddOverflow(total, result.getDimSize(dim), total))
      return emitOpError("expected result sizes along dim ")
             << dim << " to sum to " << input.getDimSize(dim)
             << " (the input's), got a sum beyond 64 bits";
  }
  if (total != input.getDimSize(dim))
    return emitOpError("expected result sizes along dim ")
           << dim << " to sum to " << input.getDimSize(dim)
           << " (the input's), got " << total;
  return success();
}

LogicalResult SplitOp::fold(FoldAdaptor, SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() != 1 || getResult(0).getType() != getInput().getType())
    return failure();
  results.push_back(getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpDiagnosticEmitter emit(loc, getOperationName());
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty()) {
    emit() << "expected at least one input";
    return failure();
  }
  auto first = tensorOf(inputs.front());
  int64_t dim = adaptor.getDim();
  if (failed(checkDimInRange(emit, dim, first.getRank())))
    return failure();
  Shape shape(first.getShape());
  for (auto [index, value] : llvm::enumerate(inputs.drop_front())) {
    auto input = tensorOf(value);
    std::string name = "input #" + std::to_string(index + 1);
    if (failed(checkRank(emit, name, input, first.getRank())) ||
        failed(checkSameElementType(emit, "input #0", first, name, input)))
      return failure();
    for (int64_t d = 0; d < first.getRank(); ++d) {
      if (d != dim && input.getDimSize(d) != first.getDimSize(d)) {
        emit() << "expected " << name << " dim " << d << " to be "
               << first.getDimSize(d) << " (as in input #0), got "
               << input.getDimSize(d);
        return failure();
      }
    }
    if (llvm::AddOverflow(shape[dim], input.getDimSize(dim), shape[dim])) {
      emit() << "expected the concatenated size along dim " << dim
             << " to fit in 64 bits";
      return failure();
    }
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult ConcatOp::verify() { return verifyAgainstInferredTypes(*this); }

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

#define GET_OP_CLASSES
#include "weft/Dialect/Xf/IR/XfOps.cpp.inc"
