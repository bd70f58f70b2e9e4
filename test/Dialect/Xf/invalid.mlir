// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Verifier errors of the xf ops: at least one case per distinct message in
// XfOps.cpp, then the ODS type and attribute constraints. Cases are grouped
// by op; the shared checks (rank, element type, dim range, declared result
// type) are exercised on several ops.

//===----------------------------------------------------------------------===//
// ODS constraints
//===----------------------------------------------------------------------===//

func.func @dynamic_shape(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'xf.silu' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values without encoding, but got 'tensor<?x4xf32>'}}
  %0 = xf.silu %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @integer_where_float_required(%x: tensor<4xi32>) {
  // expected-error @+1 {{'xf.silu' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values without encoding, but got 'tensor<4xi32>'}}
  %0 = xf.silu %x : (tensor<4xi32>) -> tensor<4xi32>
  return
}

// -----

func.func @integer_weight(%x: tensor<2x8xf32>, %w: tensor<8x4xi32>) {
  // expected-error @+1 {{'xf.linear' op operand #1 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values without encoding, but got 'tensor<8x4xi32>'}}
  %0 = xf.linear %x, %w : (tensor<2x8xf32>, tensor<8x4xi32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @vector_operand(%x: vector<4xf32>) {
  // expected-error @+1 {{'xf.gelu' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values without encoding, but got 'vector<4xf32>'}}
  %0 = xf.gelu %x : (vector<4xf32>) -> vector<4xf32>
  return
}

// -----

func.func @f8_element_type(%x: tensor<4xf8E4M3FN>) {
  // expected-error @+1 {{'xf.softmax' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values without encoding, but got 'tensor<4xf8E4M3FN>'}}
  %0 = xf.softmax %x dim = 0 : (tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN>
  return
}

// -----

func.func @float_ids(%table: tensor<10x4xf32>, %ids: tensor<2xf32>) {
  // expected-error @+1 {{'xf.embedding' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values without encoding, but got 'tensor<2xf32>'}}
  %0 = xf.embedding %table[%ids] : (tensor<10x4xf32>, tensor<2xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @i16_ids(%table: tensor<10x4xf32>, %ids: tensor<2xi16>) {
  // expected-error @+1 {{'xf.embedding' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values without encoding, but got 'tensor<2xi16>'}}
  %0 = xf.embedding %table[%ids] : (tensor<10x4xf32>, tensor<2xi16>) -> tensor<2x4xf32>
  return
}

// -----

func.func @integer_result(%table: tensor<10x4xf32>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{'xf.embedding' op result #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values without encoding, but got 'tensor<2x4xi32>'}}
  %0 = xf.embedding %table[%ids] : (tensor<10x4xf32>, tensor<2xi32>) -> tensor<2x4xi32>
  return
}

// -----

func.func @float_positions(%x: tensor<1x4x2x8xf32>, %pos: tensor<1x4xf32>) {
  // expected-error @+1 {{'xf.rope' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values without encoding, but got 'tensor<1x4xf32>'}}
  %0 = xf.rope %x positions(%pos) theta = 1.0e+04 : (tensor<1x4x2x8xf32>, tensor<1x4xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

// Shape ops take any element type, but still only static shapes.
func.func @unranked_reshape(%x: tensor<*xf32>) {
  // expected-error @+1 {{'xf.reshape' op operand #0 must be statically shaped tensor of any type values without encoding, but got 'tensor<*xf32>'}}
  %0 = "xf.reshape"(%x) : (tensor<*xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @dynamic_reshape_result(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.reshape' op result #0 must be statically shaped tensor of any type values without encoding, but got 'tensor<?xf32>'}}
  %0 = xf.reshape %x : tensor<4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @missing_dim(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.softmax' op requires attribute 'dim'}}
  %0 = "xf.softmax"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @i32_dim(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.softmax' op attribute 'dim' failed to satisfy constraint: 64-bit signless integer attribute}}
  %0 = "xf.softmax"(%x) {dim = 0 : i32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @missing_permutation(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.transpose' op requires attribute 'permutation'}}
  %0 = "xf.transpose"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @unknown_gelu_approximation(%x: tensor<4xf32>) {
  // expected-error @+2 {{expected ::weft::xf::GeluApproximation to be one of: none, tanh}}
  // expected-error @+1 {{failed to parse Xf_GeluApproximationAttr parameter 'value'}}
  %0 = xf.gelu %x approximate = exact : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.embedding
//===----------------------------------------------------------------------===//

func.func @embedding_table_rank(%table: tensor<10xf32>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{'xf.embedding' op expected table of rank 2, got rank 1 ('tensor<10xf32>')}}
  %0 = xf.embedding %table[%ids] : (tensor<10xf32>, tensor<2xi32>) -> tensor<2xf32>
  return
}

// -----

func.func @embedding_result_shape(%table: tensor<10x4xf32>, %ids: tensor<2x3xi64>) {
  // expected-error @+1 {{'xf.embedding' op expected result #0 of type 'tensor<2x3x4xf32>', got 'tensor<6x4xf32>'}}
  %0 = xf.embedding %table[%ids] : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<6x4xf32>
  return
}

// -----

func.func @embedding_result_element_type(%table: tensor<10x4xbf16>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{'xf.embedding' op expected result #0 of type 'tensor<2x4xbf16>', got 'tensor<2x4xf32>'}}
  %0 = xf.embedding %table[%ids] : (tensor<10x4xbf16>, tensor<2xi32>) -> tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.linear
//===----------------------------------------------------------------------===//

func.func @linear_input_rank(%x: tensor<f32>, %w: tensor<1x4xf32>) {
  // expected-error @+1 {{'xf.linear' op expected input of rank at least 1, got rank 0 ('tensor<f32>')}}
  %0 = xf.linear %x, %w : (tensor<f32>, tensor<1x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'xf.linear' op expected weight of rank 2, got rank 3 ('tensor<2x8x4xf32>')}}
  %0 = xf.linear %x, %w : (tensor<2x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_weight_element_type(%x: tensor<2x8xf32>, %w: tensor<8x4xf16>) {
  // expected-error @+1 {{'xf.linear' op expected weight element type 'f32' (that of input), got 'f16'}}
  %0 = xf.linear %x, %w : (tensor<2x8xf32>, tensor<8x4xf16>) -> tensor<2x4xf32>
  return
}

// -----

// The weight is [in, out]; a PyTorch-style [out, in] weight is rejected.
func.func @linear_in_features(%x: tensor<2x16x768xf32>, %w: tensor<3072x768xf32>) {
  // expected-error @+1 {{'xf.linear' op expected weight dim 0 (in features) to be 768 (the input's last dim), got 3072}}
  %0 = xf.linear %x, %w : (tensor<2x16x768xf32>, tensor<3072x768xf32>) -> tensor<2x16x768xf32>
  return
}

// -----

func.func @linear_bias_rank(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{'xf.linear' op expected bias of rank 1, got rank 2 ('tensor<1x4xf32>')}}
  %0 = xf.linear %x, %w, %b : (tensor<2x8xf32>, tensor<8x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias_element_type(%x: tensor<2x8xbf16>, %w: tensor<8x4xbf16>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'xf.linear' op expected bias element type 'bf16' (that of input), got 'f32'}}
  %0 = xf.linear %x, %w, %b : (tensor<2x8xbf16>, tensor<8x4xbf16>, tensor<4xf32>) -> tensor<2x4xbf16>
  return
}

// -----

func.func @linear_bias_size(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'xf.linear' op expected bias of size 4 (weight dim 1, out features), got 8}}
  %0 = xf.linear %x, %w, %b : (tensor<2x8xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result_type(%x: tensor<2x16x768xf32>, %w: tensor<768x64xf32>) {
  // expected-error @+1 {{'xf.linear' op expected result #0 of type 'tensor<2x16x64xf32>', got 'tensor<2x16x768xf32>'}}
  %0 = xf.linear %x, %w : (tensor<2x16x768xf32>, tensor<768x64xf32>) -> tensor<2x16x768xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.matmul
//===----------------------------------------------------------------------===//

func.func @matmul_lhs_rank(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'xf.matmul' op expected lhs of rank at least 2, got rank 1 ('tensor<4xf32>')}}
  %0 = xf.matmul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// No broadcasting of batch dims: both operands have the same rank.
func.func @matmul_rhs_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'xf.matmul' op expected rhs of rank 3, got rank 2 ('tensor<4x5xf32>')}}
  %0 = xf.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  return
}

// -----

func.func @matmul_element_type(%a: tensor<3x4xf32>, %b: tensor<4x5xf64>) {
  // expected-error @+1 {{'xf.matmul' op expected rhs element type 'f32' (that of lhs), got 'f64'}}
  %0 = xf.matmul %a, %b : (tensor<3x4xf32>, tensor<4x5xf64>) -> tensor<3x5xf32>
  return
}

// -----

func.func @matmul_batch_dim(%a: tensor<2x12x16x64xf32>, %b: tensor<2x8x64x16xf32>) {
  // expected-error @+1 {{'xf.matmul' op expected rhs batch dim 1 to be 12 (as in lhs), got 8}}
  %0 = xf.matmul %a, %b : (tensor<2x12x16x64xf32>, tensor<2x8x64x16xf32>) -> tensor<2x12x16x16xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>) {
  // expected-error @+1 {{'xf.matmul' op expected rhs contraction dim 0 to be 4 (lhs dim 1), got 5}}
  %0 = xf.matmul %a, %b : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// With transpose_rhs the contraction dim of rhs is its last.
func.func @matmul_contraction_transposed(%q: tensor<2x16x64xf16>, %k: tensor<2x64x16xf16>) {
  // expected-error @+1 {{'xf.matmul' op expected rhs contraction dim 2 to be 64 (lhs dim 2), got 16}}
  %0 = xf.matmul %q, %k transpose_rhs : (tensor<2x16x64xf16>, tensor<2x64x16xf16>) -> tensor<2x16x64xf16>
  return
}

// -----

func.func @matmul_result_type(%q: tensor<2x16x64xf16>, %k: tensor<2x32x64xf16>) {
  // expected-error @+1 {{'xf.matmul' op expected result #0 of type 'tensor<2x16x32xf16>', got 'tensor<2x16x16xf16>'}}
  %0 = xf.matmul %q, %k transpose_rhs : (tensor<2x16x64xf16>, tensor<2x32x64xf16>) -> tensor<2x16x16xf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.layer_norm, xf.rms_norm
//===----------------------------------------------------------------------===//

func.func @layer_norm_input_rank(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'xf.layer_norm' op expected input of rank at least 1, got rank 0 ('tensor<f32>')}}
  %0 = xf.layer_norm %x, %g, %g epsilon = 1.0e-05 : (tensor<f32>, tensor<1xf32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @layer_norm_gamma_rank(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'xf.layer_norm' op expected gamma of rank 1, got rank 2 ('tensor<2x8xf32>')}}
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_gamma_element_type(%x: tensor<2x8xbf16>, %g: tensor<8xf32>, %b: tensor<8xbf16>) {
  // expected-error @+1 {{'xf.layer_norm' op expected gamma element type 'bf16' (that of input), got 'f32'}}
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x8xbf16>, tensor<8xf32>, tensor<8xbf16>) -> tensor<2x8xbf16>
  return
}

// -----

func.func @layer_norm_gamma_size(%x: tensor<2x8xf32>, %g: tensor<2xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'xf.layer_norm' op expected gamma of size 8 (the input's last dim), got 2}}
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x8xf32>, tensor<2xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_beta_size(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'xf.layer_norm' op expected beta of size 8 (the input's last dim), got 16}}
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x8xf32>, tensor<8xf32>, tensor<16xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_beta_element_type(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf64>) {
  // expected-error @+1 {{'xf.layer_norm' op expected beta element type 'f32' (that of input), got 'f64'}}
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf64>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_zero_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'xf.layer_norm' op expected epsilon to be positive and finite, got 0.000000e+00}}
  %0 = xf.layer_norm %x, %g, %g epsilon = 0.0 : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_result_type(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'xf.layer_norm' op expected result #0 of type 'tensor<2x8xf32>', got 'tensor<2x8xf16>'}}
  %0 = xf.layer_norm %x, %g, %g epsilon = 1.0e-05 : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf16>
  return
}

// -----

func.func @rms_norm_input_rank(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'xf.rms_norm' op expected input of rank at least 1, got rank 0 ('tensor<f32>')}}
  %0 = xf.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @rms_norm_gamma_size(%x: tensor<1x32x4096xbf16>, %g: tensor<32xbf16>) {
  // expected-error @+1 {{'xf.rms_norm' op expected gamma of size 4096 (the input's last dim), got 32}}
  %0 = xf.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<1x32x4096xbf16>, tensor<32xbf16>) -> tensor<1x32x4096xbf16>
  return
}

// -----

func.func @rms_norm_gamma_element_type(%x: tensor<4x8xf16>, %g: tensor<8xbf16>) {
  // expected-error @+1 {{'xf.rms_norm' op expected gamma element type 'f16' (that of input), got 'bf16'}}
  %0 = xf.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<4x8xf16>, tensor<8xbf16>) -> tensor<4x8xf16>
  return
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'xf.rms_norm' op expected epsilon to be positive and finite, got -1.500000e+00}}
  %0 = xf.rms_norm %x, %g epsilon = -1.5 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// +infinity, written as its bit pattern.
func.func @rms_norm_infinite_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'xf.rms_norm' op expected epsilon to be positive and finite, got INF}}
  %0 = xf.rms_norm %x, %g epsilon = 0x7FF0000000000000 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// A NaN epsilon, in the generic syntax.
func.func @rms_norm_nan_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'xf.rms_norm' op expected epsilon to be positive and finite, got nan}}
  %0 = "xf.rms_norm"(%x, %g) {epsilon = 0x7FF8000000000000 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.softmax, xf.gelu, xf.silu
//===----------------------------------------------------------------------===//

func.func @softmax_negative_dim(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'xf.softmax' op expected dim in [0, 2), got -1}}
  %0 = xf.softmax %x dim = -1 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @softmax_dim_past_rank(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'xf.softmax' op expected dim in [0, 2), got 2}}
  %0 = xf.softmax %x dim = 2 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// A rank-0 tensor has no dim to reduce over.
func.func @softmax_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'xf.softmax' op expected dim in [0, 0), got 0}}
  %0 = xf.softmax %x dim = 0 : (tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @softmax_result_type(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'xf.softmax' op expected result #0 of type 'tensor<2x8xf32>', got 'tensor<8x2xf32>'}}
  %0 = xf.softmax %x dim = 1 : (tensor<2x8xf32>) -> tensor<8x2xf32>
  return
}

// -----

func.func @gelu_result_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.gelu' op expected result #0 of type 'tensor<4xf32>', got 'tensor<4xf16>'}}
  %0 = xf.gelu %x approximate = tanh : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @silu_result_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.silu' op expected result #0 of type 'tensor<4xf32>', got 'tensor<1x4xf32>'}}
  %0 = xf.silu %x : (tensor<4xf32>) -> tensor<1x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.add, xf.mul
//===----------------------------------------------------------------------===//

func.func @add_element_type(%x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error @+1 {{'xf.add' op expected rhs element type 'f32' (that of lhs), got 'f16'}}
  %0 = xf.add %x, %y : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @add_incompatible(%x: tensor<4xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{'xf.add' op expected broadcast-compatible shapes, got 4 and 3 (sizes 4 and 3 at dim 0 of the broadcast shape)}}
  %0 = xf.add %x, %y : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

// Shapes align at the last dim: [8, 768] lines up with [16, 768], not [2, 16].
func.func @mul_incompatible(%x: tensor<2x16x768xf32>, %y: tensor<8x768xf32>) {
  // expected-error @+1 {{'xf.mul' op expected broadcast-compatible shapes, got 2x16x768 and 8x768 (sizes 16 and 8 at dim 1 of the broadcast shape)}}
  %0 = xf.mul %x, %y : (tensor<2x16x768xf32>, tensor<8x768xf32>) -> tensor<2x16x768xf32>
  return
}

// -----

// The result has the broadcast shape, not the shape of either operand.
func.func @add_result_not_broadcast(%x: tensor<2x1xf32>, %y: tensor<1x3xf32>) {
  // expected-error @+1 {{'xf.add' op expected result #0 of type 'tensor<2x3xf32>', got 'tensor<2x1xf32>'}}
  %0 = xf.add %x, %y : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @mul_result_element_type(%x: tensor<4xbf16>, %y: tensor<4xbf16>) {
  // expected-error @+1 {{'xf.mul' op expected result #0 of type 'tensor<4xbf16>', got 'tensor<4xf32>'}}
  %0 = xf.mul %x, %y : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.rope
//===----------------------------------------------------------------------===//

func.func @rope_rank(%x: tensor<2x16x768xf32>) {
  // expected-error @+1 {{'xf.rope' op expected input of rank 4, got rank 3 ('tensor<2x16x768xf32>')}}
  %0 = xf.rope %x theta = 1.0e+04 : (tensor<2x16x768xf32>) -> tensor<2x16x768xf32>
  return
}

// -----

func.func @rope_odd_head_dim(%x: tensor<1x4x2x7xf32>) {
  // expected-error @+1 {{'xf.rope' op expected an even head dim (dim 3) to rotate in pairs, got 7}}
  %0 = xf.rope %x theta = 1.0e+04 : (tensor<1x4x2x7xf32>) -> tensor<1x4x2x7xf32>
  return
}

// -----

func.func @rope_zero_theta(%x: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.rope' op expected theta to be positive and finite, got 0.000000e+00}}
  %0 = xf.rope %x theta = 0.0 : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

// -infinity, written as its bit pattern.
func.func @rope_infinite_theta(%x: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.rope' op expected theta to be positive and finite, got -INF}}
  %0 = xf.rope %x theta = 0xFFF0000000000000 : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

func.func @rope_positions_rank(%x: tensor<1x4x2x8xf32>, %pos: tensor<4xi32>) {
  // expected-error @+1 {{'xf.rope' op expected positions of shape 1x4 (batch x sequence of the input), got 4}}
  %0 = xf.rope %x positions(%pos) theta = 1.0e+04 : (tensor<1x4x2x8xf32>, tensor<4xi32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

func.func @rope_positions_size(%x: tensor<2x16x4x8xbf16>, %pos: tensor<2x8xi64>) {
  // expected-error @+1 {{'xf.rope' op expected positions of shape 2x16 (batch x sequence of the input), got 2x8}}
  %0 = xf.rope %x positions(%pos) theta = 1.0e+04 : (tensor<2x16x4x8xbf16>, tensor<2x8xi64>) -> tensor<2x16x4x8xbf16>
  return
}

// -----

func.func @rope_result_type(%x: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.rope' op expected result #0 of type 'tensor<1x4x2x8xf32>', got 'tensor<1x2x4x8xf32>'}}
  %0 = xf.rope %x theta = 1.0e+04 interleaved : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.attention
//===----------------------------------------------------------------------===//

func.func @attention_query_rank(%q: tensor<16x8x64xf32>, %k: tensor<1x16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected query of rank 4, got rank 3 ('tensor<16x8x64xf32>')}}
  %0 = xf.attention %q, %k, %k : (tensor<16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

// [B, H, S, D] after a head transpose is still rank 4; a rank-5 key is not.
func.func @attention_key_rank(%q: tensor<1x16x8x64xf32>, %k: tensor<1x1x16x8x64xf32>, %v: tensor<1x16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected key of rank 4, got rank 5 ('tensor<1x1x16x8x64xf32>')}}
  %0 = xf.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

func.func @attention_value_rank(%q: tensor<1x16x8x64xf32>, %v: tensor<16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected value of rank 4, got rank 3 ('tensor<16x8x64xf32>')}}
  %0 = xf.attention %q, %q, %v : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<16x8x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

func.func @attention_key_element_type(%q: tensor<1x16x8x64xf16>, %k: tensor<1x16x8x64xf32>, %v: tensor<1x16x8x64xf16>) {
  // expected-error @+1 {{'xf.attention' op expected key element type 'f16' (that of query), got 'f32'}}
  %0 = xf.attention %q, %k, %v : (tensor<1x16x8x64xf16>, tensor<1x16x8x64xf32>, tensor<1x16x8x64xf16>) -> tensor<1x16x8x64xf16>
  return
}

// -----

func.func @attention_value_element_type(%q: tensor<1x16x8x64xf16>, %v: tensor<1x16x8x64xbf16>) {
  // expected-error @+1 {{'xf.attention' op expected value element type 'f16' (that of query), got 'bf16'}}
  %0 = xf.attention %q, %q, %v : (tensor<1x16x8x64xf16>, tensor<1x16x8x64xf16>, tensor<1x16x8x64xbf16>) -> tensor<1x16x8x64xf16>
  return
}

// -----

func.func @attention_key_batch(%q: tensor<2x16x8x64xf32>, %k: tensor<1x16x8x64xf32>, %v: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected key and value batch (dim 0) to be 2 (the query's), got 1 and 2}}
  %0 = xf.attention %q, %k, %v : (tensor<2x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<2x16x8x64xf32>) -> tensor<2x16x8x64xf32>
  return
}

// -----

func.func @attention_value_batch(%q: tensor<2x16x8x64xf32>, %v: tensor<4x16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected key and value batch (dim 0) to be 2 (the query's), got 2 and 4}}
  %0 = xf.attention %q, %q, %v : (tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<4x16x8x64xf32>) -> tensor<2x16x8x64xf32>
  return
}

// -----

func.func @attention_key_head_dim(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x8x32xf32>) {
  // expected-error @+1 {{'xf.attention' op expected key head dim (dim 3) to be 64 (the query's), got 32}}
  %0 = xf.attention %q, %k, %k : (tensor<1x16x8x64xf32>, tensor<1x16x8x32xf32>, tensor<1x16x8x32xf32>) -> tensor<1x16x8x32xf32>
  return
}

// -----

func.func @attention_value_sequence(%q: tensor<1x16x8x64xf32>, %k: tensor<1x32x8x64xf32>, %v: tensor<1x16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected value sequence and heads (dims 1, 2) to be 32, 8 (the key's), got 16, 8}}
  %0 = xf.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x32x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

func.func @attention_value_heads(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x2x64xf32>, %v: tensor<1x16x4x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected value sequence and heads (dims 1, 2) to be 16, 2 (the key's), got 16, 4}}
  %0 = xf.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

func.func @attention_heads_not_dividing(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x3x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected key/value heads 3 to divide query heads 8}}
  %0 = xf.attention %q, %k, %k : (tensor<1x16x8x64xf32>, tensor<1x16x3x64xf32>, tensor<1x16x3x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

// More key/value heads than query heads.
func.func @attention_more_kv_heads(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected key/value heads 8 to divide query heads 4}}
  %0 = xf.attention %q, %k, %k : (tensor<1x16x4x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x4x64xf32>
  return
}

// -----

// Zero key/value heads must not divide by zero.
func.func @attention_zero_kv_heads(%q: tensor<1x4x2x8xf32>, %k: tensor<1x4x0x8xf32>) {
  // expected-error @+1 {{'xf.attention' op expected at least one head, got 2 query and 0 key/value heads}}
  %0 = xf.attention %q, %k, %k : (tensor<1x4x2x8xf32>, tensor<1x4x0x8xf32>, tensor<1x4x0x8xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

// The causal mask is aligned bottom right: fewer keys than queries would
// leave the first queries with no key to attend to.
func.func @attention_causal_short_kv(%q: tensor<1x16x8x64xf32>, %k: tensor<1x8x8x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected a causal key/value sequence of at least 16 (the query's), got 8}}
  %0 = xf.attention %q, %k, %k causal : (tensor<1x16x8x64xf32>, tensor<1x8x8x64xf32>, tensor<1x8x8x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

func.func @attention_zero_scale(%q: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.attention' op expected scale to be positive and finite, got 0.000000e+00}}
  %0 = xf.attention %q, %q, %q scale = 0.0 : (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

func.func @attention_negative_scale(%q: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.attention' op expected scale to be positive and finite, got -5.000000e-01}}
  %0 = xf.attention %q, %q, %q causal scale = -0.5 : (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

func.func @attention_infinite_scale(%q: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.attention' op expected scale to be positive and finite, got INF}}
  %0 = "xf.attention"(%q, %q, %q) {scale = 0x7FF0000000000000 : f64} : (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return
}

// -----

// The result is [B, Sq, Hq, Dv]: the value's head dim, not the query's.
func.func @attention_result_type(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x8x64xf32>, %v: tensor<1x16x8x32xf32>) {
  // expected-error @+1 {{'xf.attention' op expected result #0 of type 'tensor<1x16x8x32xf32>', got 'tensor<1x16x8x64xf32>'}}
  %0 = xf.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x8x32xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

// With grouped-query attention the result keeps the query's heads.
func.func @attention_gqa_result_type(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x2x64xf32>) {
  // expected-error @+1 {{'xf.attention' op expected result #0 of type 'tensor<1x16x8x64xf32>', got 'tensor<1x16x2x64xf32>'}}
  %0 = xf.attention %q, %k, %k : (tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x2x64xf32>) -> tensor<1x16x2x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.reshape
//===----------------------------------------------------------------------===//

func.func @reshape_element_type(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'xf.reshape' op expected result element type 'f32' (the input's), got 'f16'}}
  %0 = xf.reshape %x : tensor<2x8xf32> -> tensor<16xf16>
  return
}

// -----

func.func @reshape_element_count(%x: tensor<2x16x768xf32>) {
  // expected-error @+1 {{'xf.reshape' op expected result with 24576 elements (input shape 2x16x768), got 23808 (shape 2x16x12x62)}}
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x62xf32>
  return
}

// -----

func.func @reshape_to_scalar(%x: tensor<2xi64>) {
  // expected-error @+1 {{'xf.reshape' op expected result with 2 elements (input shape 2), got 1 (shape [])}}
  %0 = xf.reshape %x : tensor<2xi64> -> tensor<i64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.transpose
//===----------------------------------------------------------------------===//

func.func @transpose_short_permutation(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'xf.transpose' op expected a permutation of 3 dims (the input's rank), got 2}}
  %0 = xf.transpose %x permutation = [1, 0] : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  return
}

// -----

func.func @transpose_repeated_dim(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'xf.transpose' op expected a permutation of [0, 3), got [0, 1, 1]}}
  %0 = xf.transpose %x permutation = [0, 1, 1] : (tensor<2x3x4xf32>) -> tensor<2x3x3xf32>
  return
}

// -----

func.func @transpose_dim_out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'xf.transpose' op expected a permutation of [0, 3), got [0, 3, 1]}}
  %0 = xf.transpose %x permutation = [0, 3, 1] : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  return
}

// -----

func.func @transpose_negative_dim(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'xf.transpose' op expected a permutation of [0, 3), got [0, -1, 1]}}
  %0 = xf.transpose %x permutation = [0, -1, 1] : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  return
}

// -----

// Result dim i is input dim permutation[i]: [2, 0, 1] of 2x3x4 is 4x2x3.
func.func @transpose_result_type(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'xf.transpose' op expected result #0 of type 'tensor<4x2x3xf32>', got 'tensor<3x4x2xf32>'}}
  %0 = xf.transpose %x permutation = [2, 0, 1] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  return
}

// -----

func.func @transpose_result_element_type(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'xf.transpose' op expected result #0 of type 'tensor<3x2xi32>', got 'tensor<3x2xi64>'}}
  %0 = xf.transpose %x permutation = [1, 0] : (tensor<2x3xi32>) -> tensor<3x2xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.split
//===----------------------------------------------------------------------===//

func.func @split_dim_out_of_range(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'xf.split' op expected dim in [0, 2), got 2}}
  %0:2 = xf.split %x dim = 2 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @split_negative_dim(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'xf.split' op expected dim in [0, 2), got -1}}
  %0:2 = xf.split %x dim = -1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
  return
}

// -----

// No results: only the generic syntax can say it.
func.func @split_no_results(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.split' op expected at least one result}}
  "xf.split"(%x) {dim = 0 : i64} : (tensor<4xf32>) -> ()
  return
}

// -----

func.func @split_result_rank(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'xf.split' op expected result #1 of rank 2, got rank 1 ('tensor<3xf32>')}}
  %0:2 = xf.split %x dim = 1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<3xf32>
  return
}

// -----

func.func @split_result_element_type(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'xf.split' op expected result #0 element type 'f32' (that of input), got 'f16'}}
  %0:2 = xf.split %x dim = 1 : tensor<2x6xf32> -> tensor<2x3xf16>, tensor<2x3xf32>
  return
}

// -----

func.func @split_other_dim(%x: tensor<2x16x2304xf32>) {
  // expected-error @+1 {{'xf.split' op expected result #2 dim 1 to be 16 (the input's), got 8}}
  %0:3 = xf.split %x dim = 2 : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x8x768xf32>
  return
}

// -----

func.func @split_sizes_short(%x: tensor<2x16x2304xf32>) {
  // expected-error @+1 {{'xf.split' op expected result sizes along dim 2 to sum to 2304 (the input's), got 2048}}
  %0:3 = xf.split %x dim = 2 : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x512xf32>
  return
}

// -----

func.func @split_sizes_long(%x: tensor<6xi64>) {
  // expected-error @+1 {{'xf.split' op expected result sizes along dim 0 to sum to 6 (the input's), got 8}}
  %0:2 = xf.split %x dim = 0 : tensor<6xi64> -> tensor<4xi64>, tensor<4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// xf.concat
//===----------------------------------------------------------------------===//

// No inputs: only the generic syntax can say it.
func.func @concat_no_inputs() {
  // expected-error @+1 {{'xf.concat' op expected at least one input}}
  %0 = "xf.concat"() {dim = 0 : i64} : () -> tensor<4xf32>
  return
}

// -----

func.func @concat_dim_out_of_range(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'xf.concat' op expected dim in [0, 2), got 2}}
  %0 = xf.concat %a, %b dim = 2 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_input_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'xf.concat' op expected input #1 of rank 2, got rank 1 ('tensor<3xf32>')}}
  %0 = xf.concat %a, %b dim = 0 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_element_type(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %c: tensor<2x3xbf16>) {
  // expected-error @+1 {{'xf.concat' op expected input #2 element type 'f32' (that of input #0), got 'bf16'}}
  %0 = xf.concat %a, %b, %c dim = 0 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xbf16>) -> tensor<6x3xf32>
  return
}

// -----

func.func @concat_other_dim(%k: tensor<1x16x8x64xf32>, %v: tensor<1x16x8x32xf32>) {
  // expected-error @+1 {{'xf.concat' op expected input #1 dim 3 to be 64 (as in input #0), got 32}}
  %0 = xf.concat %k, %v dim = 2 : (tensor<1x16x8x64xf32>, tensor<1x16x8x32xf32>) -> tensor<1x16x16x64xf32>
  return
}

// -----

func.func @concat_result_type(%a: tensor<1x100x8x64xf16>, %b: tensor<1x28x8x64xf16>) {
  // expected-error @+1 {{'xf.concat' op expected result #0 of type 'tensor<1x128x8x64xf16>', got 'tensor<1x100x16x64xf16>'}}
  %0 = xf.concat %a, %b dim = 1 : (tensor<1x100x8x64xf16>, tensor<1x28x8x64xf16>) -> tensor<1x100x16x64xf16>
  return
}

// -----

// Element counts that overflow 64 bits cannot be compared.
func.func @reshape_count_overflow(%x: tensor<4294967296x4294967296xf32>) {
  // expected-error @+1 {{'xf.reshape' op expected the input element count to fit in 64 bits, got shape 4294967296x4294967296}}
  %0 = xf.reshape %x : tensor<4294967296x4294967296xf32> -> tensor<0xf32>
  return
}

// -----

func.func @attention_zero_query_heads(%q: tensor<1x4x0x8xf32>, %k: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'xf.attention' op expected at least one head, got 0 query and 2 key/value heads}}
  %0 = xf.attention %q, %k, %k : (tensor<1x4x0x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x0x8xf32>
  return
}

// -----

// Concatenated sizes that overflow 64 bits are an error, not a wrapped size.
func.func @concat_overflow(%x: tensor<9223372036854775807xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'xf.concat' op expected the concatenated size along dim 0 to fit in 64 bits}}
  %0 = xf.concat %x, %y dim = 0 : (tensor<9223372036854775807xf32>, tensor<4xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @split_overflow(%x: tensor<4xf32>) {
  // expected-error @+1 {{'xf.split' op expected result sizes along dim 0 to sum to 4 (the input's), got a sum beyond 64 bits}}
  %0:3 = xf.split %x dim = 0 : tensor<4xf32> -> tensor<9223372036854775807xf32>, tensor<9223372036854775807xf32>, tensor<6xf32>
  return
}

// -----

func.func @attention_zero_head_dim(%q: tensor<1x4x2x0xf32>) {
  // expected-error @+1 {{'xf.attention' op expected a positive head dim (query dim 3), got 0}}
  %0 = xf.attention %q, %q, %q : (tensor<1x4x2x0xf32>, tensor<1x4x2x0xf32>, tensor<1x4x2x0xf32>) -> tensor<1x4x2x0xf32>
  return
}

// -----

// Encoded tensors (e.g. sparse layouts) are not xf operands.
func.func @encoded_operand(%x: tensor<2x3xf32, "a">) {
  // expected-error @+1 {{'xf.transpose' op operand #0 must be statically shaped tensor of any type values without encoding, but got 'tensor<2x3xf32, "a">'}}
  %0 = xf.transpose %x permutation = [1, 0] : (tensor<2x3xf32, "a">) -> tensor<3x2xf32>
  return
}

// -----

// A zero-sized dimension makes the count 0 however large the others are.
func.func @reshape_empty(%x: tensor<9223372036854775807x2x0xf32>) {
  // expected-error @+1 {{'xf.reshape' op expected result with 0 elements (input shape 9223372036854775807x2x0), got 1 (shape 1)}}
  %0 = xf.reshape %x : tensor<9223372036854775807x2x0xf32> -> tensor<1xf32>
  return
}

// -----

func.func @offset_without_causal(%q: tensor<1x8x4x16xf32>, %k: tensor<1x32x2x16xf32>, %i: index) -> tensor<1x8x4x16xf32> {
  // expected-error @+1 {{'xf.attention' op expected causal_offset only with causal}}
  %o = xf.attention %q, %k, %k causal_offset(%i)
      : (tensor<1x8x4x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, index) -> tensor<1x8x4x16xf32>
  return %o : tensor<1x8x4x16xf32>
}
