// Two-layer GELU MLP y = gelu(x · w1) · w2 with only w1 annotated, split by
// rows (its reduction dimension) over a 4-GPU mesh; everything else is left
// for the sharder to decide. upstream-mlp-row-split.mlir runs upstream MLIR
// on the same graph.

mesh.mesh @mesh(preset = "4xH100-NVLink")

func.func @mlp(%x: tensor<2048x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %w1s = mesh.shard %w1 to <@mesh, [[0]]> annotate_for_users : tensor<1024x4096xf32>
  %h = xf.linear %x, %w1s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %a = xf.gelu %h : (tensor<2048x4096xf32>) -> tensor<2048x4096xf32>
  %y = xf.linear %a, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  return %y : tensor<2048x1024xf32>
}
