//===- MeshBase.td - The mesh dialect ----------------------*- tablegen -*-===//
//
// The `mesh` dialect: device meshes with the hardware the cost model needs,
// shardings of tensors over them, and the collectives between devices.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_MESH_IR_MESHBASE_TD
#define WEFT_DIALECT_MESH_IR_MESHBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Mesh_Dialect : Dialect {
  let name = "mesh";
  let cppNamespace = "::weft::mesh";
  let summary = "Device meshes, tensor shardings and collectives";
  let description = [{
    A *mesh* is an n-dimensional grid of devices, for example 2 nodes × 8
    GPUs. Each mesh axis has a name, a size and the link its collectives run
    over (bandwidth and latency: NVLink inside a node, InfiniBand across
    nodes); the devices have a peak FLOP/s per element type, a memory
    bandwidth and a memory capacity. Weft's cost model reads exactly these
    numbers, so a plan chosen for one machine is chosen for a reason.

    A *sharding* says, per tensor dimension, which mesh axes split it, and
    which mesh axes hold a pending partial reduction (each device has a
    partial sum that still has to be all-reduced).

    Collectives operate on the per-device (local) tensors of an SPMD program.
    Over several mesh axes a collective runs within each group of devices
    that differ only in those axes; the group size is the product of those
    axes' sizes. Units everywhere: bytes, seconds, FLOP/s, bytes/s.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// The argument attribute of a partitioned function naming the slice of
    /// the whole value each device receives.
    static constexpr llvm::StringLiteral kShardingAttrName = "mesh.sharding";
  }];
}

class Mesh_Op<string mnemonic, list<Trait> traits = []>
    : Op<Mesh_Dialect, mnemonic, traits>;

#endif // WEFT_DIALECT_MESH_IR_MESHBASE_TD
