//===- Passes.td - Target-independent Weft transformations -*- tablegen -*-===//
//
// Passes on linalg on tensors shared by the targets.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TRANSFORMS_PASSES
#define WEFT_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def FuseRows : Pass<"weft-fuse-rows", "mlir::func::FuncOp"> {
  let summary = "Group row reductions and the elementwise ops around them into one loop nest over row tiles";
  let description = [{
    A layer norm, an RMS norm or a softmax lowers to several linalg ops that
    walk the same rows: reductions over the last dimension (sum, sum of
    squares, maximum) and elementwise maps before and after them (the
    residual add that feeds the norm, the mean from the sum, the quotient of
    a softmax). Run one by one, each op is a pass over memory (a kernel on
    a GPU). This pass tiles such a chain along its rows into one
    `scf.forall` whose body computes a tile of rows through the whole chain,
    the producers fused into the consumer's tile with upstream's
    tile-and-fuse (`scf::tileConsumerAndFuseProducersUsingSCF`).

    Row ops are the function's top-level linalg ops on tensors whose loops
    are parallel ones followed by reductions, whose indexing maps are
    projected permutations, whose results are indexed by the parallel loops
    in order, and whose reductions read only whole rows (an operand that a
    reduction loop indexes is indexed by every parallel loop too). That
    excludes contractions (a weight shared by all rows): matmuls, linear
    layers and anything fused into them stay out of the groups, as do the
    attention nest and ops inside other loops.

    Groups are formed from the last op backwards. A row op becomes the root
    of a group; its rows are its parallel loops (all but the last for an
    elementwise root). Row-op producers join when they share those leading
    rows (same extents, read row for row) and when every other use of their
    results comes after the root, where the loop nest yields their tile for
    those uses (so nothing is computed twice). Fills join always: they are
    recomputed per tile. A group without a reduction is left alone
    (elementwise fusion has already merged plain maps).

    Each tile holds `tile-rows` rows of the innermost row dimension (the
    largest divisor of its extent not above that, so that tiles are whole
    and shapes static) or fewer while the tile's scratch (the results
    consumed only inside it) would exceed `max-scratch-bytes`; a GPU block
    then keeps the scratch in shared memory and its threads share the tile.

    Before (a layer norm's statistics after a residual add; the normalize
    step went into the next linear layer):
    ```mlir
    %x = linalg.generic {"parallel", "parallel"} ins(%a, %b) outs(%e) { addf }
    %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64xf32>) -> tensor<64xf32>
    %s = linalg.generic {"parallel", "reduction"} ins(%x) outs(%f) { addf }
    %m = linalg.generic {"parallel"} ins(%s) outs(%e1) { divf }
    %v = linalg.generic {"parallel", "reduction"} ins(%x, %m) outs(%f) { subf, mulf, addf }
    // %x, %m, %v used by the linear layer after
    ```
    After (`tile-rows=16`):
    ```mlir
    %r:3 = scf.forall (%i) = (0) to (64) step (16)
        shared_outs(%ov = %f, %ox = %e, %om = %e1) {
      %xt = linalg.generic ... -> tensor<16x128xf32>
      %ft = linalg.fill ... -> tensor<16xf32>
      %st = linalg.generic ... outs(%ft) -> tensor<16xf32>
      %mt = linalg.generic ... -> tensor<16xf32>
      %vt = linalg.generic ... -> tensor<16xf32>
      scf.forall.in_parallel {
        tensor.parallel_insert_slice %vt into %ov[%i] [16] [1]
        tensor.parallel_insert_slice %xt into %ox[%i, 0] [16, 128] [1, 1]
        tensor.parallel_insert_slice %mt into %om[%i] [16] [1]
      }
    } {mapping = [#gpu.block<linear_dim_0>]}
    ```
    The loop is mapped (one tile, one unit of parallel work: a GPU block),
    which also keeps canonicalization from inlining a loop of one tile; the
    CPU's lowering ignores the mapping.
  }];
  let options = [
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"32",
           "rows of the innermost row dimension per tile (at most)">,
    Option<"maxScratchBytes", "max-scratch-bytes", "int64_t",
           /*default=*/"49152",
           "bytes of intermediate results a tile may hold">,
  ];
  let statistics = [
    Statistic<"numGroups", "groups", "loop nests formed">,
    Statistic<"numFusedOps", "fused-ops", "linalg ops moved into them">,
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::gpu::GPUDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"
  ];
}

#endif // WEFT_TRANSFORMS_PASSES
