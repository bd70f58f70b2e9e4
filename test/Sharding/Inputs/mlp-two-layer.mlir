// Two-layer MLP y = (x · w1) · w2 with only w1 annotated, split by columns
// over a 4-GPU mesh; everything else is left for the sharder to decide.
// upstream-mlp-propagation.mlir runs upstream MLIR on the same graph.

mesh.mesh @mesh(preset = "4xH100-NVLink")

func.func @mlp(%x: tensor<8x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<8x1024xf32> {
  %w1s = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
  %h = xf.linear %x, %w1s : (tensor<8x1024xf32>, tensor<1024x4096xf32>) -> tensor<8x4096xf32>
  %y = xf.linear %h, %w2 : (tensor<8x4096xf32>, tensor<4096x1024xf32>) -> tensor<8x1024xf32>
  return %y : tensor<8x1024xf32>
}
