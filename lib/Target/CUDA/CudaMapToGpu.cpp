//===- CudaMapToGpu.cpp - Top-level loop nests to gpu.launch --------------===//
//
// The generic mapping: one thread per output element for every top-level
// op; one block per tile for loop nests that carry their own tiles (one
// thread per tile when the tile's scratch does not fit in shared memory).
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

/// Moves `parallel`'s body before `dest`'s terminator (or end) with `ivs`
/// for its induction variables, and erases the loop.
void inlineParallelBody(RewriterBase &rewriter, scf::ParallelOp parallel,
                        Block *dest, ValueRange ivs) {
  Block *body = parallel.getBody();
  rewriter.eraseOp(body->getTerminator());
  Block::iterator at =
      dest->mightHaveTerminator() ? dest->getTerminator()->getIterator()
                                  : dest->end();
  rewriter.inlineBlockBefore(body, dest, at, ivs);
  rewriter.eraseOp(parallel);
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
    SmallVector<Value> ivs;
    for (scf::ForOp loop : nest.loops)
      ivs.push_back(loop.getInductionVar());
    inlineParallelBody(rewriter, parallel, nest.loops.back().getBody(), ivs);
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

/// Shared memory a block may use without opting in.
constexpr int64_t kStaticSharedBytes = 48 * 1024;

/// Whether one block of threads can run `body` together: its loop nests are
/// linalg ops (each becomes a thread-strided loop followed by a barrier),
/// nothing else writes memory, and its scratch buffers fit in shared memory
/// (they are used by linalg ops and copies only, which take any memory
/// space). Otherwise the body runs in one thread.
bool canShareTiles(Block &body) {
  int64_t sharedBytes = 0;
  WalkResult walk = body.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      return linalgOp.getNumLoops() == 0 ? WalkResult::interrupt()
                                         : WalkResult::skip();
    if (isa<scf::ParallelOp, scf::ForallOp>(op))
      return WalkResult::interrupt();
    // A barrier must be reached by every thread: no linalg op under a
    // condition.
    if (isa<scf::IfOp, scf::WhileOp, scf::IndexSwitchOp>(op)) {
      bool guarded = false;
      op->walk([&](linalg::LinalgOp) { guarded = true; });
      if (guarded)
        return WalkResult::interrupt();
    }
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity())
        return WalkResult::interrupt();
      for (Operation *user : alloc->getUsers())
        if (!isa<linalg::LinalgOp, memref::CopyOp, memref::DeallocOp>(user))
          return WalkResult::interrupt();
      sharedBytes +=
          type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
      return WalkResult::advance();
    }
    if (isa<memref::CopyOp, memref::DeallocOp>(op))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (effects && effects.hasEffect<MemoryEffects::Write>())
      return WalkResult::interrupt();
    if (!effects && !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
        op->getNumRegions() == 0 && !op->hasTrait<OpTrait::IsTerminator>())
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !walk.wasInterrupted() && sharedBytes <= kStaticSharedBytes;
}

/// The trip counts of `parallel`'s dimensions and their product.
Value getTripCounts(OpBuilder &b, Location loc, scf::ParallelOp parallel,
                    SmallVectorImpl<Value> &counts) {
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (auto [lb, ub, step] :
       llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                 parallel.getStep())) {
    Value span = arith::SubIOp::create(b, loc, ub, lb);
    Value count = arith::CeilDivUIOp::create(b, loc, span, step);
    counts.push_back(count);
    total = arith::MulIOp::create(b, loc, total, count);
  }
  return total;
}

/// `parallel`'s induction values for iteration `linear` of its row-major
/// linearized space.
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               scf::ParallelOp parallel,
                               ArrayRef<Value> counts) {
  SmallVector<Value> ivs(counts.size());
  Value rest = linear;
  for (int64_t d = counts.size() - 1; d >= 0; --d) {
    Value index = rest;
    if (d > 0) {
      index = arith::RemUIOp::create(b, loc, rest, counts[d]);
      rest = arith::DivUIOp::create(b, loc, rest, counts[d]);
    }
    ivs[d] = arith::AddIOp::create(
        b, loc, parallel.getLowerBound()[d],
        arith::MulIOp::create(b, loc, index, parallel.getStep()[d]));
  }
  return ivs;
}

/// `linalgOp` run by the block's threads together: its parallel loop
/// strided over the thread index (reductions stay sequential within a
/// thread; an op without parallel dimensions runs in thread 0), then a
/// barrier, since the next op may read what this one wrote.
LogicalResult distributeOverThreads(RewriterBase &rewriter,
                                    linalg::LinalgOp linalgOp,
                                    gpu::LaunchOp launch) {
  Location loc = linalgOp.getLoc();
  if (auto generic = dyn_cast<linalg::GenericOp>(linalgOp.getOperation()))
    if (failed(moveReductionsInnermost(rewriter, generic)))
      return failure();
  rewriter.setInsertionPoint(linalgOp);
  FailureOr<linalg::LinalgLoops> loops =
      linalg::linalgOpToParallelLoops(rewriter, linalgOp);
  if (failed(loops) || loops->empty())
    return linalgOp.emitOpError("cannot be distributed over GPU threads");
  rewriter.eraseOp(linalgOp);
  Operation *outer = loops->front();
  Value thread = launch.getThreadIds().x;
  rewriter.setInsertionPoint(outer);
  if (auto parallel = dyn_cast<scf::ParallelOp>(outer)) {
    SmallVector<Value> counts;
    Value total = getTripCounts(rewriter, loc, parallel, counts);
    auto strided = scf::ForOp::create(rewriter, loc, thread, total,
                                      launch.getBlockSizeX());
    rewriter.setInsertionPointToStart(strided.getBody());
    SmallVector<Value> ivs = delinearize(
        rewriter, loc, strided.getInductionVar(), parallel, counts);
    inlineParallelBody(rewriter, parallel, strided.getBody(), ivs);
    rewriter.setInsertionPointAfter(strided);
  } else {
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value first = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        thread, zero);
    auto only = scf::IfOp::create(rewriter, loc, first);
    rewriter.moveOpBefore(outer, only.thenBlock()->getTerminator());
    rewriter.setInsertionPointAfter(only);
  }
  gpu::BarrierOp::create(rewriter, loc);
  return success();
}

/// Copies as linalg.copy, so that they become loops like every other op
/// (a copy may read a constant the host holds; kernels get their own).
void copiesToLinalg(RewriterBase &rewriter, Region &region) {
  SmallVector<memref::CopyOp> copies;
  region.walk([&](memref::CopyOp op) { copies.push_back(op); });
  for (memref::CopyOp copy : copies) {
    rewriter.setInsertionPoint(copy);
    linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                           copy.getTarget());
    rewriter.eraseOp(copy);
  }
}

/// Runs the tile nest inlined into `launch` with the whole block: scratch
/// buffers in shared memory, every linalg op (copies included) strided
/// over the threads with a barrier after it.
LogicalResult shareTiles(RewriterBase &rewriter, gpu::LaunchOp launch) {
  MLIRContext *ctx = rewriter.getContext();
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  SmallVector<memref::AllocOp> allocs;
  launch.getBody().walk([&](memref::AllocOp op) { allocs.push_back(op); });
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    auto shared = MemRefType::get(type.getShape(), type.getElementType(),
                                  MemRefLayoutAttrInterface(), workgroup);
    Value buffer = launch.addWorkgroupAttribution(shared, alloc.getLoc());
    // Linalg ops and copies take buffers of any memory space.
    alloc.getResult().replaceAllUsesWith(buffer);
    rewriter.eraseOp(alloc);
  }
  SmallVector<Operation *> frees;
  launch.getBody().walk([&](memref::DeallocOp op) { frees.push_back(op); });
  for (Operation *op : frees)
    rewriter.eraseOp(op);
  copiesToLinalg(rewriter, launch.getBody());
  SmallVector<linalg::LinalgOp> ops;
  launch.getBody().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  for (linalg::LinalgOp op : ops)
    if (failed(distributeOverThreads(rewriter, op, launch)))
      return failure();
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

/// The location a kernel made of `op` carries: `op`'s own first, then
/// those of the linalg ops nested in it (the ops a fused nest computes), so
/// that the kernel can be traced back to every model op it runs. Fills are
/// left out: CSE shares one fill among many ops, under the first one's
/// location.
Location getKernelLocation(Operation *op) {
  SmallVector<Location> locs{op->getLoc()};
  op->walk([&](linalg::LinalgOp nested) {
    if (nested.getOperation() != op && !isa<linalg::FillOp>(nested))
      locs.push_back(nested.getLoc());
  });
  return FusedLoc::get(op->getContext(), locs);
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

    // 1. Top-level linalg ops (copies included) and foralls become
    //    parallel loops.
    copiesToLinalg(rewriter, func.getBody());
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (failed(moveReductionsInnermost(rewriter, generic)))
          return signalPassFailure();
    }
    for (Operation &op : llvm::make_early_inc_range(body)) {
      rewriter.setInsertionPoint(&op);
      Location loc = getKernelLocation(&op);
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        FailureOr<linalg::LinalgLoops> loops =
            linalg::linalgOpToParallelLoops(rewriter, linalgOp);
        if (failed(loops)) {
          op.emitOpError("cannot be lowered to parallel loops for the GPU");
          return signalPassFailure();
        }
        if (!loops->empty())
          loops->front()->setLoc(loc);
        rewriter.eraseOp(&op);
      } else if (auto forall = dyn_cast<scf::ForallOp>(op)) {
        scf::ParallelOp parallel;
        if (failed(scf::forallToParallelLoop(rewriter, forall, &parallel))) {
          op.emitOpError("cannot be lowered to parallel loops for the GPU");
          return signalPassFailure();
        }
        parallel->setLoc(loc);
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

    // A body holding loop nests of its own (tiles) gets one block per
    // iteration when its threads can share the tile; anything else one
    // thread per iteration.
    bool nests = false;
    parallel.getBody()->walk([&](Operation *op) {
      nests |= isa<linalg::LinalgOp, scf::ParallelOp, scf::ForallOp>(op);
    });
    bool shared = nests && canShareTiles(*parallel.getBody());

    SmallVector<Value> counts;
    Value total = getTripCounts(rewriter, loc, parallel, counts);
    Value threads = constant(threadsPerBlock);
    Value one = constant(1);
    Value blocks = shared ? total
                          : arith::CeilDivUIOp::create(rewriter, loc, total,
                                                       threads);
    auto launchOp = gpu::LaunchOp::create(rewriter, loc, blocks, one, one,
                                          threads, one, one);
    Block &entry = launchOp.getBody().front();
    rewriter.setInsertionPointToStart(&entry);
    gpu::TerminatorOp terminator = gpu::TerminatorOp::create(rewriter, loc);
    rewriter.setInsertionPoint(terminator);

    if (shared) {
      // The iteration is the block; its threads share the body.
      SmallVector<Value> ivs = delinearize(
          rewriter, loc, launchOp.getBlockIds().x, parallel, counts);
      inlineParallelBody(rewriter, parallel, &entry, ivs);
      if (failed(shareTiles(rewriter, launchOp)))
        return failure();
      sinkIntoLaunch(launchOp);
      return success();
    }

    // The linear index, a bounds check, the indices, the body; whatever
    // nests it holds run sequentially in the thread.
    Value linear = arith::AddIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, launchOp.getBlockIds().x,
                              launchOp.getBlockSizeX()),
        launchOp.getThreadIds().x);
    Value inRange = arith::CmpIOp::create(rewriter, loc,
                                          arith::CmpIPredicate::ult, linear,
                                          total);
    auto guard = scf::IfOp::create(rewriter, loc, inRange);
    rewriter.setInsertionPointToStart(guard.thenBlock());
    SmallVector<Value> ivs =
        delinearize(rewriter, loc, linear, parallel, counts);
    inlineParallelBody(rewriter, parallel, guard.thenBlock(), ivs);
    if (failed(sequentialize(rewriter, launchOp.getBody())) ||
        failed(privatizeAllocations(rewriter, launchOp)))
      return failure();
    sinkIntoLaunch(launchOp);
    return success();
  }
};

} // namespace
