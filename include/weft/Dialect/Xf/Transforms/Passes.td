//===- Passes.td - xf transformation passes -------------------*- tablegen -*-===//
//
// Passes that rewrite xf programs.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_TRANSFORMS_PASSES
#define WEFT_DIALECT_XF_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def XfLowerAttention : Pass<"xf-lower-attention"> {
  let summary = "Lower xf.attention to a tiled online-softmax loop nest";
  let description = [{
    Rewrites each `xf.attention` into the FlashAttention-2 loop nest on
    tensors, never forming the `[Sq, Skv]` score matrix:

    1. Query and key/value sequences are padded up to whole blocks
       (`block-q` rows, `block-kv` keys; each clamped to its sequence
       length). Padded keys are masked out and padded query rows dropped.
    2. An `scf.forall` over (batch, query head, query block) runs the blocks
       in parallel; query head `h` reads key/value head `h / (Hq / Hkv)`.
    3. Inside, the query tile is scaled once, and an `scf.for` over key
       blocks carries the running row maximum `m`, running sum `l` and
       output accumulator `O`: per block `S = Q·Kᵀ`, masked;
       `m' = max(m, rowmax S)`; `P = exp(S - m')`;
       `l' = l·exp(m - m') + rowsum P`; `O' = O·exp(m - m') + P·V`.
       With `causal`, the loop stops after the last block a row of this
       query block can see, so blocks above the diagonal are never visited;
       the diagonal block is masked elementwise.
    4. The tile `O / l` (zero for a row that sees no key) is rounded to the
       element type and inserted into the result.

    `f16`/`bf16` inputs compute in `f32`. The block sizes bound the working
    set of one iteration: `block-q x block-kv` scores plus the tiles.

    Before:
    ```mlir
    %o = xf.attention %q, %k, %v causal
        : (tensor<1x100x8x64xf32>, tensor<1x100x8x64xf32>, tensor<1x100x8x64xf32>)
          -> tensor<1x100x8x64xf32>
    ```
    After (`block-q=64 block-kv=64`, abridged):
    ```mlir
    %qp = tensor.pad %q low[0, 0, 0, 0] high[0, 28, 0, 0] ...
    %r = scf.forall (%b, %h, %qb) in (1, 8, 2) shared_outs(%out = %init) {
      %qt = tensor.extract_slice %qp[%b, %q0, %h, 0] [1, 64, 1, 64] [1, 1, 1, 1]
      %n = ... // key blocks this query block can see
      %m, %l, %acc = scf.for %kb = %c0 to %n step %c1 iter_args(...) {
        %s = linalg.generic ... // 64x64 scores of this block
        ...
      }
      scf.forall.in_parallel {
        tensor.parallel_insert_slice %tile into %out[%b, %q0, %h, 0] ...
      }
    }
    %o = tensor.extract_slice %r[0, 0, 0, 0] [1, 100, 8, 64] [1, 1, 1, 1]
    ```
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "query rows per block (clamped to the query length)">,
    Option<"blockKv", "block-kv", "int64_t", /*default=*/"64",
           "keys per block (clamped to the key length)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def XfSplitFusedProjections : Pass<"xf-split-fused-projections"> {
  let summary = "Give each piece of a split linear output its own linear layer";
  let description = [{
    A linear layer whose output is split along its features (GPT-2's fused
    query/key/value projection) becomes one linear layer per piece, reading
    the matching columns of the weight and bias. The result is the same; the
    difference is for sharding: split over a mesh by output features, each
    piece keeps its own column split (each device holds the same heads of
    queries, keys and values), where the fused output would have to be
    gathered before it could be split. `xf-auto-shard` applies this rewrite
    before planning.

    Before:
    ```mlir
    %qkv = xf.linear %x, %w, %b
        : (tensor<1x16x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<1x16x192xf32>
    %q, %k, %v = xf.split %qkv dim = 2
        : tensor<1x16x192xf32> -> tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
    ```
    After:
    ```mlir
    %wq, %wk, %wv = xf.split %w dim = 1
        : tensor<64x192xf32> -> tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
    %bq, %bk, %bv = xf.split %b dim = 0
        : tensor<192xf32> -> tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
    %q = xf.linear %x, %wq, %bq : (tensor<1x16x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<1x16x64xf32>
    %k = xf.linear %x, %wk, %bk : ...
    %v = xf.linear %x, %wv, %bv : ...
    ```
  }];
}

def XfAutoShard : Pass<"xf-auto-shard", "mlir::ModuleOp"> {
  let summary = "Choose a sharding for every value by solving an ILP over a cost model";
  let description = [{
    Decides how every op of each function is split over a device mesh and
    writes the decision as `mesh.shard` annotations:

    0. Fused projections are split first (`xf-split-fused-projections`).
       Ops computing on weights and constants alone run when the weights
       are loaded; they get no strategy of their own.
    1. The mesh is `mesh` (a preset such as `8xH100-NVLink`, added to the
       module as `mesh.mesh @mesh`, or the symbol of a `mesh.mesh` already
       there); without the option the module's only mesh is used. The mesh
       must describe its hardware (device, one link per axis).
    2. Every op lists its strategies through `ShardingStrategyOpInterface`
       (data, sequence, head, column/row and vocabulary parallel, replicated,
       and their combinations over the mesh axes). `mesh.shard` annotations
       already present narrow the choice to the annotated sharding.
    3. The cost model prices each strategy (roofline compute, its own
       collectives), the resharding of every edge (alpha-beta collectives per
       mesh axis) and memory (parameters plus the peak of live activations).
    4. Followers (normalizations, activations, reshapes) merge into their
       producer; identical transformer blocks share one strategy set unless
       `tie-layers=false`.
    5. COIN-OR CBC solves the ILP within `time-limit` seconds under the
       per-device `memory-budget` (default: the device's capacity). With no
       feasible plan the pass fails and states the least memory any plan
       needs.
    6. Each op result gets `mesh.shard ... ` as produced; each use that
       needs another sharding, and each use of an argument or constant, gets
       `mesh.shard ... annotate_for_users`. Function results are gathered
       whole.

    `plan-report=<file>` writes the plan as JSON (solver status, gap, times,
    per op and per layer strategy, compute, communication and memory);
    `plan-summary=<file>` (`-` for standard output) writes it as a table.

    Before (the user fixes the first weight's layout; 2048 tokens):
    ```mlir
    mesh.mesh @mesh(preset = "4xH100-NVLink")
    func.func @mlp(%x: tensor<2048x1024xf32>, %w1: tensor<1024x4096xf32>,
                   %w2: tensor<4096x1024xf32>) -> tensor<2048x1024xf32> {
      %w1s = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
      %h = xf.linear %x, %w1s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
      %y = xf.linear %h, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
      return %y : tensor<2048x1024xf32>
    }
    ```
    After `--xf-auto-shard` (Megatron: w2 by rows, one all-reduce of the
    partial result):
    ```mlir
    %0 = mesh.shard %x to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
    %1 = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
    %h = xf.linear %0, %1 : ...
    %2 = mesh.shard %h to <@mesh, [[], [0]]> : tensor<2048x4096xf32>
    %3 = mesh.shard %w2 to <@mesh, [[0]]> annotate_for_users : tensor<4096x1024xf32>
    %y = xf.linear %2, %3 : ...
    %4 = mesh.shard %y to <@mesh, [], partial = sum[0]> : tensor<2048x1024xf32>
    %5 = mesh.shard %4 to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
    return %5 : tensor<2048x1024xf32>
    ```
    Without the annotation the same graph is data parallel (rows split,
    weights whole), and at 8 tokens entirely replicated: collectives cost
    more than the work they would share.
  }];
  let options = [
    Option<"meshName", "mesh", "std::string", /*default=*/"\"\"",
           "mesh preset (e.g. 8xH100-NVLink, 2x8xH100-IB) or mesh symbol">,
    Option<"memoryBudget", "memory-budget", "std::string", /*default=*/"\"\"",
           "per-device memory bound: bytes, or a number with KiB/MiB/GiB/TiB "
           "(default: the device's capacity)">,
    Option<"timeLimit", "time-limit", "double", /*default=*/"10.0",
           "solver time limit in seconds">,
    Option<"tieLayers", "tie-layers", "bool", /*default=*/"true",
           "give identical transformer blocks one strategy set">,
    Option<"planReport", "plan-report", "std::string", /*default=*/"\"\"",
           "write the plan as JSON to this file">,
    Option<"planSummary", "plan-summary", "std::string", /*default=*/"\"\"",
           "write a readable plan summary to this file ('-': stdout)">
  ];
  let dependentDialects = ["weft::mesh::MeshDialect"];
}

def XfPartition : Pass<"xf-partition", "mlir::ModuleOp"> {
  let summary = "Rewrite a sharded graph into the program each device runs";
  let description = [{
    Takes a module whose values carry `mesh.shard` annotations (every op
    result annotated as produced, and each use that needs another layout
    annotated for its users, as `xf-auto-shard` writes them; run it first to
    fill in what a user left unannotated) and rewrites each function into
    its SPMD form:

    1. Arguments take the least split layout all their uses share, recorded
       as `mesh.sharding` on the argument (the runtime reads that slice of a
       weight or input); their type becomes the local slice.
    2. Each op runs on its slices with local result types, after checking
       that its operand and result shardings form one of its strategies.
       A row-parallel linear layer adds `1/n` of its bias on each device, so
       that the reduction adds it once.
    3. Each annotation that changes a sharding becomes collectives, in the
       order the cost model prices them: local slices
       (`tensor.extract_slice` at `mesh.process_index` times the block),
       `mesh.reduce_scatter` of partial sums the target splits,
       `mesh.all_reduce` of the others, `mesh.all_to_all` for a split moving
       to another dimension, `mesh.all_gather` for splits removed. Where a
       dimension is split over several axes, axes are added outermost first
       and removed innermost first.
    4. Results are gathered whole; the annotations disappear.

    Causal attention split over queries gets its device's diagonal as
    `causal_offset`; grouped-query attention split finer than its key/value
    heads takes each device's head from the whole keys and values.

    A vocabulary-parallel lookup shifts the ids by its device's first row,
    looks up the ids it owns (row 0 for the others) and selects zeros for
    the rows of ids it does not own; RoPE split over the sequence gets positions from
    its block's start.

    A normalization over a split width becomes row sums of each device's
    slice, all-reduced over the devices holding the others (for the mean,
    then for the centred variance), and the elementwise normalization.

    Splits that do not divide a dimension evenly are rejected with the
    dimension, its size and the device count.

    Before:
    ```mlir
    %0 = mesh.shard %x to <@mesh, []> annotate_for_users : tensor<8x1024xf32>
    %1 = mesh.shard %w2 to <@mesh, [[0]]> annotate_for_users : tensor<4096x1024xf32>
    %2 = mesh.shard %h to <@mesh, [[], [0]]> : tensor<8x4096xf32>
    %y = xf.linear %2, %1 : (tensor<8x4096xf32>, tensor<4096x1024xf32>) -> tensor<8x1024xf32>
    %3 = mesh.shard %y to <@mesh, [], partial = sum[0]> : tensor<8x1024xf32>
    %4 = mesh.shard %3 to <@mesh, []> annotate_for_users : tensor<8x1024xf32>
    return %4 : tensor<8x1024xf32>
    ```
    After (4 devices):
    ```mlir
    %y = xf.linear %h, %w2 : (tensor<8x1024xf32>, tensor<1024x1024xf32>) -> tensor<8x1024xf32>
    %0 = mesh.all_reduce %y on @mesh mesh_axes = [0] : tensor<8x1024xf32> -> tensor<8x1024xf32>
    return %0 : tensor<8x1024xf32>
    ```
  }];
  let dependentDialects = ["weft::mesh::MeshDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect",
                           "mlir::tensor::TensorDialect"];
}

def XfSimulateSpmd : Pass<"xf-simulate-spmd", "mlir::ModuleOp"> {
  let summary = "Compute every device's partitioned program on one device";
  let description = [{
    Turns the output of `xf-partition` for a mesh of N devices into one
    function that runs all N devices' programs side by side and carries out
    their collectives with ordinary tensor ops: an all-reduce sums the
    group's values (`xf.add`), an all-gather concatenates them
    (`xf.concat`), a reduce-scatter sums and slices, an all-to-all slices
    and concatenates; `mesh.process_index` becomes each device's constant.
    Arguments become whole tensors again (each device's slice is cut from
    them by its `mesh.sharding`), and the results are device 0's, which a
    partitioned program gathers whole. Sums only; no broadcast or
    send/recv.

    This checks a partition on one machine: compile the simulated module
    and compare it with the unpartitioned one (python/tests/test_partition.py
    does for GPT-2 and Llama on 2, 4 and 2×2 meshes). It is not a way to
    run fast: the work is N times the program's.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
}

def XfDropShardings : Pass<"xf-drop-shardings", "mlir::ModuleOp"> {
  let summary = "Forget sharding hints to compile a program for one device";
  let description = [{
    A graph written for a mesh still describes the whole computation: its
    `mesh.shard` ops only say how values would be distributed. For a
    single-device target this pass replaces each `mesh.shard` by its
    operand and erases the `mesh.mesh` symbols. A program that already
    contains collectives is partitioned; it is rejected, since dropping the
    mesh would change its meaning.

    Before:
    ```mlir
    mesh.mesh @node(preset = "8xH100-NVLink")
    %w_s = mesh.shard %w to <@node, [[], [0]]> annotate_for_users : tensor<768x3072xf32>
    %y = xf.linear %x, %w_s : ...
    ```
    After:
    ```mlir
    %y = xf.linear %x, %w : ...
    ```
  }];
}

#endif // WEFT_DIALECT_XF_TRANSFORMS_PASSES
