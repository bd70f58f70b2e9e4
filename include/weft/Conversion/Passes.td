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

#endif // WEFT_CONVERSION_PASSES
