// RUN: weft-opt %s -split-input-file --xf-partition -verify-diagnostics

mesh.mesh @mesh(shape = 3)
// expected-error @+1 {{cannot split dimension 0 of argument #0 ('tensor<8x16xf32>') of size 8 evenly over 3 devices (mesh axes 0)}}
func.func @uneven(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  %1 = xf.gelu %0 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = mesh.shard %1 to <@mesh, [[0]]> : tensor<8x16xf32>
  %3 = mesh.shard %2 to <@mesh, []> annotate_for_users : tensor<8x16xf32>
  return %3 : tensor<8x16xf32>
}

// -----

mesh.mesh @mesh(shape = 2)
func.func @not_a_strategy(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  // expected-error @+1 {{'xf.gelu' op has no strategy taking operands sharded as [[0], []] to results sharded as [[], [0]]; annotate each use with the sharding the op needs (xf-auto-shard does)}}
  %1 = xf.gelu %0 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = mesh.shard %1 to <@mesh, [[], [0]]> : tensor<8x16xf32>
  return %2 : tensor<8x16xf32>
}

// -----

mesh.mesh @a(shape = 2)
mesh.mesh @b(shape = 2)
func.func @two_meshes(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = mesh.shard %x to <@a, [[0]]> annotate_for_users : tensor<4x8xf32>
  // expected-error @+1 {{'mesh.shard' op annotates mesh @b but other annotations name @a; a program is partitioned over one mesh}}
  %1 = mesh.shard %0 to <@b, []> annotate_for_users : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

mesh.mesh @mesh(shape = 2)
// expected-error @+1 {{cannot split dynamic dimension 0 of argument #0 ('tensor<?x16xf32>')}}
func.func @dynamic(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

mesh.mesh @mesh(shape = 2)
func.func @callee(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}
func.func @caller(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'func.call' op calls @callee; xf-partition rewrites functions on their own, so inline calls first (--inline)}}
  %0 = func.call @callee(%x) : (tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}
