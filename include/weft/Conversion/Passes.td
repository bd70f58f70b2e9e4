//===- Passes.td - Weft conversion passes ---------------------*- tablegen -*-===//
//
// Passes that move a program from one dialect to another.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CONVERSION_PASSES
#define WEFT_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def XfLowerToLinalg : Pass<"xf-lower-to-linalg"> {
  let summary = "Lower xf ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every `xf` op other than `xf.attention` into upstream ops on the
    same static tensors:

    * `xf.add`, `xf.mul`, `xf.gelu` (erf or tanh form), `xf.silu`: one
      elementwise `linalg.generic` each, broadcasting by indexing maps.
    * `xf.layer_norm`: a row sum for the mean, a second pass for the
      centred variance, then one elementwise map; `xf.rms_norm`: a row sum
      of squares, then a map. `xf.softmax`: a row maximum, a sum of
      `exp(x - max)`, then the quotient.
    * `xf.embedding`: a `linalg.generic` over the result reading the table
      with `tensor.extract` at the (clamped) id.
    * `xf.rope`: a `linalg.generic` computing each feature from itself and
      its pair partner at angle `position * theta^(-2i/D)`.
    * `xf.linear`, `xf.matmul`: contractions into a zero-filled accumulator,
      a bias or rounding map after; leading dimensions of `xf.linear` are
      collapsed into rows.
    * `xf.reshape`, `xf.split`, `xf.concat`, `xf.transpose`:
      `tensor.collapse_shape`/`expand_shape`, `extract_slice`,
      `insert_slice`, `linalg.transpose`.

    `f16` and `bf16` ops compute and accumulate in `f32` and round once.
    `xf.attention` must already be lowered (`xf-lower-attention`).

    Before:
    ```mlir
    %y = xf.silu %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4x8xf32>
    %y = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %n = arith.negf %in : f32
      %ex = math.exp %n : f32
      %d = arith.addf %cst_1, %ex : f32
      %r = arith.divf %in, %d : f32
      linalg.yield %r : f32
    } -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect"
  ];
}


def ConvertMeshToRuntime : Pass<"convert-mesh-to-runtime", "mlir::ModuleOp"> {
  let summary = "Lower mesh collectives to calls through the runtime's collective table";
  let description = [{
    Turns a partitioned (SPMD) program into one that communicates through
    the runtime (docs/artifact.md, "Entry ABI"). Every function that holds a
    `mesh` op gains a last argument, `!llvm.ptr`, the
    `weft_collective_table_t` the runtime passes to the entry point:

    * `mesh.process_index` reads this device's coordinates from the table
      and combines them row-major over the listed axes, with the mesh's
      sizes known at compile time.
    * Each collective (`all_reduce`, `all_gather`, `reduce_scatter`,
      `all_to_all`, `broadcast`, `send`, `recv`) reads its operand as a
      buffer (`bufferization.to_buffer`), allocates its result, and calls a
      private helper that calls the table's entry with the buffers' base
      pointers, the axes and the shape (constant globals), the dtype and
      the reduction. The result is the allocated buffer as a tensor
      (`bufferization.to_tensor restrict`), so one-shot bufferization and
      buffer deallocation treat it like any other allocation. Because the
      helper takes the buffers as operands, every later pass sees that the
      call reads the operand and writes the result.

    A failed collective leaves its status in the table's communicator; the
    runtime reports it when the entry returns (later collectives fail fast,
    so a failed run ends quickly). The mesh symbols are erased at the end:
    the manifest has recorded the mesh by then. The pass runs on tensors,
    before bufferization; it refuses `mesh.shard` (run `xf-partition`
    first), element types the runtime cannot move, and mesh ops outside
    public functions (only entry points receive the table).

    Before:
    ```mlir
    %r = mesh.all_reduce %y on @mesh mesh_axes = [0]
        : tensor<8x64xf32> -> tensor<8x64xf32>
    ```
    After:
    ```mlir
    %b = bufferization.to_buffer %y read_only : tensor<8x64xf32> to memref<8x64xf32>
    %o = memref.alloc() {alignment = 64 : i64} : memref<8x64xf32>
    call @__weft_all_reduce_0(%table, %b, %o)
        : (!llvm.ptr, memref<8x64xf32>, memref<8x64xf32>) -> ()
    %r = bufferization.to_tensor %o restrict writable : memref<8x64xf32> to tensor<8x64xf32>
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect"
  ];
}

#endif // WEFT_CONVERSION_PASSES
