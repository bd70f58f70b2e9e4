// RUN: weft-opt %s -split-input-file -verify-diagnostics

// One case per error the mesh dialect reports, and the ODS errors its
// ops declare. Messages are checked in full.

// A mesh needs at least one axis.
// expected-error @+1 {{'mesh.mesh' op expected a mesh of rank at least 1}}
mesh.mesh @mesh(shape = )

// -----

// expected-error @+1 {{'mesh.mesh' op expected a mesh of rank at least 1}}
"mesh.mesh"() <{sym_name = "mesh", shape = array<i64>}> : () -> ()

// -----

// Axis sizes are positive.
// expected-error @+1 {{'mesh.mesh' op expected positive axis sizes, got 0 for axis 1}}
mesh.mesh @mesh(shape = 2x0)

// -----

// expected-error @+1 {{'mesh.mesh' op expected positive axis sizes, got -1 for axis 0}}
"mesh.mesh"() <{sym_name = "mesh", shape = array<i64: -1, 4>}> : () -> ()

// -----

// One name per axis, non-empty and distinct.
// expected-error @+1 {{'mesh.mesh' op expected 2 axis names (the mesh's rank), got 1}}
mesh.mesh @mesh(shape = 2x4, axes = ["node"])

// -----

// expected-error @+1 {{'mesh.mesh' op expected 1 axis names (the mesh's rank), got 2}}
mesh.mesh @mesh(shape = 8, axes = ["node", "gpu"])

// -----

// expected-error @+1 {{'mesh.mesh' op expected non-empty axis names}}
mesh.mesh @mesh(shape = 2x4, axes = ["node", ""])

// -----

// expected-error @+1 {{'mesh.mesh' op expected distinct axis names, got 'gpu' twice}}
mesh.mesh @mesh(shape = 2x2x2, axes = ["gpu", "node", "gpu"])

// -----

// One link per axis.
// expected-error @+1 {{'mesh.mesh' op expected 2 links (one per mesh axis), got 1}}
mesh.mesh @mesh(shape = 2x4, links = [#mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>])

// -----

// expected-error @+1 {{'mesh.mesh' op expected 1 links (one per mesh axis), got 0}}
mesh.mesh @mesh(shape = 8, links = [])

// -----

// Unknown key.
// expected-error @+1 {{custom op 'mesh.mesh' expected 'axes', 'device' or 'links', got 'link'}}
mesh.mesh @mesh(shape = 2x4, link = [])

// -----

// Unknown preset family.
// expected-error @+1 {{custom op 'mesh.mesh' unknown mesh preset '8xA100-NVLink'; expected <shape>x<family> with family one of: H100-NVLink, H100-IB, H200-NVLink, H200-IB, CPU}}
mesh.mesh @mesh(preset = "8xA100-NVLink")

// -----

// Family names are case-sensitive.
// expected-error @+1 {{custom op 'mesh.mesh' unknown mesh preset '8xh100-nvlink'; expected <shape>x<family> with family one of: H100-NVLink, H100-IB, H200-NVLink, H200-IB, CPU}}
mesh.mesh @mesh(preset = "8xh100-nvlink")

// -----

// A preset needs a shape.
// expected-error @+1 {{custom op 'mesh.mesh' unknown mesh preset 'H100-IB'; expected <shape>x<family> with family one of: H100-NVLink, H100-IB, H200-NVLink, H200-IB, CPU}}
mesh.mesh @mesh(preset = "H100-IB")

// -----

// Malformed preset names.
// expected-error @+1 {{custom op 'mesh.mesh' expected a preset name <shape>x<family> (e.g. 2x8xH100-IB), got '2x8'}}
mesh.mesh @mesh(preset = "2x8")

// -----

// expected-error @+1 {{custom op 'mesh.mesh' expected a preset name <shape>x<family> (e.g. 2x8xH100-IB), got '0x8xCPU'}}
mesh.mesh @mesh(preset = "0x8xCPU")

// -----

// expected-error @+1 {{custom op 'mesh.mesh' expected a preset name <shape>x<family> (e.g. 2x8xH100-IB), got '4x'}}
mesh.mesh @mesh(preset = "4x")

// -----

// NVLink connects one node.
// expected-error @+1 {{custom op 'mesh.mesh' preset '16xH100-NVLink' has 16 devices but NVLink connects at most 8 (one node); use an -IB family for several nodes}}
mesh.mesh @mesh(preset = "16xH100-NVLink")

// -----

// expected-error @+1 {{custom op 'mesh.mesh' preset '4x4xH200-NVLink' has 16 devices but NVLink connects at most 8 (one node); use an -IB family for several nodes}}
mesh.mesh @mesh(preset = "4x4xH200-NVLink")

// -----

// InfiniBand presets are 2-D, nodes x GPUs, at most 8 GPUs per node.
// expected-error @+1 {{custom op 'mesh.mesh' preset '16xH100-IB' must be nodes x GPUs with at most 8 GPUs per node}}
mesh.mesh @mesh(preset = "16xH100-IB")

// -----

// expected-error @+1 {{custom op 'mesh.mesh' preset '2x2x4xH200-IB' must be nodes x GPUs with at most 8 GPUs per node}}
mesh.mesh @mesh(preset = "2x2x4xH200-IB")

// -----

// expected-error @+1 {{custom op 'mesh.mesh' preset '2x16xH100-IB' must be nodes x GPUs with at most 8 GPUs per node}}
mesh.mesh @mesh(preset = "2x16xH100-IB")

// -----

// Link bandwidth and latency are positive and finite.
// expected-error @+2 {{expected a positive finite number, got 0.000000e+00}}
// expected-error @+1 {{failed to parse Mesh_LinkAttr parameter 'bandwidth' which is to be a `::llvm::APFloat`}}
mesh.mesh @mesh(shape = 8, links = [#mesh.link<bandwidth = 0.0, latency = 3.0e-06>])

// -----

// expected-error @+2 {{expected a positive finite number, got -3.000000e-06}}
// expected-error @+1 {{failed to parse Mesh_LinkAttr parameter 'latency' which is to be a `::llvm::APFloat`}}
mesh.mesh @mesh(shape = 8, links = [#mesh.link<bandwidth = 4.5e+11, latency = -3.0e-06>])

// -----

// expected-error @+2 {{expected a positive finite number, got INF}}
// expected-error @+1 {{failed to parse Mesh_LinkAttr parameter 'bandwidth' which is to be a `::llvm::APFloat`}}
mesh.mesh @mesh(shape = 8, links = [#mesh.link<bandwidth = 0x7FF0000000000000, latency = 3.0e-06>])

// -----

// Device memory bandwidth and capacity are positive.
// expected-error @+1 {{expected a positive finite number, got 0.000000e+00}}
mesh.mesh @mesh(shape = 8, device = #mesh.device<"H100", peak_flops = {f32 = 6.7e+13}, memory_bandwidth = 0.0, memory_capacity = 8.0e+10>)

// -----

// expected-error @+1 {{expected a positive finite number, got -8.000000e+10}}
mesh.mesh @mesh(shape = 8, device = #mesh.device<"H100", peak_flops = {f32 = 6.7e+13}, memory_bandwidth = 3.35e+12, memory_capacity = -8.0e+10>)

// -----

// Peak FLOP/s entries are positive.
// expected-error @+1 {{expected a positive finite number, got 0.000000e+00}}
mesh.mesh @mesh(shape = 8, device = #mesh.device<"H100", peak_flops = {f32 = 6.7e+13, bf16 = 0.0}, memory_bandwidth = 3.35e+12, memory_capacity = 8.0e+10>)

// -----

// expected-error @+1 {{expected a positive finite number, got -1.000000e+00}}
mesh.mesh @mesh(shape = 8, device = #mesh.device<"H100", peak_flops = {f32 = -1.0}, memory_bandwidth = 3.35e+12, memory_capacity = 8.0e+10>)

// -----

// expected-error @+1 {{expected a positive finite number, got nan}}
mesh.mesh @mesh(shape = 8, device = #mesh.device<"H100", peak_flops = {f32 = 0x7FF8000000000000}, memory_bandwidth = 3.35e+12, memory_capacity = 8.0e+10>)

// -----

// The device has a name.
// expected-error @+1 {{expected a non-empty device name}}
mesh.mesh @mesh(shape = 8, device = #mesh.device<"", peak_flops = {f32 = 6.7e+13}, memory_bandwidth = 3.35e+12, memory_capacity = 8.0e+10>)

// -----

// The same, as an attribute on its own.
// expected-error @+1 {{expected a non-empty device name}}
func.func @f() attributes {device = #mesh.device<"", peak_flops = {}, memory_bandwidth = 3.35e+12, memory_capacity = 8.0e+10>} {
  return
}

// -----

// Unknown reduction kind of a partial sharding.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected a reduction kind (sum, max, min, prod), got 'avg'}}
  %0 = mesh.shard %arg0 to <@mesh, [[0]], partial = avg[1]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected a reduction kind (sum, max, min, prod), got 'Sum'}}
  %0 = mesh.shard %arg0 to <@mesh, [[0]], partial = "Sum"[1]> : tensor<8x16xf32>
  return
}

// -----

// Mesh axes in a sharding are non-negative.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected non-negative mesh axes, got -1}}
  %0 = mesh.shard %arg0 to <@mesh, [[0], [-1]]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected non-negative mesh axes, got -2}}
  %0 = mesh.shard %arg0 to <@mesh, [[0]], partial = sum[-2]> : tensor<8x16xf32>
  return
}

// -----

// A mesh axis appears at most once in a sharding.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected each mesh axis at most once, got axis 0 twice}}
  %0 = mesh.shard %arg0 to <@mesh, [[0, 0]]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected each mesh axis at most once, got axis 1 twice}}
  %0 = mesh.shard %arg0 to <@mesh, [[1], [1]]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected each mesh axis at most once, got axis 0 twice}}
  %0 = mesh.shard %arg0 to <@mesh, [[0]], partial = max[0]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{custom op 'mesh.shard' expected each mesh axis at most once, got axis 1 twice}}
  %0 = mesh.shard %arg0 to <@mesh, [], partial = min[1, 1]> : tensor<8x16xf32>
  return
}

// -----

// No more split dims than the tensor has.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.shard' op expected at most 2 split dims (the tensor's rank), got 3}}
  %0 = mesh.shard %arg0 to <@mesh, [[0], [], [1]]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<f32>) {
  // expected-error @+1 {{'mesh.shard' op expected at most 0 split dims (the tensor's rank), got 1}}
  %0 = mesh.shard %arg0 to <@mesh, [[0]]> : tensor<f32>
  return
}

// -----

// Sharding axes within the mesh's rank.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.shard' op expected mesh axes in [0, 2) for @mesh, got 2}}
  %0 = mesh.shard %arg0 to <@mesh, [[0], [2]]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.shard' op expected mesh axes in [0, 2) for @mesh, got 5}}
  %0 = mesh.shard %arg0 to <@mesh, [[0]], partial = sum[5]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(preset = "8xH100-NVLink")
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.shard' op expected mesh axes in [0, 1) for @mesh, got 1}}
  %0 = mesh.shard %arg0 to <@mesh, [[0, 1]]> : tensor<8x16xf32>
  return
}

// -----

// The sharding names a mesh.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.shard' op expected @other to name a mesh.mesh in an enclosing symbol table}}
  %0 = mesh.shard %arg0 to <@other, [[0]]> : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.shard' op expected @f to name a mesh.mesh in an enclosing symbol table}}
  %0 = mesh.shard %arg0 to <@f, [[0]]> : tensor<8x16xf32>
  return
}

// -----

// Collectives name a mesh.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_reduce' op expected @other to name a mesh.mesh in an enclosing symbol table}}
  %0 = mesh.all_reduce %arg0 on @other mesh_axes = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected @f to name a mesh.mesh in an enclosing symbol table}}
  %0 = mesh.all_to_all %arg0 on @f mesh_axes = [0] split_axis = 0 concat_axis = 1 : tensor<8x16xf32> -> tensor<4x32xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op expected @other to name a mesh.mesh in an enclosing symbol table}}
  mesh.send %arg0 on @other mesh_axes = [0] destination = [1] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op expected @other to name a mesh.mesh in an enclosing symbol table}}
  %0 = mesh.recv on @other mesh_axes = [0] source = [1] : tensor<8x16xf32>
  return
}

// -----

// Collective mesh axes within the mesh's rank.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_reduce' op expected mesh axes in [0, 2) for @mesh, got 2}}
  %0 = mesh.all_reduce %arg0 on @mesh mesh_axes = [0, 2] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 8)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op expected mesh axes in [0, 1) for @mesh, got 1}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [1] gather_axis = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected mesh axes in [0, 2) for @mesh, got 3}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [3] scatter_axis = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected mesh axes in [0, 2) for @mesh, got 2}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [2] root = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op expected mesh axes in [0, 2) for @mesh, got 2}}
  mesh.send %arg0 on @mesh mesh_axes = [2] destination = [0] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op expected mesh axes in [0, 2) for @mesh, got 7}}
  %0 = mesh.recv on @mesh mesh_axes = [7] source = [0] : tensor<8x16xf32>
  return
}

// -----

// Collective mesh axes are distinct.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_reduce' op expected distinct mesh axes, got axis 1 twice}}
  %0 = mesh.all_reduce %arg0 on @mesh mesh_axes = [1, 1] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected distinct mesh axes, got axis 0 twice}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [0, 1, 0] split_axis = 0 concat_axis = 1 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op expected distinct mesh axes, got axis 0 twice}}
  %0 = mesh.recv on @mesh mesh_axes = [0, 0] source = [0, 1] : tensor<8x16xf32>
  return
}

// -----

// Collective mesh axes are non-negative (ODS constraint).
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_reduce' op attribute 'mesh_axes' failed to satisfy constraint: i64 dense array attribute whose value is non-negative}}
  %0 = mesh.all_reduce %arg0 on @mesh mesh_axes = [-1] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op attribute 'mesh_axes' failed to satisfy constraint: i64 dense array attribute whose value is non-negative}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [0, -1] gather_axis = 0 : tensor<8x16xf32> -> tensor<16x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op attribute 'mesh_axes' failed to satisfy constraint: i64 dense array attribute whose value is non-negative}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [-2] root = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op attribute 'mesh_axes' failed to satisfy constraint: i64 dense array attribute whose value is non-negative}}
  mesh.send %arg0 on @mesh mesh_axes = [-1] destination = [0] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op attribute 'mesh_axes' failed to satisfy constraint: i64 dense array attribute whose value is non-negative}}
  %0 = mesh.recv on @mesh mesh_axes = [-1] source = [0] : tensor<8x16xf32>
  return
}

// -----

// Unknown reduction kind of a collective (ODS enum parser).
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+2 {{custom op 'mesh.all_reduce' expected ::weft::mesh::ReductionKind to be one of: sum, max, min, prod}}
  // expected-error @+1 {{custom op 'mesh.all_reduce' failed to parse Mesh_ReductionKindAttr parameter 'value' which is to be a `::weft::mesh::ReductionKind`}}
  %0 = mesh.all_reduce %arg0 on @mesh mesh_axes = [0] reduction = avg : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// Tensor dims of the collectives within the operand's rank.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op expected gather_axis in [0, 2) (the operand's rank), got 2}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [0] gather_axis = 2 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op expected gather_axis in [0, 2) (the operand's rank), got -1}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [0] gather_axis = -1 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected scatter_axis in [0, 2) (the operand's rank), got 2}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [0] scatter_axis = 2 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected scatter_axis in [0, 2) (the operand's rank), got -1}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [0] scatter_axis = -1 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected split_axis in [0, 2) (the operand's rank), got 2}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [0] split_axis = 2 concat_axis = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected split_axis in [0, 2) (the operand's rank), got -1}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [0] split_axis = -1 concat_axis = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected concat_axis in [0, 2) (the operand's rank), got 5}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [0] split_axis = 0 concat_axis = 5 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected concat_axis in [0, 2) (the operand's rank), got -1}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [0] split_axis = 0 concat_axis = -1 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// The group size divides the dimension that is cut.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<6x16xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected scatter_axis dim 0 of size 6 to be divisible by the group size 8}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [0, 1] scatter_axis = 0 : tensor<6x16xf32> -> tensor<1x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x6xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected scatter_axis dim 1 of size 6 to be divisible by the group size 4}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [1] scatter_axis = 1 reduction = max : tensor<8x6xf32> -> tensor<8x1xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<6x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected split_axis dim 0 of size 6 to be divisible by the group size 4}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [1] split_axis = 0 concat_axis = 1 : tensor<6x16xf32> -> tensor<1x64xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<6x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected split_axis dim 0 of size 6 to be divisible by the group size 4}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [1] split_axis = 0 concat_axis = 0 : tensor<6x16xf32> -> tensor<6x16xf32>
  return
}

// -----

// Result types of the collectives.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_reduce' op expected result type 'tensor<8x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 8 devices), got 'tensor<1x16xf32>'}}
  %0 = mesh.all_reduce %arg0 on @mesh mesh_axes = [0, 1] : tensor<8x16xf32> -> tensor<1x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_reduce' op expected result type 'tensor<8x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 4 devices), got 'tensor<8x16xf16>'}}
  %0 = mesh.all_reduce %arg0 on @mesh mesh_axes = [1] reduction = max : tensor<8x16xf32> -> tensor<8x16xf16>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op expected result type 'tensor<64x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 8 devices), got 'tensor<16x16xf32>'}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [0, 1] gather_axis = 0 : tensor<8x16xf32> -> tensor<16x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op expected result type 'tensor<8x64xf32>' (from operand type 'tensor<8x16xf32>' over a group of 4 devices), got 'tensor<8x64xbf16>'}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [1] gather_axis = 1 : tensor<8x16xf32> -> tensor<8x64xbf16>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<?x16xf32>) {
  // expected-error @+1 {{'mesh.all_gather' op expected result type 'tensor<?x16xf32>' (from operand type 'tensor<?x16xf32>' over a group of 2 devices), got 'tensor<16x16xf32>'}}
  %0 = mesh.all_gather %arg0 on @mesh mesh_axes = [0] gather_axis = 0 : tensor<?x16xf32> -> tensor<16x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected result type 'tensor<2x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 4 devices), got 'tensor<8x16xf32>'}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [1] scatter_axis = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.reduce_scatter' op expected result type 'tensor<8x2xf32>' (from operand type 'tensor<8x16xf32>' over a group of 8 devices), got 'tensor<8x2xf16>'}}
  %0 = mesh.reduce_scatter %arg0 on @mesh mesh_axes = [0, 1] scatter_axis = 1 : tensor<8x16xf32> -> tensor<8x2xf16>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected result type 'tensor<32x4xf32>' (from operand type 'tensor<8x16xf32>' over a group of 4 devices), got 'tensor<8x16xf32>'}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [1] split_axis = 1 concat_axis = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected result type 'tensor<8x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 4 devices), got 'tensor<8x4xf32>'}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [1] split_axis = 1 concat_axis = 1 : tensor<8x16xf32> -> tensor<8x4xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.all_to_all' op expected result type 'tensor<4x32xf32>' (from operand type 'tensor<8x16xf32>' over a group of 2 devices), got 'tensor<4x32xi32>'}}
  %0 = mesh.all_to_all %arg0 on @mesh mesh_axes = [0] split_axis = 0 concat_axis = 1 : tensor<8x16xf32> -> tensor<4x32xi32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected result type 'tensor<8x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 2 devices), got 'tensor<4x16xf32>'}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [0] root = [0] : tensor<8x16xf32> -> tensor<4x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected result type 'tensor<8x16xf32>' (from operand type 'tensor<8x16xf32>' over a group of 8 devices), got 'tensor<8x16xbf16>'}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [0, 1] root = [1, 3] : tensor<8x16xf32> -> tensor<8x16xbf16>
  return
}

// -----

// Broadcast root: one coordinate per mesh axis, within the axis.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected 2 root coordinates (one per mesh axis), got 1}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [0, 1] root = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected 0 root coordinates (one per mesh axis), got 1}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [] root = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected root coordinate along mesh axis 1 in [0, 4), got 4}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [0, 1] root = [1, 4] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.broadcast' op expected root coordinate along mesh axis 0 in [0, 2), got -1}}
  %0 = mesh.broadcast %arg0 on @mesh mesh_axes = [0] root = [-1] : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// Send destination and recv source: one coordinate per mesh axis, within the axis.
mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op expected 1 destination coordinates (one per mesh axis), got 0}}
  mesh.send %arg0 on @mesh mesh_axes = [0] destination = [] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op expected 1 destination coordinates (one per mesh axis), got 2}}
  mesh.send %arg0 on @mesh mesh_axes = [1] destination = [0, 1] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op expected destination coordinate along mesh axis 1 in [0, 4), got 4}}
  mesh.send %arg0 on @mesh mesh_axes = [0, 1] destination = [1, 4] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f(%arg0: tensor<8x16xf32>) {
  // expected-error @+1 {{'mesh.send' op expected destination coordinate along mesh axis 0 in [0, 2), got -1}}
  mesh.send %arg0 on @mesh mesh_axes = [0] destination = [-1] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op expected 2 source coordinates (one per mesh axis), got 3}}
  %0 = mesh.recv on @mesh mesh_axes = [0, 1] source = [0, 0, 0] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op expected source coordinate along mesh axis 0 in [0, 2), got 2}}
  %0 = mesh.recv on @mesh mesh_axes = [1, 0] source = [3, 2] : tensor<8x16xf32>
  return
}

// -----

mesh.mesh @mesh(shape = 2x4)
func.func @f() {
  // expected-error @+1 {{'mesh.recv' op expected source coordinate along mesh axis 1 in [0, 4), got -3}}
  %0 = mesh.recv on @mesh mesh_axes = [1] source = [-3] : tensor<8x16xf32>
  return
}

// -----

// Device counts must stay representable (and 32-bit for MPI/NCCL ranks).
// expected-error @+1 {{'mesh.mesh' op expected at most 2147483647 devices, got shape 65536x65536x65536x65536}}
mesh.mesh @big(shape = 65536x65536x65536x65536)

// -----

// expected-error @+1 {{preset '65536x65536x65536x65536xH100-NVLink' has more than 2147483647 devices}}
mesh.mesh @m(preset = "65536x65536x65536x65536xH100-NVLink")

// -----

mesh.mesh @m(shape = 65536x16384)
func.func @gather_overflow(%a: tensor<9223372036854775xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'mesh.all_gather' op expected dim 0 of size 9223372036854775 times the group size 1073741824 to fit in 64 bits}}
  %0 = mesh.all_gather %a on @m mesh_axes = [0, 1] gather_axis = 0 : tensor<9223372036854775xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// expected-error @+1 {{duplicate peak_flops entry 'f32'}}
mesh.mesh @m(shape = 2, device = #mesh.device<"x", peak_flops = {f32 = 1.0, f32 = 2.0}, memory_bandwidth = 1.0, memory_capacity = 1.0>)

// -----

mesh.mesh @m(shape = 2)
func.func @empty_partial(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{expected at least one partial mesh axis; omit the partial clause when nothing is partial}}
  %0 = mesh.shard %a to <@m, [[0]], partial = max[]> : tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

mesh.mesh @pi(shape = 2x4)
func.func @process_index_axis() -> index {
  // expected-error @+1 {{'mesh.process_index' op expected mesh axes in [0, 2) for @pi, got 2}}
  %0 = mesh.process_index on @pi mesh_axes = [2] : index
  return %0 : index
}

// -----

func.func @process_index_mesh() -> index {
  // expected-error @+1 {{'mesh.process_index' op expected @nowhere to name a mesh.mesh in an enclosing symbol table}}
  %0 = mesh.process_index on @nowhere mesh_axes = [0] : index
  return %0 : index
}
