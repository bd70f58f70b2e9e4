//===- MeshAttrs.td - Attributes of the mesh dialect -------*- tablegen -*-===//
//
// Hardware descriptions (device, link), reduction kinds and shardings.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_MESH_IR_MESHATTRS_TD
#define WEFT_DIALECT_MESH_IR_MESHATTRS_TD

include "weft/Dialect/Mesh/IR/MeshBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class Mesh_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Mesh_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Mesh_ReductionKind : I32EnumAttr<"ReductionKind",
    "how partial values held by several devices combine", [
      I32EnumAttrCase<"Sum", 0, "sum">,
      I32EnumAttrCase<"Max", 1, "max">,
      I32EnumAttrCase<"Min", 2, "min">,
      I32EnumAttrCase<"Prod", 3, "prod">
    ]> {
  let cppNamespace = "::weft::mesh";
  let genSpecializedAttr = 0;
}

def Mesh_ReductionKindAttr
    : EnumAttr<Mesh_Dialect, Mesh_ReductionKind, "reduction"> {
  let assemblyFormat = "$value";
}

// A positive real number (double precision) printed in its shortest exact
// form (`4.5e+11`).
def Mesh_PositiveDouble : AttrParameter<"::llvm::APFloat", "a positive real number"> {
  let parser = "::weft::mesh::parsePositiveDouble($_parser)";
  let printer = "::weft::mesh::printDouble($_printer.getStream(), $_self)";
  let comparator = "$_lhs.bitwiseIsEqual($_rhs)";
}

def Mesh_LinkAttr : Mesh_Attr<"Link", "link"> {
  let summary = "The interconnect along one mesh axis";
  let description = [{
    What a collective along this axis pays, in the alpha-beta model:
    `bandwidth` is the per-device, per-direction link bandwidth in bytes per
    second and `latency` the time of one step of a collective algorithm in
    seconds.

    ```mlir
    #mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>  // NVLink 4, H100
    ```
  }];
  let parameters = (ins Mesh_PositiveDouble:$bandwidth,
                        Mesh_PositiveDouble:$latency);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Mesh_DeviceAttr : Mesh_Attr<"Device", "device"> {
  let summary = "One device of a mesh: compute peak, memory bandwidth, capacity";
  let description = [{
    `name` identifies the device. `peak_flops` maps element type names
    (`f64`, `f32`, `tf32`, `bf16`, `f16`, `f8E4M3FN`, ...) to dense peak
    FLOP/s for that type; a type absent from the map is not supported by the
    device's fast paths. `memory_bandwidth` is in bytes per second,
    `memory_capacity` in bytes.

    ```mlir
    #mesh.device<"H100-SXM5-80GB", peak_flops = {bf16 = 9.89e+14, f16 = 9.89e+14, f32 = 6.7e+13},
                 memory_bandwidth = 3.35e+12, memory_capacity = 8.589934592e+10>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"device name">:$name,
    AttrParameter<"::mlir::DictionaryAttr", "peak FLOP/s by element type name"> :$peak_flops,
    Mesh_PositiveDouble:$memory_bandwidth,
    Mesh_PositiveDouble:$memory_capacity);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Dense peak FLOP/s for arithmetic in `elementType`, if the device
    /// lists that type.
    std::optional<double> getPeakFlops(::mlir::Type elementType) const;
  }];
}

def Mesh_ShardingAttr : Mesh_Attr<"Sharding", "sharding"> {
  let summary = "How a tensor is split over a mesh";
  let description = [{
    `<@mesh, [[a, b], [], [c]], partial = sum[d]>`: entry `i` of the list names
    the mesh axes that split tensor dimension `i`, outermost first (dimension
    0 split over axes `a` and `b` jointly, dimension 1 whole, dimension 2 split
    over `c`). Dimensions past the end of the list are not split. The
    optional `partial` clause lists mesh axes along which every device holds a
    partial value still to be reduced with the given kind (the list is never
    empty). A mesh axis appears at most once in a sharding. Trailing
    unsplit dimensions are dropped, so `[[0], []]` and `[[0]]` are the same
    attribute. A split need not divide its dimension evenly: the
    annotation states intent, and the partitioner decides how to cut it.

    The mesh is a symbol reference; the ops that use a sharding check its
    axes against the mesh and the tensor.

    ```mlir
    #mesh.sharding<@mesh_2d, [[0], [], [1]]>
    #mesh.sharding<@mesh_2d, [[0]], partial = sum[1]>
    ```
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    ArrayRefParameter<"::mlir::DenseI64ArrayAttr", "mesh axes per tensor dim">:$split_axes,
    OptionalArrayRefParameter<"int64_t", "mesh axes holding partial values">:$partial_axes,
    DefaultValuedParameter<"::weft::mesh::ReductionKind",
                           "::weft::mesh::ReductionKind::Sum">:$partial_kind);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::FlatSymbolRefAttr":$mesh,
                     "::llvm::ArrayRef<::llvm::SmallVector<int64_t>>":$splitAxes,
                     CArg<"::llvm::ArrayRef<int64_t>", "{}">:$partialAxes,
                     CArg<"::weft::mesh::ReductionKind",
                          "::weft::mesh::ReductionKind::Sum">:$partialKind)>
  ];
  let skipDefaultBuilders = 0;
  let extraClassDeclaration = [{
    /// Checks the sharding against a mesh of `meshRank` axes and a tensor of
    /// rank `tensorRank`, reporting through `emitError`.
    ::mlir::LogicalResult verifyFor(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        int64_t meshRank, int64_t tensorRank) const;
    /// True when no dimension is split and nothing is partial.
    bool isFullyReplicated() const;
  }];
}

#endif // WEFT_DIALECT_MESH_IR_MESHATTRS_TD
