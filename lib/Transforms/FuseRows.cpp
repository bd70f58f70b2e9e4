//===- FuseRows.cpp - Row reductions and their neighbours in one loop nest ===//
//
// Norms and softmaxes lower to chains of linalg ops over the same rows: row
// reductions and the elementwise maps around them. This pass tiles each
// chain along its rows into one scf.forall, producers fused into the
// consumer's tile, so that a target runs the chain as one loop nest (one
// kernel on a GPU) instead of one per op. Contractions stay out: they have
// loop nests (and kernels) of their own.
//
//===----------------------------------------------------------------------===//

#include "weft/Transforms/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/DebugLog.h"

#include <deque>

#define DEBUG_TYPE "weft-fuse-rows"

namespace weft {
#define GEN_PASS_DEF_FUSEROWS
#include "weft/Transforms/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

/// A top-level linalg op described by its rows: `numParallel` parallel loops
/// followed by `numReductions` reduction loops.
struct RowOp {
  linalg::LinalgOp op;
  unsigned numParallel = 0;
  unsigned numReductions = 0;
};

/// Whether `map` reads loops 0..n-1 as its first n results, in order.
bool readsRowsInOrder(AffineMap map, unsigned n) {
  if (map.getNumResults() < n)
    return false;
  for (unsigned i = 0; i < n; ++i) {
    auto dim = dyn_cast<AffineDimExpr>(map.getResult(i));
    if (!dim || dim.getPosition() != i)
      return false;
  }
  return true;
}

/// `op` as a row op, or nothing: static loops, parallel loops followed by
/// reductions, projected-permutation maps, results indexed by the parallel
/// loops in order, and reductions over whole rows only (an operand indexed
/// by a reduction loop is indexed by every parallel loop). The last rule
/// keeps contractions out: their weights are shared by all rows.
std::optional<RowOp> getRowOp(Operation *candidate) {
  auto op = dyn_cast<linalg::LinalgOp>(candidate);
  if (!op || !op.hasPureTensorSemantics() || !isa<TilingInterface>(candidate))
    return std::nullopt;
  if (linalg::isaContractionOpInterface(op) || linalg::isaConvolutionOpInterface(op))
    return std::nullopt;
  RowOp row{op};
  for (utils::IteratorType type : op.getIteratorTypesArray()) {
    if (type == utils::IteratorType::parallel) {
      if (row.numReductions != 0)
        return std::nullopt; // a parallel loop inside a reduction
      ++row.numParallel;
    } else {
      ++row.numReductions;
    }
  }
  if (row.numParallel == 0)
    return std::nullopt;
  for (int64_t range : op.getStaticLoopRanges())
    if (ShapedType::isDynamic(range))
      return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return std::nullopt;
    if (op.isDpsInit(&operand)) {
      if (map.getNumResults() != row.numParallel ||
          !readsRowsInOrder(map, row.numParallel))
        return std::nullopt;
      continue;
    }
    bool readsReduction = false;
    llvm::SmallBitVector parallelRead(row.numParallel);
    for (AffineExpr expr : map.getResults()) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      if (dim >= row.numParallel)
        readsReduction = true;
      else
        parallelRead.set(dim);
    }
    if (readsReduction && !parallelRead.all())
      return std::nullopt;
  }
  return row;
}

/// Whether `op` only fills its result (no inputs): recomputing it per tile
/// costs nothing, so it joins every group that reads it.
bool isFill(linalg::LinalgOp op) {
  return isa<linalg::FillOp>(op) ||
         (op.getNumDpsInputs() == 0 && op.getNumReductionLoops() == 0);
}

/// A group: its root (the last op), its rows and its members in program
/// order, the root first among them.
struct Group {
  RowOp root;
  unsigned numRows = 0;
  SmallVector<int64_t> rowExtents;
  llvm::SetVector<Operation *> members;
  /// Members whose results are also read after the root: the loop nest
  /// yields their tiles.
  DenseSet<Operation *> yielded;
};

class GroupBuilder {
public:
  GroupBuilder(Block &block, const DenseSet<Operation *> &taken)
      : block(block), taken(taken) {}

  /// The group rooted at `root`, or nothing when it holds no reduction.
  std::optional<Group> build(RowOp root) {
    Group group;
    group.root = root;
    group.numRows = root.numReductions != 0 ? root.numParallel
                                            : root.numParallel - 1;
    if (group.numRows == 0)
      return std::nullopt;
    SmallVector<int64_t> ranges = root.op.getStaticLoopRanges();
    group.rowExtents.assign(ranges.begin(), ranges.begin() + group.numRows);

    // 1. Candidates: producers reachable through row-for-row reads.
    DenseSet<Operation *> candidates = collect(group, /*allowed=*/nullptr);
    // 2. Drop producers read before the root by ops outside the group
    //    (their tile could not be yielded to them), then what only they
    //    made reachable, until nothing changes.
    for (bool changed = true; changed;) {
      changed = false;
      for (Operation *op : llvm::to_vector(candidates)) {
        if (op == root.op.getOperation() || isFill(cast<linalg::LinalgOp>(op)))
          continue;
        for (Operation *user : op->getUsers()) {
          Operation *top = block.findAncestorOpInBlock(*user);
          if (top && (candidates.contains(top) ||
                      root.op->isBeforeInBlock(top)))
            continue;
          candidates.erase(op);
          changed = true;
          break;
        }
      }
      if (changed)
        candidates = collect(group, &candidates);
    }

    bool reduces = false;
    for (Operation &op : block) {
      if (!candidates.contains(&op))
        continue;
      group.members.insert(&op);
      reduces |= cast<linalg::LinalgOp>(op).getNumReductionLoops() != 0;
      if (&op == root.op.getOperation() || isFill(cast<linalg::LinalgOp>(op)))
        continue;
      for (Operation *user : op.getUsers())
        if (!candidates.contains(block.findAncestorOpInBlock(*user)))
          group.yielded.insert(&op);
    }
    if (!reduces || group.members.size() < 2)
      return std::nullopt;
    return group;
  }

private:
  /// The root and the producers reachable from it through row ops that
  /// share its rows; with `allowed`, only through those ops.
  DenseSet<Operation *> collect(Group &group,
                                const DenseSet<Operation *> *allowed) {
    DenseSet<Operation *> found{group.root.op.getOperation()};
    SmallVector<linalg::LinalgOp> worklist{group.root.op};
    while (!worklist.empty()) {
      linalg::LinalgOp consumer = worklist.pop_back_val();
      for (OpOperand &operand : consumer->getOpOperands()) {
        auto result = dyn_cast<OpResult>(operand.get());
        if (!result || result.getOwner()->getBlock() != &block)
          continue;
        Operation *producer = result.getOwner();
        if (found.contains(producer) || taken.contains(producer) ||
            (allowed && !allowed->contains(producer)))
          continue;
        if (!sharesRows(group, consumer, operand, result))
          continue;
        found.insert(producer);
        worklist.push_back(cast<linalg::LinalgOp>(producer));
      }
    }
    return found;
  }

  /// Whether `consumer` reads the rows of `result` row for row (its
  /// operand's map starts with the row loops) and the producer is a row op
  /// over the same rows, so that a tile of rows needs the same tile of it.
  bool sharesRows(Group &group, linalg::LinalgOp consumer,
                  OpOperand &operand, OpResult result) {
    std::optional<RowOp> producer = getRowOp(result.getOwner());
    if (!producer || producer->numParallel < group.numRows)
      return false;
    if (!readsRowsInOrder(consumer.getMatchingIndexingMap(&operand),
                          group.numRows))
      return false;
    SmallVector<int64_t> ranges = producer->op.getStaticLoopRanges();
    return llvm::equal(ArrayRef(ranges).take_front(group.numRows),
                       group.rowExtents);
  }

  Block &block;
  const DenseSet<Operation *> &taken;
};

/// Bytes of the intermediate results one tile of `rows` rows holds: results
/// not yielded whose destination is not another member's (those are
/// computed in place).
int64_t scratchBytes(Group &group, int64_t rows) {
  int64_t totalRows = 1;
  for (int64_t extent : group.rowExtents)
    totalRows *= extent;
  int64_t bytes = 0;
  for (Operation *op : group.members) {
    if (op == group.root.op.getOperation() || group.yielded.contains(op))
      continue;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
      if (Operation *def = init.get().getDefiningOp();
          def && group.members.contains(def))
        continue;
      auto type = cast<RankedTensorType>(init.get().getType());
      int64_t elementBytes =
          llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      bytes += type.getNumElements() / totalRows * rows * elementBytes;
    }
  }
  return bytes;
}

/// Rows per tile along the innermost row dimension: the largest divisor of
/// its extent up to `maxRows` whose scratch fits `maxBytes`, else 1.
int64_t chooseTileRows(Group &group, int64_t maxRows, int64_t maxBytes) {
  int64_t extent = group.rowExtents.back();
  for (int64_t rows = std::min(maxRows, extent); rows > 1; --rows)
    if (extent % rows == 0 && scratchBytes(group, rows) <= maxBytes)
      return rows;
  return 1;
}

/// Loop dimensions a block mapping can name (linear_dim_0 to _9).
constexpr unsigned kMaxMappedDims = 10;

struct FuseRowsPass : weft::impl::FuseRowsBase<FuseRowsPass> {
  using Base::Base;

  void runOnOperation() final {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (tileRows < 1 || maxScratchBytes < 0) {
      func.emitError("expected tile-rows >= 1 and max-scratch-bytes >= 0, "
                     "got ")
          << static_cast<int64_t>(tileRows) << " and "
          << static_cast<int64_t>(maxScratchBytes);
      return signalPassFailure();
    }
    Block &block = func.getBody().front();
    IRRewriter rewriter(&getContext());
    // Ops in a group (fills excepted: they are recomputed, so later groups
    // may read them too) and ops erased.
    DenseSet<Operation *> taken, erased;

    // 1. Roots from the last op backwards, so that a chain is grouped from
    //    its end and its producers are claimed before they can root a
    //    group of their own.
    SmallVector<Operation *> ops;
    for (Operation &op : block)
      if (isa<linalg::LinalgOp>(op))
        ops.push_back(&op);
    for (Operation *candidate : llvm::reverse(ops)) {
      if (erased.contains(candidate) || taken.contains(candidate))
        continue;
      std::optional<RowOp> root = getRowOp(candidate);
      if (!root || isFill(root->op))
        continue;
      // 2. The group: producers over the same rows, read only inside it or
      //    after the root.
      std::optional<Group> group = GroupBuilder(block, taken).build(*root);
      if (!group)
        continue;
      int64_t rows = chooseTileRows(*group, tileRows, maxScratchBytes);
      LDBG() << "group of " << group->members.size() << " ops at "
             << candidate->getLoc() << ": " << rows << " rows per tile, "
             << scratchBytes(*group, rows) << " scratch bytes";
      // 3. Tile the root along its rows and fuse the members into its tile.
      SmallVector<Operation *> claimed;
      for (Operation *op : group->members)
        if (!isFill(cast<linalg::LinalgOp>(op)))
          claimed.push_back(op);
      if (failed(fuse(rewriter, *group, rows, erased)))
        continue; // the ops stay as they are, still correct
      taken.insert(claimed.begin(), claimed.end());
      ++numGroups;
      numFusedOps += group->members.size();
    }
  }

  /// Tiles the root and fuses the members into its tile, each member's
  /// tile computed once: a second read of the same tile (a residual read by
  /// the sum and by the variance) reuses the first. Fills are recomputed
  /// for every reader, since each reduction accumulates into its own.
  LogicalResult fuse(RewriterBase &rewriter, Group &group, int64_t rows,
                     DenseSet<Operation *> &erased) {
    Operation *root = group.root.op.getOperation();
    SmallVector<int64_t> sizes(group.root.op.getNumLoops(), 0);
    for (unsigned i = 0; i < group.numRows; ++i)
      sizes[i] = 1;
    sizes[group.numRows - 1] = rows;
    scf::SCFTilingOptions tiling;
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    tiling.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
    // Each tile is one unit of parallel work (a GPU block): mapped, the
    // loop stays a loop even with a single tile, where canonicalization
    // would otherwise inline it and the ops would run one by one again.
    // The CPU's lowering ignores the mapping.
    if (group.numRows <= kMaxMappedDims) {
      SmallVector<Attribute> mapping;
      for (unsigned i = 0; i < group.numRows; ++i)
        mapping.push_back(gpu::GPUBlockMappingAttr::get(
            rewriter.getContext(),
            static_cast<gpu::MappingId>(
                static_cast<uint64_t>(gpu::MappingId::LinearDim0) +
                group.numRows - 1 - i)));
      tiling.setMapping(mapping);
    }
    rewriter.setInsertionPoint(root);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(root), tiling);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(root, tiled->replacements);
    erased.insert(root);
    SmallVector<LoopLikeOpInterface> loops = tiled->loops;

    // The fused tile of each member result read as a plain slice.
    // Each keeps a copy of the first slice, unused, so that the values its
    // offsets name stay alive while fusion rewrites the loop body.
    struct FusedTile {
      tensor::ExtractSliceOp key;
      Value value;
    };
    DenseMap<Value, FusedTile> fusedTiles;
    SmallVector<std::pair<OpResult, unsigned>> yieldedResults;
    std::deque<tensor::ExtractSliceOp> worklist;
    auto enqueue = [&](ArrayRef<Operation *> slices) {
      for (Operation *op : slices)
        if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op))
          worklist.push_back(slice);
    };
    enqueue(tiled->generatedSlices);
    while (!worklist.empty()) {
      tensor::ExtractSliceOp slice = worklist.front();
      worklist.pop_front();
      // A destination slice reads the loop's shared output; its producer
      // is the loop's initial value.
      Value source = slice.getSource();
      bool destination = false;
      if (auto arg = dyn_cast<BlockArgument>(source)) {
        auto forall = dyn_cast<scf::ForallOp>(arg.getOwner()->getParentOp());
        if (!forall || arg.getArgNumber() < forall.getRank())
          continue;
        source = forall.getTiedLoopInit(arg)->get();
        destination = true;
      }
      auto producer = dyn_cast<OpResult>(source);
      if (!producer || !group.members.contains(producer.getOwner()))
        continue;
      bool fill = isFill(cast<linalg::LinalgOp>(producer.getOwner()));
      if (!destination && !fill) {
        auto it = fusedTiles.find(producer);
        if (it != fusedTiles.end() &&
            it->second.value.getType() == slice.getType() &&
            isSameSlice(it->second.key, slice)) {
          rewriter.replaceOp(slice, it->second.value);
          continue;
        }
      }
      tensor::ExtractSliceOp key;
      if (!destination && !fill && !fusedTiles.count(producer)) {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPoint(slice);
        key = cast<tensor::ExtractSliceOp>(rewriter.clone(*slice));
      }
      std::optional<scf::SCFFuseProducerOfSliceResult> fused =
          scf::tileAndFuseProducerOfSlice(rewriter, slice, loops);
      if (!fused) {
        if (key)
          rewriter.eraseOp(key);
        continue;
      }
      enqueue(fused->generatedSlices);
      if (key)
        fusedTiles[producer] = {key, fused->tiledAndFusedProducer};
      if (!group.yielded.contains(producer.getOwner()) ||
          llvm::any_of(yieldedResults,
                       [&](auto &y) { return y.first == producer; }))
        continue;
      unsigned number = producer.getResultNumber();
      FailureOr<SmallVector<Operation *>> slices =
          scf::yieldReplacementForFusedProducer(rewriter, slice, *fused,
                                                loops, {number});
      if (failed(slices))
        return failure();
      enqueue(*slices);
      yieldedResults.push_back(
          {producer, loops.front()->getNumResults() - 1});
    }

    for (auto &[value, tile] : fusedTiles)
      rewriter.eraseOp(tile.key);
    // Slices fusion replaced are left unused; they would keep the untiled
    // members alive.
    SmallVector<tensor::ExtractSliceOp> unused;
    loops.front()->walk([&](tensor::ExtractSliceOp slice) {
      if (slice->use_empty())
        unused.push_back(slice);
    });
    for (tensor::ExtractSliceOp slice : unused)
      rewriter.eraseOp(slice);
    // A reused tile may have been fused for a later reader than the one
    // that now takes it: order the tile's ops by their uses.
    if (!sortTopologically(&loops.front()->getRegion(0).front()))
      return loops.front()->emitOpError("fused tile has a cyclic dependence");

    // Readers after the loop take the yielded tiles (a member left unfused
    // keeps reading the original); then the untiled members go, a chain
    // freeing one link at a time (fills others still read stay).
    Operation *loop = loops.front();
    Block *block = loop->getBlock();
    for (auto [original, index] : yieldedResults)
      rewriter.replaceUsesWithIf(
          original, loop->getResult(index), [&](OpOperand &use) {
            Operation *top = block->findAncestorOpInBlock(*use.getOwner());
            return top && loop->isBeforeInBlock(top);
          });
    for (bool changed = true; changed;) {
      changed = false;
      for (Operation *op : group.members) {
        if (erased.contains(op) || !op->use_empty())
          continue;
        erased.insert(op);
        rewriter.eraseOp(op);
        changed = true;
      }
    }
    return success();
  }

  /// Whether two slices read the same tile (same offsets, sizes, strides).
  static bool isSameSlice(tensor::ExtractSliceOp a, tensor::ExtractSliceOp b) {
    auto same = [](ArrayRef<OpFoldResult> x, ArrayRef<OpFoldResult> y) {
      return llvm::equal(x, y, [](OpFoldResult l, OpFoldResult r) {
        return isEqualConstantIntOrValue(l, r);
      });
    };
    return a.getSource() == b.getSource() &&
           same(a.getMixedOffsets(), b.getMixedOffsets()) &&
           same(a.getMixedSizes(), b.getMixedSizes()) &&
           same(a.getMixedStrides(), b.getMixedStrides());
  }
};

} // namespace
