// mlp-two-blocks.mlir with every value annotated as upstream MLIR 22's
// sharding-propagation decides (see upstream-mlp-two-blocks.mlir): the
// Megatron column/row pair for the first block, the second block
// replicated.
//
//   x       replicated
//   w1      split on dimension 1 (columns): the input annotation
//   h1, a1  split on dimension 1
//   w2      split on dimension 0 (rows)
//   f1      produced as a partial sum over mesh axis 0, consumed replicated
//           (one all_reduce)
//   y1      replicated
//   w3, w4  replicated
//   h3, a3  replicated
//   f2, y2  replicated
//
// Upstream writes f1 as replicated: MLIR 22's !shard.sharding has no partial
// axes, and shard-partition inserts the all_reduce after the local matmul
// whose reduction dimension is split. Weft's sharding states the pending sum
// explicitly, as `partial = sum[0]` on the produced value.

mesh.mesh @mesh(preset = "4xH100-NVLink")

func.func @mlp(%x: tensor<2048x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"},
               %w3: tensor<1024x4096xf32> {xf.name = "w3", xf.role = "weight"},
               %w4: tensor<4096x1024xf32> {xf.name = "w4", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  // Block 1.
  %xs = mesh.shard %x to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  %w1s = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
  %h1 = xf.linear %xs, %w1s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %h1s = mesh.shard %h1 to <@mesh, [[], [0]]> : tensor<2048x4096xf32>
  %h1u = mesh.shard %h1s to <@mesh, [[], [0]]> annotate_for_users : tensor<2048x4096xf32>
  %a1 = xf.gelu %h1u : (tensor<2048x4096xf32>) -> tensor<2048x4096xf32>
  %a1s = mesh.shard %a1 to <@mesh, [[], [0]]> : tensor<2048x4096xf32>
  %a1u = mesh.shard %a1s to <@mesh, [[], [0]]> annotate_for_users : tensor<2048x4096xf32>
  %w2s = mesh.shard %w2 to <@mesh, [[0]]> annotate_for_users : tensor<4096x1024xf32>
  %f1 = xf.linear %a1u, %w2s : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  %f1s = mesh.shard %f1 to <@mesh, [], partial = sum[0]> : tensor<2048x1024xf32>
  %f1u = mesh.shard %f1s to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  %xr = mesh.shard %x to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  %y1 = xf.add %xr, %f1u : (tensor<2048x1024xf32>, tensor<2048x1024xf32>) -> tensor<2048x1024xf32>
  %y1s = mesh.shard %y1 to <@mesh, []> : tensor<2048x1024xf32>
  // Block 2.
  %y1u = mesh.shard %y1s to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  %w3s = mesh.shard %w3 to <@mesh, []> annotate_for_users : tensor<1024x4096xf32>
  %h3 = xf.linear %y1u, %w3s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %h3s = mesh.shard %h3 to <@mesh, []> : tensor<2048x4096xf32>
  %h3u = mesh.shard %h3s to <@mesh, []> annotate_for_users : tensor<2048x4096xf32>
  %a3 = xf.gelu %h3u : (tensor<2048x4096xf32>) -> tensor<2048x4096xf32>
  %a3s = mesh.shard %a3 to <@mesh, []> : tensor<2048x4096xf32>
  %a3u = mesh.shard %a3s to <@mesh, []> annotate_for_users : tensor<2048x4096xf32>
  %w4s = mesh.shard %w4 to <@mesh, []> annotate_for_users : tensor<4096x1024xf32>
  %f2 = xf.linear %a3u, %w4s : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  %f2s = mesh.shard %f2 to <@mesh, []> : tensor<2048x1024xf32>
  %f2u = mesh.shard %f2s to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  %y1r = mesh.shard %y1s to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  %y2 = xf.add %y1r, %f2u : (tensor<2048x1024xf32>, tensor<2048x1024xf32>) -> tensor<2048x1024xf32>
  %y2s = mesh.shard %y2 to <@mesh, []> : tensor<2048x1024xf32>
  %y2u = mesh.shard %y2s to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
  return %y2u : tensor<2048x1024xf32>
}
