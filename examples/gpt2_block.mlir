// One GPT-2 small transformer block (d_model 768, 12 heads of 64, MLP 3072,
// tanh GELU, pre-norm residuals) on one node of 8 H100s. The MLP weights
// carry Megatron-style hints: the first projection split by columns, the
// second by rows, its output a pending sum over the GPUs.
//
//   weft-opt examples/gpt2_block.mlir

mesh.mesh @node(preset = "8xH100-NVLink")

func.func @gpt2_block(
    %x: tensor<1x128x768xf32>,
    %ln1_g: tensor<768xf32>, %ln1_b: tensor<768xf32>,
    %w_qkv: tensor<768x2304xf32>, %b_qkv: tensor<2304xf32>,
    %w_proj: tensor<768x768xf32>, %b_proj: tensor<768xf32>,
    %ln2_g: tensor<768xf32>, %ln2_b: tensor<768xf32>,
    %w_fc: tensor<768x3072xf32>, %b_fc: tensor<3072xf32>,
    %w_out: tensor<3072x768xf32>, %b_out: tensor<768xf32>)
    -> tensor<1x128x768xf32> {
  // Attention: LayerNorm, fused QKV projection, causal multi-head attention.
  %h = xf.layer_norm %x, %ln1_g, %ln1_b epsilon = 1.0e-05
      : (tensor<1x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32>
  %qkv = xf.linear %h, %w_qkv, %b_qkv
      : (tensor<1x128x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<1x128x2304xf32>
  %q, %k, %v = xf.split %qkv dim = 2
      : tensor<1x128x2304xf32> -> tensor<1x128x768xf32>, tensor<1x128x768xf32>, tensor<1x128x768xf32>
  %qh = xf.reshape %q : tensor<1x128x768xf32> -> tensor<1x128x12x64xf32>
  %kh = xf.reshape %k : tensor<1x128x768xf32> -> tensor<1x128x12x64xf32>
  %vh = xf.reshape %v : tensor<1x128x768xf32> -> tensor<1x128x12x64xf32>
  %att = xf.attention %qh, %kh, %vh causal
      : (tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>) -> tensor<1x128x12x64xf32>
  %merged = xf.reshape %att : tensor<1x128x12x64xf32> -> tensor<1x128x768xf32>
  %proj = xf.linear %merged, %w_proj, %b_proj
      : (tensor<1x128x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32>
  %x1 = xf.add %x, %proj
      : (tensor<1x128x768xf32>, tensor<1x128x768xf32>) -> tensor<1x128x768xf32>

  // MLP: LayerNorm, column-parallel expansion, GELU, row-parallel projection.
  %h2 = xf.layer_norm %x1, %ln2_g, %ln2_b epsilon = 1.0e-05
      : (tensor<1x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32>
  %w_fc_s = mesh.shard %w_fc to <@node, [[], [0]]> annotate_for_users : tensor<768x3072xf32>
  %fc = xf.linear %h2, %w_fc_s, %b_fc
      : (tensor<1x128x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>) -> tensor<1x128x3072xf32>
  %act = xf.gelu %fc approximate = tanh
      : (tensor<1x128x3072xf32>) -> tensor<1x128x3072xf32>
  %w_out_s = mesh.shard %w_out to <@node, [[0]]> annotate_for_users : tensor<3072x768xf32>
  %out = xf.linear %act, %w_out_s, %b_out
      : (tensor<1x128x3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32>
  %out_s = mesh.shard %out to <@node, [], partial = sum[0]> : tensor<1x128x768xf32>
  %y = xf.add %x1, %out_s
      : (tensor<1x128x768xf32>, tensor<1x128x768xf32>) -> tensor<1x128x768xf32>
  return %y : tensor<1x128x768xf32>
}
