// mlp-row-split.mlir with every value annotated as upstream MLIR 22's
// sharding-propagation decides (see upstream-mlp-row-split.mlir): all of h
// all-reduced, then the GELU and the second layer replicated.
//
//   x   split on dimension 1 for the first layer (a local slice)
//   w1  split on dimension 0 (rows): the input annotation
//   h   produced as a partial sum over mesh axis 0, consumed replicated
//       (an all_reduce of 2048x4096)
//   a   replicated
//   w2  replicated
//   y   replicated
//
// Upstream writes h as replicated: MLIR 22's !shard.sharding has no partial
// axes, and shard-partition inserts the all_reduce after the local matmul
// whose reduction dimension is split. Weft's sharding states the pending sum
// explicitly, as `partial = sum[0]` on the produced value.

mesh.mesh @mesh(preset = "4xH100-NVLink")

func.func @mlp(%x: tensor<2048x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %xs = mesh.shard %x to <@mesh, [[], [0]]> annotate_for_users : tensor<2048x1024xf32>
  %w1s = mesh.shard %w1 to <@mesh, [[0]]> annotate_for_users : tensor<1024x4096xf32>
  %h = xf.linear %xs, %w1s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %hs = mesh.shard %h to <@mesh, [], partial = sum[0]> : tensor<2048x4096xf32>
  %hu = mesh.shard %hs to <@mesh, []> annotate_for_users : tensor<2048x4096xf32>
  %a = xf.gelu %hu : (tensor<2048x4096xf32>) -> tensor<2048x4096xf32>
  %as = mesh.shard %a to <@mesh, []> : tensor<2048x4096xf32>
  %au = mesh.shard %as to <@mesh, []> annotate_for_users : tensor<2048x4096xf32>
  %w2s = mesh.shard %w2 to <@mesh, []> annotate_for_users : tensor<4096x1024xf32>
  %y = xf.linear %au, %w2s : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  %ys = mesh.shard %y to <@mesh, []> : tensor<2048x1024xf32>
  %yu = mesh.shard %ys to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  return %yu : tensor<2048x1024xf32>
}
