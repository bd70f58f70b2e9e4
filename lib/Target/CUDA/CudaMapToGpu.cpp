//===- CudaMapToGpu.cpp - Top-level loop nests to gpu.launch --------------===//
//
// The generic mapping: one thread per output element for every top-level
// op, and one thread per tile for loop nests that carry their own tiles.
// Correct for every op the CPU path compiles; the fast paths (tensor-core
// attention and GEMMs) replace it op by op.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace weft::cuda {
#define GEN_PASS_DEF_CUDAMAPTOGPU
#include "weft/Target/CUDA/Passes.h.inc"
} // namespace weft::cuda

using namespace mlir;

namespace {

/// A generic with its reduction dimensions innermost (stable otherwise), so
/// that its parallel loops enclose the reduction and map to threads.
LogicalResult moveReductionsInnermost(RewriterBase &rewriter,
                                      linalg::GenericOp generic) {
  SmallVector<unsigned> order;
  for (auto [i, type] : llvm::enumerate(generic.getIteratorTypesArray()))
    if (type == utils::IteratorType::parallel)
      order.push_back(i);
  for (auto [i, type] : llvm::enumerate(generic.getIteratorTypesArray()))
    if (type != utils::IteratorType::parallel)
      order.push_back(i);
  if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
    return success();
  rewriter.setInsertionPoint(generic);
  return interchangeGenericOp(rewriter, generic, order);
}

/// Runs every loop nest inside `region` sequentially: linalg ops become
/// loops, parallel loops become sequential ones.
LogicalResult sequentialize(RewriterBase &rewriter, Region &region) {
  SmallVector<Operation *> ops;
  region.walk([&](Operation *op) {
    if (isa<linalg::LinalgOp, scf::ParallelOp, scf::ForallOp>(op))
      ops.push_back(op);
  });
  // Innermost first, so that an op's body is final when it is rewritten.
  for (Operation *op : ops) {
    rewriter.setInsertionPoint(op);
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      if (failed(linalg::linalgOpToLoops(rewriter, linalgOp)))
        return op->emitOpError("cannot be lowered to loops for the GPU");
      rewriter.eraseOp(op);
      continue;
    }
    if (auto forall = dyn_cast<scf::ForallOp>(op)) {
      scf::ParallelOp parallel;
      if (failed(scf::forallToParallelLoop(rewriter, forall, &parallel)))
        return op->emitOpError("cannot be lowered to loops for the GPU");
      op = parallel;
    }
    auto parallel = cast<scf::ParallelOp>(op);
    if (parallel.getNumReductions() != 0)
      return op->emitOpError("with reductions is not supported on the GPU");
    rewriter.setInsertionPoint(parallel);
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, parallel.getLoc(), parallel.getLowerBound(),
        parallel.getUpperBound(), parallel.getStep());
    Block *inner = nest.loops.back().getBody();
    rewriter.eraseOp(inner->getTerminator());
    SmallVector<Value> ivs;
    for (scf::ForOp loop : nest.loops)
      ivs.push_back(loop.getInductionVar());
    Block *body = parallel.getBody();
    rewriter.eraseOp(body->getTerminator());
    rewriter.inlineBlockBefore(body, inner, inner->end(), ivs);
    rewriter.setInsertionPointToEnd(inner);
    scf::YieldOp::create(rewriter, parallel.getLoc());
    rewriter.eraseOp(parallel);
  }
  return success();
}

/// Allocations inside a kernel become private arrays at its entry; each is
/// freed within the iteration that allocated it (bufferization's
/// deallocation guarantees it for these nests), so one array serves every
/// iteration.
LogicalResult privatizeAllocations(RewriterBase &rewriter,
                                   gpu::LaunchOp launch) {
  Block &entry = launch.getBody().front();
  SmallVector<memref::AllocOp> allocs;
  launch.getBody().walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
  for (memref::AllocOp alloc : allocs) {
    if (!alloc.getType().hasStaticShape())
      return alloc.emitOpError("inside a GPU kernel needs a static shape");
    rewriter.setInsertionPointToStart(&entry);
    auto alloca = memref::AllocaOp::create(rewriter, alloc.getLoc(),
                                           alloc.getType(),
                                           alloc.getAlignmentAttr());
    rewriter.replaceOp(alloc, alloca);
  }
  SmallVector<memref::DeallocOp> deallocs;
  launch.getBody().walk(
      [&](memref::DeallocOp dealloc) { deallocs.push_back(dealloc); });
  for (memref::DeallocOp dealloc : deallocs)
    rewriter.eraseOp(dealloc);
  return success();
}

/// Whether kernels should recompute `op` rather than receive its result:
/// views (so kernels get whole buffers), constants and globals.
bool isSunkIntoKernels(Operation *op) {
  return isa<memref::SubViewOp, memref::ExpandShapeOp,
             memref::CollapseShapeOp, memref::CastOp,
             memref::ReinterpretCastOp, memref::GetGlobalOp>(op) ||
         op->hasTrait<OpTrait::ConstantLike>();
}

/// Clones into `launch` every value its body uses that isSunkIntoKernels
/// defines outside, with the chain of such ops it depends on (a view of a
/// view of an argument), so that only whole buffers and scalars cross.
void sinkIntoLaunch(gpu::LaunchOp launch) {
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(launch.getBody(), above);
  OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
  IRMapping map;
  std::function<Value(Value)> sink = [&](Value value) -> Value {
    if (Value sunk = map.lookupOrNull(value))
      return sunk;
    Operation *def = value.getDefiningOp();
    if (!def || !isSunkIntoKernels(def))
      return value;
    for (Value operand : def->getOperands())
      sink(operand);
    b.clone(*def, map);
    return map.lookup(value);
  };
  for (Value value : above) {
    Value sunk = sink(value);
    if (sunk != value)
      value.replaceUsesWithIf(sunk, [&](OpOperand &use) {
        return launch->isProperAncestor(use.getOwner());
      });
  }
}

struct CudaMapToGpuPass
    : weft::cuda::impl::CudaMapToGpuBase<CudaMapToGpuPass> {
  using Base::Base;

  void runOnOperation() final {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    IRRewriter rewriter(&getContext());
    Block &body = func.getBody().front();

    // 1. Top-level linalg ops and foralls become parallel loops; so do
    //    copies, which may read constants the host holds (kernels get
    //    their own copy of a global).
    for (auto copy : llvm::to_vector(body.getOps<memref::CopyOp>())) {
      rewriter.setInsertionPoint(copy);
      linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      rewriter.eraseOp(copy);
    }
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (failed(moveReductionsInnermost(rewriter, generic)))
          return signalPassFailure();
    }
    for (Operation &op : llvm::make_early_inc_range(body)) {
      rewriter.setInsertionPoint(&op);
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        if (failed(linalg::linalgOpToParallelLoops(rewriter, linalgOp))) {
          op.emitOpError("cannot be lowered to parallel loops for the GPU");
          return signalPassFailure();
        }
        rewriter.eraseOp(&op);
      } else if (auto forall = dyn_cast<scf::ForallOp>(op)) {
        if (failed(scf::forallToParallelLoop(rewriter, forall))) {
          op.emitOpError("cannot be lowered to parallel loops for the GPU");
          return signalPassFailure();
        }
      }
    }

    // 2. Each top-level parallel loop becomes a launch.
    for (auto parallel :
         llvm::to_vector(body.getOps<scf::ParallelOp>()))
      if (failed(launch(rewriter, parallel)))
        return signalPassFailure();
  }

  LogicalResult launch(RewriterBase &rewriter, scf::ParallelOp parallel) {
    if (parallel.getNumReductions() != 0)
      return parallel.emitOpError(
          "with reductions is not supported on the GPU");
    Location loc = parallel.getLoc();
    rewriter.setInsertionPoint(parallel);
    auto constant = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };

    // Trip counts and their product, on the host.
    SmallVector<Value> counts;
    Value total = constant(1);
    for (auto [lb, ub, step] :
         llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                   parallel.getStep())) {
      Value span = arith::SubIOp::create(rewriter, loc, ub, lb);
      Value count = arith::CeilDivUIOp::create(rewriter, loc, span, step);
      counts.push_back(count);
      total = arith::MulIOp::create(rewriter, loc, total, count);
    }
    Value threads = constant(threadsPerBlock);
    Value blocks = arith::CeilDivUIOp::create(rewriter, loc, total, threads);
    Value one = constant(1);
    auto launchOp = gpu::LaunchOp::create(rewriter, loc, blocks, one, one,
                                          threads, one, one);

    // Inside: the linear index, a bounds check, the indices.
    Block &entry = launchOp.getBody().front();
    rewriter.setInsertionPointToStart(&entry);
    Value blockId = launchOp.getBlockIds().x;
    Value threadId = launchOp.getThreadIds().x;
    Value linear = arith::AddIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, blockId, launchOp.getBlockSizeX()),
        threadId);
    Value inRange = arith::CmpIOp::create(rewriter, loc,
                                          arith::CmpIPredicate::ult, linear,
                                          total);
    auto guard = scf::IfOp::create(rewriter, loc, inRange);
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.setInsertionPointToStart(&guard.getThenRegion().front());
    SmallVector<Value> ivs(counts.size());
    Value rest = linear;
    for (int64_t d = counts.size() - 1; d >= 0; --d) {
      Value index = rest;
      if (d > 0) {
        index = arith::RemUIOp::create(rewriter, loc, rest, counts[d]);
        rest = arith::DivUIOp::create(rewriter, loc, rest, counts[d]);
      }
      ivs[d] = arith::AddIOp::create(
          rewriter, loc, parallel.getLowerBound()[d],
          arith::MulIOp::create(rewriter, loc, index, parallel.getStep()[d]));
    }

    // The loop body, then whatever nests it holds, sequentially.
    Block *loopBody = parallel.getBody();
    rewriter.eraseOp(loopBody->getTerminator());
    rewriter.inlineBlockBefore(loopBody, guard.thenBlock(),
                               guard.thenBlock()->getTerminator()->getIterator(),
                               ivs);
    rewriter.eraseOp(parallel);
    if (failed(sequentialize(rewriter, launchOp.getBody())) ||
        failed(privatizeAllocations(rewriter, launchOp)))
      return failure();
    sinkIntoLaunch(launchOp);
    return success();
  }
};

} // namespace
