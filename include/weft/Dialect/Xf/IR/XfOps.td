//===- XfOps.td - Operations of the xf dialect -------------*- tablegen -*-===//
//
// Every op of the transformer-graph dialect. Descriptions state layouts and
// semantics exactly: they are the dialect reference in docs/Dialects/Xf.md.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_IR_XFOPS_TD
#define WEFT_DIALECT_XF_IR_XFOPS_TD

include "weft/Dialect/Xf/IR/XfBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Ops whose result type follows from their operands and attributes. The
// shape rules live in one place, `inferReturnTypes`; `verify` reports
// operand errors from the same code and then compares the declared result.
class Xf_InferredOp<string mnemonic, list<Trait> traits = []>
    : Xf_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Embedding and linear algebra
//===----------------------------------------------------------------------===//

def Xf_EmbeddingOp : Xf_InferredOp<"embedding"> {
  let summary = "Gathers rows of an embedding table";
  let description = [{
    Looks up one row of `table` (`[V, D]`: vocabulary, width) per index in
    `ids` (any rank, `i32` or `i64`). The result has the shape of `ids` followed by
    `D`: for token ids `[B, S]` it is `[B, S, D]`. Indices must lie in `[0, V)`:
    `weft-compile` records `V` as the argument's `index_bound` when `ids` is
    an entry argument, and the runtime rejects an input outside it before
    running; the CPU lowering also clamps each index into the table.

    ```mlir
    %h = xf.embedding %wte[%ids]
        : (tensor<50257x768xf32>, tensor<1x128xi32>) -> tensor<1x128x768xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$table, Xf_IndexTensor:$ids);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_LinearOp : Xf_InferredOp<"linear"> {
  let summary = "Affine map x · W + b over the last dimension";
  let description = [{
    Computes `result[..., n] = sum_k input[..., k] * weight[k, n] + bias[n]`.
    `input` is `[..., K]` (any leading dimensions, typically `[B, S, K]`),
    `weight` is `[K, N]` (in features, out features) and the optional `bias`
    is `[N]`. The result is `[..., N]`. All three share one element type.

    This is the unit the auto-sharder splits Megatron-style: along `N`
    (column parallel) or along `K` (row parallel, leaving a partial sum).

    ```mlir
    %y = xf.linear %x, %w, %b
        : (tensor<2x16x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>)
          -> tensor<2x16x3072xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input, Xf_FloatTensor:$weight,
                       Optional<Xf_FloatTensor>:$bias);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_MatmulOp : Xf_InferredOp<"matmul"> {
  let summary = "Batched matrix product";
  let description = [{
    Multiplies the two innermost dimensions of `lhs` (`[..., M, K]`) and `rhs`
    (`[..., K, N]`, or `[..., N, K]` when `transpose_rhs` is set), batched
    over the leading dimensions, which must be equal in both operands. The
    result is `[..., M, N]`. Both operands have rank at least 2 and the same
    rank and element type.

    `transpose_rhs` expresses `Q · Kᵀ` without a separate transpose.

    ```mlir
    %s = xf.matmul %q, %k transpose_rhs
        : (tensor<2x12x16x64xf32>, tensor<2x12x16x64xf32>) -> tensor<2x12x16x16xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$lhs, Xf_FloatTensor:$rhs,
                       UnitAttr:$transpose_rhs);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_rhs` $transpose_rhs^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalizations and activations
//===----------------------------------------------------------------------===//

def Xf_LayerNormOp : Xf_InferredOp<"layer_norm"> {
  let summary = "Layer normalization over the last dimension";
  let description = [{
    With `D` the last dimension of `input` and mean and variance (biased,
    divided by `D`) taken over it:
    `result = (input - mean) / sqrt(var + epsilon) * gamma + beta`.
    `gamma` and `beta` are `[D]`; `epsilon` is positive and finite. The
    result has the input's type.

    ```mlir
    %n = xf.layer_norm %x, %g, %b epsilon = 1.0e-05
        : (tensor<2x16x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<2x16x768xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input, Xf_FloatTensor:$gamma,
                       Xf_FloatTensor:$beta,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `epsilon` `=` $epsilon attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_RmsNormOp : Xf_InferredOp<"rms_norm"> {
  let summary = "Root-mean-square normalization over the last dimension";
  let description = [{
    With `D` the last dimension of `input`:
    `result = input / sqrt(mean(input^2) + epsilon) * gamma`, the mean taken
    over the last dimension. `gamma` is `[D]`; `epsilon` is positive and
    finite. The result has the input's type.

    ```mlir
    %n = xf.rms_norm %x, %g epsilon = 1.0e-06
        : (tensor<1x32x4096xbf16>, tensor<4096xbf16>) -> tensor<1x32x4096xbf16>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input, Xf_FloatTensor:$gamma,
                       DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `epsilon` `=` $epsilon attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_SoftmaxOp : Xf_InferredOp<"softmax"> {
  let summary = "Softmax along one dimension";
  let description = [{
    `result = exp(input - max) / sum(exp(input - max))`, max and sum taken
    along dimension `dim` (`0 <= dim < rank`). The result has the input's type.

    ```mlir
    %p = xf.softmax %s dim = 3 : (tensor<2x12x16x16xf32>) -> tensor<2x12x16x16xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input, I64Attr:$dim);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dim` `=` $dim attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_GeluOp : Xf_InferredOp<"gelu"> {
  let summary = "Gaussian error linear unit";
  let description = [{
    Elementwise `x * Φ(x)`. With `approximate = none` (the default)
    `Φ(x) = (1 + erf(x / sqrt(2))) / 2`; with `approximate = tanh` (GPT-2's
    `gelu_new`) `Φ(x) = (1 + tanh(sqrt(2/π) · (x + 0.044715 x³))) / 2`.

    ```mlir
    %a = xf.gelu %h approximate = tanh : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input,
      DefaultValuedAttr<Xf_GeluApproximationAttr,
                        "::weft::xf::GeluApproximation::None">:$approximate);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximate` `=` `` $approximate^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_SiluOp : Xf_InferredOp<"silu"> {
  let summary = "Sigmoid linear unit (swish)";
  let description = [{
    Elementwise `x * sigmoid(x) = x / (1 + exp(-x))`, the gate activation of
    Llama's SwiGLU MLP.

    ```mlir
    %a = xf.silu %g : (tensor<1x32x11008xf32>) -> tensor<1x32x11008xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

class Xf_BroadcastingBinaryOp<string mnemonic, string formula>
    : Xf_InferredOp<mnemonic, [Commutative]> {
  let description = [{
    Elementwise `}] # formula # [{` with NumPy broadcasting: shapes are
    aligned at their last dimension, and each pair of sizes must be equal or
    one of them 1. The result has the broadcast shape and the operands'
    common element type. A residual connection is `[B, S, D]` with
    `[B, S, D]`; a learned position table `[S, D]` broadcasts over the batch.

    ```mlir
    %r = xf.}] # mnemonic # [{ %x, %y
        : (tensor<2x16x768xf32>, tensor<16x768xf32>) -> tensor<2x16x768xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$lhs, Xf_FloatTensor:$rhs);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_AddOp : Xf_BroadcastingBinaryOp<"add", "lhs + rhs"> {
  let summary = "Elementwise addition with broadcasting";
}

def Xf_MulOp : Xf_BroadcastingBinaryOp<"mul", "lhs * rhs"> {
  let summary = "Elementwise multiplication with broadcasting";
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Xf_RopeOp : Xf_InferredOp<"rope"> {
  let summary = "Rotary position embedding";
  let description = [{
    Rotates pairs of features of `input` (`[B, S, H, D]`, `D` even) by an
    angle proportional to the token's position: for pair index
    `i in [0, D/2)` the frequency is `theta^(-2i/D)` and the angle is
    `position · frequency`; `theta` is positive and finite.

    Pairs are `(i, i + D/2)` (the "rotate half" convention of GPT-NeoX and
    Hugging Face's Llama) unless `interleaved` is set, in which case they are
    `(2i, 2i + 1)` (GPT-J, Meta's original Llama). Positions are `0 .. S-1`
    unless `positions` (`[B, S]`, integer) gives them. The result has the
    input's type.

    ```mlir
    %qr = xf.rope %q theta = 1.0e+04
        : (tensor<1x32x32x128xf32>) -> tensor<1x32x32x128xf32>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$input, Optional<Xf_IndexTensor>:$positions,
                       DefaultValuedAttr<F64Attr, "10000.0">:$theta,
                       UnitAttr:$interleaved);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`positions` `(` $positions^ `)`)? `theta` `=` $theta
    (`interleaved` $interleaved^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Xf_AttentionOp : Xf_InferredOp<"attention"> {
  let summary = "Scaled dot-product attention, multi-head and grouped-query";
  let description = [{
    Operands: `query` `[B, Sq, Hq, D]`, `key` `[B, Skv, Hkv, D]` and `value`
    `[B, Skv, Hkv, Dv]`, one element type. The result is `[B, Sq, Hq, Dv]`:

    ```
    result[b, i, h, :] = softmax_j(scale · q[b, i, h, :] · k[b, j, g, :]) · v[b, :, g, :]
    ```

    with `g = h / (Hq / Hkv)`: `Hkv` must divide `Hq`. `Hkv == Hq` is
    multi-head attention, `Hkv < Hq` grouped-query attention (`Hkv == 1`:
    multi-query). Head counts and `D` are at least 1. `scale`, positive and
    finite, defaults to `1 / sqrt(D)`.

    With `causal`, query `i` sees keys `j <= i + (Skv - Sq)`: the mask is
    aligned to the bottom right, so that with a cache of earlier keys the last
    query sees every key. `Skv >= Sq` is then required. `causal_offset`
    (an `index`, only with `causal`) replaces `Skv - Sq`: query `i` sees keys
    `j <= i + causal_offset`. A device holding one block of a sequence's
    queries passes its block's start plus `Skv - Sq` of the whole sequence;
    a row that sees no key yields zeros.

    The op has no score tensor: lowering (`xf-lower-attention`) produces an
    online-softmax loop nest that never materializes `[Sq, Skv]`.

    ```mlir
    %o = xf.attention %q, %k, %v causal
        : (tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>)
          -> tensor<1x128x32x128xf16>
    %p = xf.attention %q2, %k, %v causal causal_offset(%start)
        : (tensor<1x32x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>, index)
          -> tensor<1x32x32x128xf16>
    ```
  }];
  let arguments = (ins Xf_FloatTensor:$query, Xf_FloatTensor:$key,
                       Xf_FloatTensor:$value, UnitAttr:$causal,
                       Optional<Index>:$causal_offset,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Xf_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`causal` $causal^)?
    (`causal_offset` `(` $causal_offset^ `)`)? (`scale` `=` $scale^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The softmax scale: the `scale` attribute, or 1/sqrt(head dim).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def Xf_ReshapeOp : Xf_Op<"reshape", [Pure]> {
  let summary = "Reinterprets a tensor with another shape";
  let description = [{
    Same elements in row-major order, new static shape: the element counts of
    input and result must agree, and so must the element types. Reshapes of
    reshapes fold into one, and a reshape to the input's own type folds away.

    ```mlir
    %h = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
    ```
  }];
  let arguments = (ins Xf_AnyTensor:$input);
  let results = (outs Xf_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Xf_TransposeOp : Xf_InferredOp<"transpose"> {
  let summary = "Permutes dimensions";
  let description = [{
    `result` dimension `i` is `input` dimension `permutation[i]`;
    `permutation` is a permutation of `0 .. rank-1`. An identity permutation
    folds away and a transpose of a transpose folds into one.

    ```mlir
    %t = xf.transpose %x permutation = [0, 2, 1, 3]
        : (tensor<2x16x12x64xf32>) -> tensor<2x12x16x64xf32>
    ```
  }];
  let arguments = (ins Xf_AnyTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Xf_AnyTensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Xf_SplitOp : Xf_Op<"split", [Pure]> {
  let summary = "Splits a tensor into consecutive pieces along one dimension";
  let description = [{
    Cuts `input` along `dim` into as many pieces as there are results, in
    order; the result types give the piece sizes. Every result has the
    input's element type and the input's sizes except along `dim`, where the
    sizes sum to the input's. This is how a fused QKV projection is taken
    apart. A split into one piece folds away.

    ```mlir
    %q, %k, %v = xf.split %qkv dim = 2
        : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
    ```
  }];
  let arguments = (ins Xf_AnyTensor:$input, I64Attr:$dim);
  let results = (outs Variadic<Xf_AnyTensor>:$results);
  let assemblyFormat = [{
    $input `dim` `=` $dim attr-dict `:` type($input) `->` type($results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Xf_ConcatOp : Xf_InferredOp<"concat"> {
  let summary = "Concatenates tensors along one dimension";
  let description = [{
    Joins one or more `inputs` along `dim`. Inputs have one rank and element
    type and equal sizes except along `dim`; the result's size along `dim`
    is their sum. A concatenation of one tensor folds away.

    ```mlir
    %kv = xf.concat %k, %v dim = 2
        : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Xf_AnyTensor>:$inputs, I64Attr:$dim);
  let results = (outs Xf_AnyTensor:$result);
  let assemblyFormat = [{
    $inputs `dim` `=` $dim attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

#endif // WEFT_DIALECT_XF_IR_XFOPS_TD
