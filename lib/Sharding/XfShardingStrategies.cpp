//===- XfShardingStrategies.cpp - How each xf op can be split ---------------===//
//
// ShardingStrategyOpInterface for the xf dialect, attached as external
// models so that the dialect itself does not depend on the cost model. Each
// op describes its iteration space (LoopSpace.h); the few strategies a loop
// space cannot express are adjusted here:
//
// * attention: heads split Hq; the key/value heads follow only when the
//   split also divides Hkv (grouped-query), else keys and values stay whole
//   on every device. A query (sequence) split of causal attention is priced
//   by its busiest device, the one holding the last queries.
// * normalizations over a split model width all-reduce their row statistics.
// * reshape splits the leading dimension of a group of merged or divided
//   dimensions only.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/IR/XfDialect.h"
#include "weft/Dialect/Xf/IR/XfOps.h"
#include "weft/Sharding/LoopSpace.h"
#include "weft/Sharding/ShardingOpInterface.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

double numElements(Value value) {
  return static_cast<double>(tensorType(value).getNumElements());
}

/// What splitting dimension `dim` of an activation of rank `rank` means:
/// `[B, S, ...]` batch first, `[B, S, H, D]` heads third, width last.
Parallelism activationParallelism(int64_t rank, int64_t dim) {
  if (dim == 0)
    return Parallelism::Data;
  if (dim == rank - 1)
    return Parallelism::Hidden;
  if (dim == 1)
    return Parallelism::Sequence;
  if (dim == 2 && rank == 4)
    return Parallelism::Head;
  return Parallelism::Other;
}

/// One loop dimension per dimension of `value`, returned in order.
SmallVector<int64_t, 4> addActivationDims(LoopSpace &space, Value value) {
  SmallVector<int64_t, 4> dims;
  ArrayRef<int64_t> shape = tensorType(value).getShape();
  for (auto [dim, size] : llvm::enumerate(shape))
    dims.push_back(space.addDim(activationParallelism(shape.size(), dim), size));
  return dims;
}

/// The loop dimensions an operand broadcast against `resultDims` follows
/// (NumPy alignment at the last dimension; size-1 dimensions stay whole).
SmallVector<int64_t, 4> broadcastDims(Value operand,
                                      ArrayRef<int64_t> resultDims,
                                      ArrayRef<int64_t> resultShape) {
  ArrayRef<int64_t> shape = tensorType(operand).getShape();
  int64_t offset = resultShape.size() - shape.size();
  SmallVector<int64_t, 4> dims;
  for (auto [dim, size] : llvm::enumerate(shape)) {
    int64_t resultDim = dim + offset;
    dims.push_back(size == resultShape[resultDim] ? resultDims[resultDim] : -1);
  }
  return dims;
}

/// An op mapping its operands elementwise (with broadcasting) to one
/// result, doing `flopsPerElement` operations per result element.
LoopSpace elementwiseSpace(Operation *op, double flopsPerElement) {
  LoopSpace space;
  Value result = op->getResult(0);
  SmallVector<int64_t, 4> dims = addActivationDims(space, result);
  for (Value operand : op->getOperands())
    space.operandDims.push_back(
        broadcastDims(operand, dims, tensorType(result).getShape()));
  space.resultDims.push_back(dims);
  space.flops = flopsPerElement * numElements(result);
  space.elementType = tensorType(result).getElementType();
  return space;
}

void enumerateElementwise(Operation *op, double flops,
                          const StrategyContext &context,
                          SmallVectorImpl<ShardingStrategy> &strategies) {
  enumerateLoopStrategies(op, elementwiseSpace(op, flops), context,
                          strategies);
}

//===----------------------------------------------------------------------===//
// Linear maps
//===----------------------------------------------------------------------===//

/// The iteration space of a product: `leading` dimensions shared by the
/// left operand and the result (rows of a linear layer, batch, heads and
/// rows of a matmul), the output features N (column parallel) and the
/// reduction K (row parallel, a partial sum).
struct ContractionDims {
  SmallVector<int64_t, 4> leading;
  int64_t out, in;

  /// The leading dimensions followed by `a` and `b`.
  SmallVector<int64_t, 4> with(int64_t a, int64_t b) const {
    SmallVector<int64_t, 4> dims = leading;
    dims.append({a, b});
    return dims;
  }
};

ContractionDims
addContractionDims(LoopSpace &space,
                   ArrayRef<std::pair<Parallelism, int64_t>> leading,
                   int64_t n, int64_t k) {
  ContractionDims dims;
  for (auto [parallelism, size] : leading)
    dims.leading.push_back(space.addDim(parallelism, size));
  dims.out = space.addDim(Parallelism::Column, n);
  dims.in = space.addDim(Parallelism::Row, k, /*splittable=*/true,
                         /*reduction=*/true);
  return dims;
}

void buildStrategies(xf::LinearOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  ArrayRef<int64_t> inputShape = op.getInput().getType().getShape();
  int64_t rank = inputShape.size();
  SmallVector<std::pair<Parallelism, int64_t>, 3> rows;
  for (int64_t dim = 0; dim + 1 < rank; ++dim)
    rows.push_back({dim == 0 ? Parallelism::Data
                             : (dim == 1 ? Parallelism::Sequence
                                         : Parallelism::Other),
                    inputShape[dim]});
  int64_t k = inputShape.back();
  LoopSpace space;
  ContractionDims dims = addContractionDims(
      space, rows, op.getWeight().getType().getShape()[1], k);
  SmallVector<int64_t, 4> inputDims = dims.leading, resultDims = dims.leading;
  inputDims.push_back(dims.in);
  resultDims.push_back(dims.out);
  space.operandDims = {inputDims, {dims.in, dims.out}};
  if (op.getBias())
    space.operandDims.push_back({dims.out});
  space.resultDims = {resultDims};
  space.flops = 2.0 * numElements(op.getResult()) * k;
  space.elementType = op.getType().getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

void buildStrategies(xf::MatmulOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  ArrayRef<int64_t> lhsShape = op.getLhs().getType().getShape();
  int64_t rank = lhsShape.size();
  SmallVector<std::pair<Parallelism, int64_t>, 4> leading;
  for (int64_t dim = 0; dim + 2 < rank; ++dim)
    leading.push_back({dim == 0 ? Parallelism::Data
                                : (dim == 1 && rank == 4 ? Parallelism::Head
                                                         : Parallelism::Other),
                       lhsShape[dim]});
  leading.push_back({rank == 2 ? Parallelism::Data : Parallelism::Sequence,
                     lhsShape[rank - 2]});
  int64_t k = lhsShape[rank - 1];
  LoopSpace space;
  ContractionDims dims =
      addContractionDims(space, leading, op.getType().getShape().back(), k);
  // The row dimension M is the last leading one; the right operand has the
  // batch dimensions only.
  int64_t m = dims.leading.pop_back_val();
  space.operandDims = {dims.with(m, dims.in),
                       op.getTransposeRhs() ? dims.with(dims.out, dims.in)
                                            : dims.with(dims.in, dims.out)};
  space.resultDims = {dims.with(m, dims.out)};
  space.flops = 2.0 * numElements(op.getResult()) * k;
  space.elementType = op.getType().getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

void buildStrategies(xf::EmbeddingOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space;
  ArrayRef<int64_t> idsShape = op.getIds().getType().getShape();
  SmallVector<int64_t, 4> ids;
  for (auto [dim, size] : llvm::enumerate(idsShape))
    ids.push_back(space.addDim(
        idsShape.size() == 1
            ? Parallelism::Sequence
            : (dim == 0 ? Parallelism::Data
                        : (dim == 1 ? Parallelism::Sequence : Parallelism::Other)),
        size));
  ArrayRef<int64_t> tableShape = op.getTable().getType().getShape();
  int64_t width = space.addDim(Parallelism::Hidden, tableShape[1]);
  // A device holding a slice of the vocabulary looks up the ids that fall
  // in it and contributes zeros for the others: a partial sum.
  int64_t vocab = space.addDim(Parallelism::Vocab, tableShape[0], true,
                               /*reduction=*/true);
  SmallVector<int64_t, 4> resultDims = ids;
  resultDims.push_back(width);
  space.operandDims = {{vocab, width}, ids};
  space.operandStreamed = {false, true};
  space.resultDims = {resultDims};
  space.elementType = op.getType().getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

//===----------------------------------------------------------------------===//
// Normalizations, activations, elementwise
//===----------------------------------------------------------------------===//

/// A normalization over the last dimension with per-feature parameters.
/// Splitting the width needs the row statistics summed over the group:
/// `statistics` all-reduces (mean, then variance; or the mean square).
template <typename NormOp>
void buildNormStrategies(NormOp op, int64_t statistics,
                         const StrategyContext &context,
                         SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space;
  Value input = op.getInput();
  SmallVector<int64_t, 4> dims = addActivationDims(space, input);
  int64_t width = dims.back();
  space.operandDims.push_back(dims);
  for (size_t i = 1; i < op->getNumOperands(); ++i)
    space.operandDims.push_back({width});
  space.resultDims = {dims};
  space.flops = 8.0 * numElements(input);
  space.elementType = tensorType(input).getElementType();
  ArrayRef<int64_t> shape = tensorType(input).getShape();
  enumerateLoopStrategies(
      op, space, context, strategies,
      [&](LoopAssignment assignment, ShardingStrategy &strategy) {
        if (assignment[width].empty())
          return true;
        double rows = strategy.operands[0].getLocalElements(
                          shape, context.getMesh().shape) /
                      static_cast<double>(shape.back() /
                                          strategy.operands[0].getSplitCount(
                                              shape.size() - 1,
                                              context.getMesh().shape));
        // One all-reduce of one f32 per row for each statistic (the mean,
        // then the variance around it).
        for (int64_t s = 0; s < statistics; ++s)
          for (int64_t axis : assignment[width])
            strategy.collectives.push_back(
                {CollectiveKind::AllReduce, axis, rows * 4.0});
        return true;
      });
}

void buildStrategies(xf::LayerNormOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  buildNormStrategies(op, /*statistics=*/2, context, strategies);
}

void buildStrategies(xf::RmsNormOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  buildNormStrategies(op, /*statistics=*/1, context, strategies);
}

void buildStrategies(xf::SoftmaxOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space = elementwiseSpace(op, 5.0);
  space.dims[op.getDim()].splittable = false;
  enumerateLoopStrategies(op, space, context, strategies);
}

/// Arithmetic per result element of the elementwise ops (erf or tanh and
/// a few products for GELU, a sigmoid for SiLU).
double flopsPerElement(xf::GeluOp) { return 10.0; }
double flopsPerElement(xf::SiluOp) { return 5.0; }
double flopsPerElement(xf::AddOp) { return 1.0; }
double flopsPerElement(xf::MulOp) { return 1.0; }

template <typename OpTy,
          typename = decltype(flopsPerElement(std::declval<OpTy>()))>
void buildStrategies(OpTy op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  enumerateElementwise(op, flopsPerElement(op), context, strategies);
}

void buildStrategies(xf::RopeOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space;
  SmallVector<int64_t, 4> dims = addActivationDims(space, op.getInput());
  // Rotation pairs span the head dimension.
  space.dims[dims.back()].splittable = false;
  space.operandDims.push_back(dims);
  if (Value positions = op.getPositions()) {
    int64_t rank = tensorType(positions).getRank();
    space.operandDims.push_back(rank == 2 ? SmallVector<int64_t, 4>{dims[0], dims[1]}
                                          : SmallVector<int64_t, 4>{dims[1]});
  }
  space.resultDims = {dims};
  space.flops = 6.0 * numElements(op.getInput());
  space.elementType = op.getType().getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// Query-key pairs a causal mask leaves for queries [begin, end) of `sq`
/// with `skv` keys (bottom-right aligned, skv >= sq: query i sees the
/// i + 1 + skv - sq first keys).
double causalPairs(int64_t begin, int64_t end, int64_t sq, int64_t skv) {
  double count = end - begin;
  return count * (1 + skv - sq) + (begin + end - 1) * count / 2.0;
}

void buildStrategies(xf::AttentionOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  ArrayRef<int64_t> qShape = op.getQuery().getType().getShape();
  ArrayRef<int64_t> kShape = op.getKey().getType().getShape();
  int64_t dv = op.getValue().getType().getShape()[3];
  int64_t batch = qShape[0], sq = qShape[1], hq = qShape[2], d = qShape[3];
  int64_t skv = kShape[1], hkv = kShape[2];

  LoopSpace space;
  int64_t b = space.addDim(Parallelism::Data, batch);
  int64_t s = space.addDim(Parallelism::Sequence, sq);
  int64_t h = space.addDim(Parallelism::Head, hq);
  space.operandDims = {{b, s, h, -1}, {b, -1, h, -1}, {b, -1, h, -1}};
  space.resultDims = {{b, s, h, -1}};
  double pairs = op.getCausal() ? causalPairs(0, sq, sq, skv)
                                : static_cast<double>(sq) * skv;
  double flopsPerPair = 2.0 * (d + dv);
  space.flops = flopsPerPair * pairs * batch * hq;
  space.elementType = op.getType().getElementType();
  const MeshModel &mesh = context.getMesh();
  enumerateLoopStrategies(
      op, space, context, strategies,
      [&](LoopAssignment, ShardingStrategy &strategy) {
        // Grouped-query: key/value heads follow the query heads' split
        // when it divides them. When the split is finer (a multiple of Hkv
        // devices), each device's query heads share one key/value head:
        // devices hold keys and values whole and use their head. Other
        // splits would give devices query heads of two groups in an order
        // no local attention computes.
        int64_t headGroup = strategy.operands[0].getSplitCount(2, mesh.shape);
        if (hkv % headGroup != 0) {
          if (headGroup % hkv != 0)
            return false;
          strategy.operands[1].dimAxes[2].clear();
          strategy.operands[2].dimAxes[2].clear();
        }
        // The busiest device: with a causal mask and split queries, the one
        // holding the last block of queries.
        int64_t batchGroup = strategy.operands[0].getSplitCount(0, mesh.shape);
        int64_t seqGroup = strategy.operands[0].getSplitCount(1, mesh.shape);
        double devicePairs =
            op.getCausal() ? causalPairs(sq - sq / seqGroup, sq, sq, skv)
                           : pairs / seqGroup;
        LoopSpace busiest = space;
        busiest.flops = flopsPerPair * devicePairs *
                        (static_cast<double>(batch) / batchGroup) *
                        (static_cast<double>(hq) / headGroup);
        strategy.computeTime =
            getStrategyComputeTime(op, busiest, strategy, 1, context);
        return true;
      });
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

void buildStrategies(xf::TransposeOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space;
  SmallVector<int64_t, 4> dims = addActivationDims(space, op.getResult());
  SmallVector<int64_t, 4> inputDims(dims.size());
  for (auto [resultDim, inputDim] : llvm::enumerate(op.getPermutation()))
    inputDims[inputDim] = dims[resultDim];
  space.operandDims = {inputDims};
  space.resultDims = {dims};
  space.elementType = op.getType().getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

void buildStrategies(xf::ReshapeOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> out = op.getType().getShape();
  LoopSpace space;
  SmallVector<int64_t, 4> dims = addActivationDims(space, op.getResult());
  for (int64_t dim : dims)
    space.dims[dim].splittable = false;
  SmallVector<int64_t, 4> inputDims(in.size(), -1);
  // Walk groups of dimensions with equal products: [64] <-> [4, 16]. A split
  // of a group's leading dimension is the same block of elements on both
  // sides when it divides both leading sizes.
  SmallVector<int64_t, 4> leadingInputSize(dims.size(), 0);
  size_t i = 0, j = 0;
  while (i < in.size() && j < out.size()) {
    size_t groupIn = i, groupOut = j;
    int64_t prodIn = in[i++], prodOut = out[j++];
    while (prodIn != prodOut) {
      if (prodIn < prodOut && i < in.size())
        prodIn *= in[i++];
      else if (prodOut < prodIn && j < out.size())
        prodOut *= out[j++];
      else
        break;
    }
    if (prodIn != prodOut)
      break;
    inputDims[groupIn] = dims[groupOut];
    space.dims[dims[groupOut]].splittable = true;
    leadingInputSize[groupOut] = in[groupIn];
  }
  space.operandDims = {inputDims};
  space.resultDims = {dims};
  space.elementType = op.getType().getElementType();
  const MeshModel &mesh = context.getMesh();
  enumerateLoopStrategies(
      op, space, context, strategies,
      [&](LoopAssignment assignment, ShardingStrategy &strategy) {
        // A reshape of a contiguous tensor is a view: no data moves.
        strategy.computeTime = 0;
        for (auto [dim, axes] : llvm::enumerate(assignment)) {
          int64_t group = 1;
          for (int64_t axis : axes)
            group *= mesh.shape[axis];
          if (group > 1 && leadingInputSize[dim] % group != 0)
            return false;
        }
        return true;
      });
}

void buildStrategies(xf::SplitOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space;
  SmallVector<int64_t, 4> dims = addActivationDims(space, op.getInput());
  space.dims[dims[op.getDim()]].splittable = false;
  space.operandDims = {dims};
  for (size_t i = 0; i < op.getNumResults(); ++i)
    space.resultDims.push_back(dims);
  space.elementType = tensorType(op.getInput()).getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

void buildStrategies(xf::ConcatOp op, const StrategyContext &context,
                     SmallVectorImpl<ShardingStrategy> &strategies) {
  LoopSpace space;
  SmallVector<int64_t, 4> dims = addActivationDims(space, op.getResult());
  space.dims[dims[op.getDim()]].splittable = false;
  for (size_t i = 0; i < op.getInputs().size(); ++i)
    space.operandDims.push_back(dims);
  space.resultDims = {dims};
  space.elementType = op.getType().getElementType();
  enumerateLoopStrategies(op, space, context, strategies);
}

template <typename OpTy>
struct XfStrategyModel
    : ShardingStrategyOpInterface::ExternalModel<XfStrategyModel<OpTy>, OpTy> {
  void getShardingStrategies(Operation *op, const StrategyContext &context,
                             SmallVectorImpl<ShardingStrategy> &strategies) const {
    buildStrategies(cast<OpTy>(op), context, strategies);
  }
  bool followsOperand(Operation *op) const {
    return isa<xf::LayerNormOp, xf::RmsNormOp, xf::SoftmaxOp, xf::GeluOp,
               xf::SiluOp, xf::RopeOp, xf::ReshapeOp, xf::TransposeOp,
               xf::SplitOp>(op);
  }
};

template <typename... OpTys>
void attachModels(MLIRContext *context) {
  (OpTys::template attachInterface<XfStrategyModel<OpTys>>(*context), ...);
}

} // namespace

void weft::sharding::registerXfShardingStrategies(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, xf::XfDialect *) {
    attachModels<xf::LinearOp, xf::MatmulOp, xf::EmbeddingOp, xf::LayerNormOp,
                 xf::RmsNormOp, xf::SoftmaxOp, xf::GeluOp, xf::SiluOp,
                 xf::AddOp, xf::MulOp, xf::RopeOp, xf::AttentionOp,
                 xf::TransposeOp, xf::ReshapeOp, xf::SplitOp, xf::ConcatOp>(
        context);
  });
}
