//===- CpuDistribute.cpp - Tile linalg ops into parallel scf.forall -------===//
//
// Gives the cores work: every linalg op at function level is tiled along its
// outer parallel loops into an scf.forall, fusing producers only it consumes.
// Tile counts aim at a few tiles per core so that uneven tiles balance out.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/IR/PatternMatch.h"

#define DEBUG_TYPE "weft-cpu-distribute"

namespace weft::cpu {
#define GEN_PASS_DEF_CPUDISTRIBUTE
#include "weft/Target/CPU/Passes.h.inc"
} // namespace weft::cpu

using namespace mlir;

namespace {

/// Tile sizes over the loops of `op`: outer parallel loops are cut until
/// about `numTiles` tiles exist, keeping at least `minWork` iterations per
/// tile; reduction loops are never split (0 = untiled). Empty when the op
/// is too small to be worth a parallel region.
SmallVector<int64_t> chooseTileSizes(linalg::LinalgOp op, int64_t numTiles,
                                     int64_t minWork) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t total = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return {};
    total *= std::max<int64_t>(r, 1);
  }
  int64_t wanted = std::min(numTiles, total / std::max<int64_t>(minWork, 1));
  if (wanted < 2)
    return {};
  SmallVector<int64_t> sizes(ranges.size(), 0);
  int64_t tiles = 1;
  for (auto [i, range] : llvm::enumerate(ranges)) {
    // Split further only while at least a factor of 2 is still wanted, so
    // that tiles never fall below the work bound.
    int64_t remaining = wanted / tiles;
    if (remaining < 2)
      break;
    if (iterators[i] != utils::IteratorType::parallel)
      break; // only a prefix of parallel loops: tiles stay contiguous
    if (range <= 1)
      continue;
    int64_t parts = std::min<int64_t>(range, remaining);
    sizes[i] = llvm::divideCeil(range, parts);
    tiles *= llvm::divideCeil(range, sizes[i]);
  }
  if (tiles < 2)
    return {};
  return sizes;
}

/// Whether every value `user` computes flows only into `consumer` (or is
/// `consumer` itself): such ops disappear with the consumer once it is tiled,
/// so fusing a producer they share with it recomputes nothing.
bool feedsOnly(Operation *user, Operation *consumer, unsigned depth) {
  if (user == consumer)
    return true;
  if (depth == 0 || !isa<linalg::LinalgOp>(user) || user->use_empty())
    return false;
  return llvm::all_of(user->getUsers(), [&](Operation *next) {
    return feedsOnly(next, consumer, depth - 1);
  });
}

struct CpuDistributePass
    : weft::cpu::impl::CpuDistributeBase<CpuDistributePass> {
  using Base::Base;

  void runOnOperation() final {
    func::FuncOp func = getOperation();
    // 1. Consumers first (reverse order), so that producers are fused into
    //    the tiles of their only user before being considered themselves.
    SmallVector<linalg::LinalgOp> candidates;
    for (Operation &op : func.getBody().getOps())
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
        if (linalgOp.hasPureTensorSemantics())
          candidates.push_back(linalgOp);

    IRRewriter rewriter(&getContext());
    DenseSet<Operation *> erased;
    for (linalg::LinalgOp op : llvm::reverse(candidates)) {
      // Fused into an earlier consumer's tile and erased already.
      if (erased.contains(op) || op->use_empty())
        continue;
      SmallVector<int64_t> sizes = chooseTileSizes(op, numTiles, minTileWork);
      if (sizes.empty())
        continue;
      // 2. Tile into an scf.forall and fuse single-use producers.
      scf::SCFTilingOptions tiling;
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      tiling.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp slice, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            // Fuse producers nobody else reads: their only users are the
            // op being tiled and the tile's slice of them. Others would be
            // recomputed per tile.
            Operation *loop = slice->getParentOp();
            bool onlyHere = llvm::all_of(producer.getUsers(), [&](Operation *u) {
              return loop->isAncestor(u) || feedsOnly(u, op, /*depth=*/8);
            });
            if (!isa<linalg::LinalgOp>(producer.getOwner()) || !onlyHere)
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTileAndFuseResult> result =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(result))
        continue; // stays whole and sequential; still correct
      for (OpResult res : op->getResults())
        if (Value replacement = result->replacements.lookup(res))
          rewriter.replaceAllUsesWith(res, replacement);
      // 3. Drop the untiled op, then the producers that only fed it (a
      //    chain frees one link at a time).
      if (op->use_empty() && erased.insert(op).second)
        rewriter.eraseOp(op);
      for (bool changed = true; changed;) {
        changed = false;
        for (Operation *fused : result->fusedProducers)
          if (!erased.contains(fused) && fused->use_empty()) {
            erased.insert(fused);
            rewriter.eraseOp(fused);
            changed = true;
          }
      }
    }
  }
};

} // namespace
