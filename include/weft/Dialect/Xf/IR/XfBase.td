//===- XfBase.td - The xf dialect and its common definitions -*- tablegen -*-===//
//
// The `xf` dialect describes transformer graphs on ranked, statically shaped
// tensors. This file defines the dialect, the base op class and the enums the
// ops share.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_XF_IR_XFBASE_TD
#define WEFT_DIALECT_XF_IR_XFBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Xf_Dialect : Dialect {
  let name = "xf";
  let cppNamespace = "::weft::xf";
  let summary = "Transformer graphs: the ops a model is written in";
  let description = [{
    The `xf` dialect is the level at which Weft reasons about a transformer:
    ops carry transformer semantics (a linear layer, an attention block, a
    normalization) so that sharding, fusion and lowering can treat them as
    units rather than as anonymous loop nests.

    Conventions shared by every op:

    * Tensors are ranked, statically shaped and carry no encoding; sizes and
      element counts fit in 64 bits. Floating-point ops accept
      `f16`, `bf16`, `f32` and `f64`; all floating operands of one op share one
      element type.
    * Activations are laid out batch first: `[B, S, ...]` with `B` the batch
      and `S` the sequence. Attention operands are `[B, S, H, D]` (heads before
      the head dimension), the layout Hugging Face models produce before their
      attention transpose.
    * Weights of `xf.linear` are `[in_features, out_features]`, so that the
      op computes `x · W + b`. A checkpoint stored `[out, in]` (PyTorch's
      `nn.Linear`) is transposed when it is loaded, not in the graph.
    * Normalizations and softmax reduce over one dimension, the last for the
      norms.

    Entry functions name their values for the runtime with two attributes:
    `xf.name` (a non-empty string) on arguments and results, the key under
    which a weight is found in a `.safetensors` file or an output is
    reported; and `xf.role` on arguments, `"weight"` (bound from the
    weights file) or `"input"` (given per call, the default).

    ```mlir
    func.func @forward(%ids: tensor<1x16xi32> {xf.name = "input_ids", xf.role = "input"},
                       %wte: tensor<512x64xf32> {xf.name = "transformer.wte.weight", xf.role = "weight"})
        -> (tensor<1x16x64xf32> {xf.name = "hidden"})
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr llvm::StringLiteral kNameAttrName = "xf.name";
    static constexpr llvm::StringLiteral kRoleAttrName = "xf.role";
  }];
}

class Xf_Op<string mnemonic, list<Trait> traits = []>
    : Op<Xf_Dialect, mnemonic, traits>;

def Xf_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how xf.gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">
    ]> {
  let cppNamespace = "::weft::xf";
  let genSpecializedAttr = 0;
}

def Xf_GeluApproximationAttr
    : EnumAttr<Xf_Dialect, Xf_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "$value";
}

// Tensor constraints. Shapes are static: Weft compiles ahead of time and its
// cost model and partitioner reason about exact sizes.
// Plain tensors: no encoding, since xf ops define results by shape alone
// and an encoding (e.g. a sparse layout) would not survive them.
class Xf_PlainTensorOf<list<Type> allowedTypes>
    : Type<And<[StaticShapeTensorOf<allowedTypes>.predicate,
                CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">]>,
           StaticShapeTensorOf<allowedTypes>.summary # " without encoding",
           "::mlir::RankedTensorType">;

def Xf_FloatTensor : Xf_PlainTensorOf<[F16, BF16, F32, F64]>;
def Xf_IndexTensor : Xf_PlainTensorOf<[I32, I64]>;
def Xf_AnyTensor : Xf_PlainTensorOf<[AnyType]>;

#endif // WEFT_DIALECT_XF_IR_XFBASE_TD
