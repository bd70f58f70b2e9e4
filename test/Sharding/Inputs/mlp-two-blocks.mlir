// Two residual GELU MLP blocks, y1 = x + gelu(x · w1) · w2 and
// y2 = y1 + gelu(y1 · w3) · w4, with only w1 annotated, split by columns
// over a 4-GPU mesh; everything else is left for the sharder to decide.
// upstream-mlp-two-blocks.mlir runs upstream MLIR on the same graph.

mesh.mesh @mesh(preset = "4xH100-NVLink")

func.func @mlp(%x: tensor<2048x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"},
               %w3: tensor<1024x4096xf32> {xf.name = "w3", xf.role = "weight"},
               %w4: tensor<4096x1024xf32> {xf.name = "w4", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %w1s = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
  %h1 = xf.linear %x, %w1s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %a1 = xf.gelu %h1 : (tensor<2048x4096xf32>) -> tensor<2048x4096xf32>
  %f1 = xf.linear %a1, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  %y1 = xf.add %x, %f1 : (tensor<2048x1024xf32>, tensor<2048x1024xf32>) -> tensor<2048x1024xf32>
  %h3 = xf.linear %y1, %w3 : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %a3 = xf.gelu %h3 : (tensor<2048x4096xf32>) -> tensor<2048x4096xf32>
  %f2 = xf.linear %a3, %w4 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  %y2 = xf.add %y1, %f2 : (tensor<2048x1024xf32>, tensor<2048x1024xf32>) -> tensor<2048x1024xf32>
  return %y2 : tensor<2048x1024xf32>
}
