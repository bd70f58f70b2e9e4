//===- MeshOps.td - Operations of the mesh dialect ---------*- tablegen -*-===//
//
// The mesh declaration, sharding annotations and collectives.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_MESH_IR_MESHOPS_TD
#define WEFT_DIALECT_MESH_IR_MESHOPS_TD

include "weft/Dialect/Mesh/IR/MeshAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Mesh_Axes : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayNonNegative<DenseI64ArrayAttr>]>;

//===----------------------------------------------------------------------===//
// mesh.mesh
//===----------------------------------------------------------------------===//

def Mesh_MeshOp : Mesh_Op<"mesh", [Symbol]> {
  let summary = "Declares a device mesh and its hardware";
  let description = [{
    Declares a mesh: its `shape` (devices per axis), optionally the axis
    names, the `device` every position holds and one `link` per axis.
    Axis names default to `axis0`, `axis1`, ... A mesh has at most 2^31 - 1
    devices (ranks are 32-bit in MPI and NCCL). The hardware is optional for
    parsing and partitioning; the cost model requires it.

    ```mlir
    mesh.mesh @mesh_2d(shape = 4x8)
    mesh.mesh @pod(shape = 2x8, axes = ["node", "gpu"],
                   device = #mesh.device<...>,
                   links = [#mesh.link<bandwidth = 5.0e+10, latency = 5.0e-06>,
                            #mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>])
    ```

    A preset names a whole machine: `mesh.mesh @m(preset = "2x8xH100-IB")`.
    Preset names are `<shape>x<family>`, the shape written as in a tensor
    type. Families:

    * `H100-NVLink`: H100 SXM5 80 GB devices, every axis over NVLink 4
      (at most 8 devices: one node).
    * `H100-IB`: a 2-D mesh of nodes × GPUs; axis 0 (`node`) over 400 Gb/s
      InfiniBand NDR, one NIC per GPU; axis 1 (`gpu`, at most 8) over NVLink.
    * `H200-NVLink`, `H200-IB`: the same with H200 141 GB devices.
    * `CPU`: host processes exchanging messages through MPI over shared
      memory; any shape.

    The printer writes a mesh that equals a preset in the preset form.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       DenseI64ArrayAttr:$shape,
                       OptionalAttr<StrArrayAttr>:$axis_names,
                       OptionalAttr<Mesh_DeviceAttr>:$device,
                       OptionalAttr<TypedArrayAttrBase<Mesh_LinkAttr,
                                    "one link per mesh axis">>:$links);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getRank() { return getShape().size(); }
    /// Number of devices: the product of the axis sizes.
    int64_t getNumDevices();
    /// The name of axis `axis` (given, or `axis<i>`).
    std::string getAxisName(int64_t axis);
    /// Devices in a group spanning `axes`: the product of their sizes.
    int64_t getGroupSize(::llvm::ArrayRef<int64_t> axes);
  }];
}

//===----------------------------------------------------------------------===//
// mesh.shard
//===----------------------------------------------------------------------===//

def Mesh_ShardOp : Mesh_Op<"shard", [
    Pure, AllTypesMatch<["src", "result"]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Annotates a tensor with a sharding";
  let description = [{
    Returns `src` unchanged and states how it is (or should be) split over
    the mesh. By default the annotation describes the value as produced;
    with `annotate_for_users` it states the sharding its users expect, so
    that a value produced one way and consumed another carries both.
    Sharding propagation and `xf-partition` read these annotations.

    ```mlir
    %0 = mesh.shard %arg0 to <@mesh_2d, [[0], [], [1]]> annotate_for_users : tensor<32x1000x4096xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$src, Mesh_ShardingAttr:$sharding,
                       UnitAttr:$annotate_for_users);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $src `to` $sharding (`annotate_for_users` $annotate_for_users^)? attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// mesh.process_index
//===----------------------------------------------------------------------===//

def Mesh_ProcessIndexOp : Mesh_Op<"process_index", [
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "The executing device's index within its group along mesh axes";
  let description = [{
    The position of the executing device in the group spanned by
    `mesh_axes`: its coordinates along those axes, row-major in the order
    listed (for one axis, the coordinate itself). A partitioned program uses
    it to take its own slice of a value every device holds whole.

    ```mlir
    %i = mesh.process_index on @mesh mesh_axes = [1] : index
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes);
  let results = (outs Index:$result);
  let assemblyFormat = [{
    `on` $mesh `mesh_axes` `=` $mesh_axes attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

// A collective over the device groups spanned by `mesh_axes`. The result
// type is checked against the operand type, the axes and the mesh's sizes
// when the mesh symbol is resolved.
class Mesh_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : Mesh_Op<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<SymbolUserOpInterface>])> {
  code extraCollectiveDeclaration = [{
    /// The result type the operand, axes and mesh imply, or an error.
    ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        MeshOp mesh, ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Mesh_AllReduceOp : Mesh_CollectiveOp<"all_reduce", [Pure]> {
  let summary = "Reduces a tensor over device groups; every device gets the result";
  let description = [{
    Each device ends with the reduction (`sum` by default) of `input` over
    its group. The result has the input's type. Ring cost: each device sends
    and receives `2(n-1)/n` of the bytes in `2(n-1)` steps.

    ```mlir
    %r = mesh.all_reduce %x on @mesh mesh_axes = [1] reduction = sum
        : tensor<2x16x768xf32> -> tensor<2x16x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       AnyRankedTensor:$input,
                       DefaultValuedAttr<Mesh_ReductionKindAttr,
                         "::weft::mesh::ReductionKind::Sum">:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `mesh_axes` `=` $mesh_axes (`reduction` `=` `` $reduction^)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = extraCollectiveDeclaration;
}

def Mesh_AllGatherOp : Mesh_CollectiveOp<"all_gather", [Pure]> {
  let summary = "Concatenates the group's tensors along one dimension";
  let description = [{
    Every device ends with the concatenation, along `gather_axis`, of the
    inputs of its group in device order: that dimension grows by the group
    size `n`; the others are unchanged.

    ```mlir
    %g = mesh.all_gather %x on @mesh mesh_axes = [1] gather_axis = 2
        : tensor<2x16x96xf32> -> tensor<2x16x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       AnyRankedTensor:$input, I64Attr:$gather_axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `mesh_axes` `=` $mesh_axes `gather_axis` `=` $gather_axis
    attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = extraCollectiveDeclaration;
}

def Mesh_ReduceScatterOp : Mesh_CollectiveOp<"reduce_scatter", [Pure]> {
  let summary = "Reduces over device groups and leaves each device one slice";
  let description = [{
    Reduces `input` over the group like `all_reduce`, then device `i` of the
    group keeps slice `i` of the result along `scatter_axis`, which the group
    size `n` must divide: that dimension shrinks by `n`.

    ```mlir
    %s = mesh.reduce_scatter %x on @mesh mesh_axes = [1] scatter_axis = 1
        : tensor<2x16x768xf32> -> tensor<2x2x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       AnyRankedTensor:$input, I64Attr:$scatter_axis,
                       DefaultValuedAttr<Mesh_ReductionKindAttr,
                         "::weft::mesh::ReductionKind::Sum">:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `mesh_axes` `=` $mesh_axes `scatter_axis` `=` $scatter_axis
    (`reduction` `=` `` $reduction^)? attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = extraCollectiveDeclaration;
}

def Mesh_AllToAllOp : Mesh_CollectiveOp<"all_to_all", [Pure]> {
  let summary = "Moves a split from one dimension to another";
  let description = [{
    Each device cuts its input into `n` slices along `split_axis` (which `n`
    must divide), sends slice `j` to device `j` of its group and concatenates
    what it receives along `concat_axis`: `split_axis` shrinks by `n` and
    `concat_axis` grows by `n`. Turning a sequence split into a head split
    for attention is one all-to-all.

    ```mlir
    %t = mesh.all_to_all %x on @mesh mesh_axes = [0] split_axis = 2 concat_axis = 1
        : tensor<1x32x12x64xf32> -> tensor<1x128x3x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       AnyRankedTensor:$input, I64Attr:$split_axis,
                       I64Attr:$concat_axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `mesh_axes` `=` $mesh_axes `split_axis` `=` $split_axis
    `concat_axis` `=` $concat_axis attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = extraCollectiveDeclaration;
}

def Mesh_BroadcastOp : Mesh_CollectiveOp<"broadcast", [Pure]> {
  let summary = "Copies one device's tensor to its whole group";
  let description = [{
    Every device of a group ends with the input of the group's `root`
    device, given by its coordinates along `mesh_axes` (one per axis, each
    within the axis size). The result has the input's type.

    ```mlir
    %b = mesh.broadcast %x on @mesh mesh_axes = [0] root = [0]
        : tensor<16x768xf32> -> tensor<16x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       AnyRankedTensor:$input, DenseI64ArrayAttr:$root);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `mesh_axes` `=` $mesh_axes `root` `=` $root
    attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = extraCollectiveDeclaration;
}

def Mesh_SendOp : Mesh_CollectiveOp<"send", [MemoryEffects<[MemWrite]>]> {
  let summary = "Sends a tensor to one device of the group";
  let description = [{
    Point to point: the executing device sends `input` to the device of its
    group at coordinates `destination` along `mesh_axes` (one coordinate per
    axis, each within the axis size), which must execute a matching
    `mesh.recv`.

    ```mlir
    mesh.send %x on @mesh mesh_axes = [0] destination = [1] : tensor<16x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       AnyRankedTensor:$input, DenseI64ArrayAttr:$destination);
  let assemblyFormat = [{
    $input `on` $mesh `mesh_axes` `=` $mesh_axes `destination` `=` $destination
    attr-dict `:` type($input)
  }];
}

def Mesh_RecvOp : Mesh_CollectiveOp<"recv", [MemoryEffects<[MemWrite]>]> {
  let summary = "Receives a tensor from one device of the group";
  let description = [{
    Point to point: returns the tensor sent by the device of the group at
    coordinates `source` along `mesh_axes` with a matching `mesh.send`. The
    result type is the sent tensor's type.

    ```mlir
    %x = mesh.recv on @mesh mesh_axes = [0] source = [0] : tensor<16x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$mesh, Mesh_Axes:$mesh_axes,
                       DenseI64ArrayAttr:$source);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    `on` $mesh `mesh_axes` `=` $mesh_axes `source` `=` $source
    attr-dict `:` type($result)
  }];
}

#endif // WEFT_DIALECT_MESH_IR_MESHOPS_TD
