// mlp-two-layer.mlir with every value annotated as upstream MLIR 22's
// sharding-propagation decides (see upstream-mlp-propagation.mlir): the
// Megatron column/row pair, not an all-gather of h.
//
//   x   replicated
//   w1  split on dimension 1 (columns): the input annotation
//   h   produced split on dimension 1, consumed split on dimension 1
//   w2  split on dimension 0 (rows)
//   y   produced as a partial sum over mesh axis 0, consumed replicated
//       (one all_reduce)
//
// Upstream writes y as replicated: MLIR 22's !shard.sharding has no partial
// axes, and shard-partition inserts the all_reduce after the local matmul
// whose reduction dimension is split. Weft's sharding states the pending sum
// explicitly, as `partial = sum[0]` on the produced value.

mesh.mesh @mesh(preset = "4xH100-NVLink")

func.func @mlp(%x: tensor<8x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<8x1024xf32> {
  %xs = mesh.shard %x to <@mesh, []> annotate_for_users : tensor<8x1024xf32>
  %w1s = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
  %h = xf.linear %xs, %w1s : (tensor<8x1024xf32>, tensor<1024x4096xf32>) -> tensor<8x4096xf32>
  %hs = mesh.shard %h to <@mesh, [[], [0]]> : tensor<8x4096xf32>
  %hu = mesh.shard %hs to <@mesh, [[], [0]]> annotate_for_users : tensor<8x4096xf32>
  %w2s = mesh.shard %w2 to <@mesh, [[0]]> annotate_for_users : tensor<4096x1024xf32>
  %y = xf.linear %hu, %w2s : (tensor<8x4096xf32>, tensor<4096x1024xf32>) -> tensor<8x1024xf32>
  %ys = mesh.shard %y to <@mesh, [], partial = sum[0]> : tensor<8x1024xf32>
  %yu = mesh.shard %ys to <@mesh, []> annotate_for_users : tensor<8x1024xf32>
  return %yu : tensor<8x1024xf32>
}
