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
