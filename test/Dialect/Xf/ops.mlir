// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s --mlir-print-op-generic | weft-opt | FileCheck %s

// Round trip of every xf op through the custom syntax, and through the
// generic syntax back to the custom one. Each CHECK checks the printed op in
// full: operands, attributes and types.

//===----------------------------------------------------------------------===//
// xf.embedding
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @embedding_f32_i32
// CHECK-SAME: (%[[TABLE:.*]]: tensor<50257x768xf32>, %[[IDS:.*]]: tensor<2x16xi32>)
// CHECK-NEXT: %[[R:.*]] = xf.embedding %[[TABLE]][%[[IDS]]] : (tensor<50257x768xf32>, tensor<2x16xi32>) -> tensor<2x16x768xf32>
// CHECK-NEXT: return %[[R]] : tensor<2x16x768xf32>
func.func @embedding_f32_i32(%table: tensor<50257x768xf32>, %ids: tensor<2x16xi32>) -> tensor<2x16x768xf32> {
  %0 = xf.embedding %table[%ids] : (tensor<50257x768xf32>, tensor<2x16xi32>) -> tensor<2x16x768xf32>
  return %0 : tensor<2x16x768xf32>
}

// CHECK-LABEL: func @embedding_bf16_i64
// CHECK-SAME: (%[[TABLE:.*]]: tensor<32000x128xbf16>, %[[IDS:.*]]: tensor<1x8xi64>)
// CHECK-NEXT: %[[R:.*]] = xf.embedding %[[TABLE]][%[[IDS]]] : (tensor<32000x128xbf16>, tensor<1x8xi64>) -> tensor<1x8x128xbf16>
// CHECK-NEXT: return %[[R]]
func.func @embedding_bf16_i64(%table: tensor<32000x128xbf16>, %ids: tensor<1x8xi64>) -> tensor<1x8x128xbf16> {
  %0 = xf.embedding %table[%ids] : (tensor<32000x128xbf16>, tensor<1x8xi64>) -> tensor<1x8x128xbf16>
  return %0 : tensor<1x8x128xbf16>
}

// Ids of any rank: a single id (rank 0) gathers one row.
// CHECK-LABEL: func @embedding_scalar_id_f16
// CHECK-SAME: (%[[TABLE:.*]]: tensor<10x4xf16>, %[[IDS:.*]]: tensor<i32>)
// CHECK-NEXT: %[[R:.*]] = xf.embedding %[[TABLE]][%[[IDS]]] : (tensor<10x4xf16>, tensor<i32>) -> tensor<4xf16>
// CHECK-NEXT: return %[[R]]
func.func @embedding_scalar_id_f16(%table: tensor<10x4xf16>, %ids: tensor<i32>) -> tensor<4xf16> {
  %0 = xf.embedding %table[%ids] : (tensor<10x4xf16>, tensor<i32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

//===----------------------------------------------------------------------===//
// xf.linear
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @linear_bias_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>, %[[W:.*]]: tensor<768x3072xf32>, %[[B:.*]]: tensor<3072xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.linear %[[X]], %[[W]], %[[B]] : (tensor<2x16x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>) -> tensor<2x16x3072xf32>
// CHECK-NEXT: return %[[R]]
func.func @linear_bias_f32(%x: tensor<2x16x768xf32>, %w: tensor<768x3072xf32>, %b: tensor<3072xf32>) -> tensor<2x16x3072xf32> {
  %0 = xf.linear %x, %w, %b : (tensor<2x16x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>) -> tensor<2x16x3072xf32>
  return %0 : tensor<2x16x3072xf32>
}

// CHECK-LABEL: func @linear_no_bias_bf16
// CHECK-SAME: (%[[X:.*]]: tensor<1x32x4096xbf16>, %[[W:.*]]: tensor<4096x11008xbf16>)
// CHECK-NEXT: %[[R:.*]] = xf.linear %[[X]], %[[W]] : (tensor<1x32x4096xbf16>, tensor<4096x11008xbf16>) -> tensor<1x32x11008xbf16>
// CHECK-NEXT: return %[[R]]
func.func @linear_no_bias_bf16(%x: tensor<1x32x4096xbf16>, %w: tensor<4096x11008xbf16>) -> tensor<1x32x11008xbf16> {
  %0 = xf.linear %x, %w : (tensor<1x32x4096xbf16>, tensor<4096x11008xbf16>) -> tensor<1x32x11008xbf16>
  return %0 : tensor<1x32x11008xbf16>
}

// A rank-2 input ([tokens, K]) and a rank-1 input (one vector).
// CHECK-LABEL: func @linear_low_rank
// CHECK-SAME: (%[[X2:.*]]: tensor<8x16xf64>, %[[W2:.*]]: tensor<16x4xf64>, %[[B2:.*]]: tensor<4xf64>, %[[X1:.*]]: tensor<16xf16>, %[[W1:.*]]: tensor<16x4xf16>)
// CHECK-NEXT: %[[R2:.*]] = xf.linear %[[X2]], %[[W2]], %[[B2]] : (tensor<8x16xf64>, tensor<16x4xf64>, tensor<4xf64>) -> tensor<8x4xf64>
// CHECK-NEXT: %[[R1:.*]] = xf.linear %[[X1]], %[[W1]] : (tensor<16xf16>, tensor<16x4xf16>) -> tensor<4xf16>
// CHECK-NEXT: return %[[R2]], %[[R1]]
func.func @linear_low_rank(%x2: tensor<8x16xf64>, %w2: tensor<16x4xf64>, %b2: tensor<4xf64>,
                           %x1: tensor<16xf16>, %w1: tensor<16x4xf16>) -> (tensor<8x4xf64>, tensor<4xf16>) {
  %0 = xf.linear %x2, %w2, %b2 : (tensor<8x16xf64>, tensor<16x4xf64>, tensor<4xf64>) -> tensor<8x4xf64>
  %1 = xf.linear %x1, %w1 : (tensor<16xf16>, tensor<16x4xf16>) -> tensor<4xf16>
  return %0, %1 : tensor<8x4xf64>, tensor<4xf16>
}

//===----------------------------------------------------------------------===//
// xf.matmul
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @matmul_f32
// CHECK-SAME: (%[[A:.*]]: tensor<2x12x16x16xf32>, %[[B:.*]]: tensor<2x12x16x64xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.matmul %[[A]], %[[B]] : (tensor<2x12x16x16xf32>, tensor<2x12x16x64xf32>) -> tensor<2x12x16x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @matmul_f32(%p: tensor<2x12x16x16xf32>, %v: tensor<2x12x16x64xf32>) -> tensor<2x12x16x64xf32> {
  %0 = xf.matmul %p, %v : (tensor<2x12x16x16xf32>, tensor<2x12x16x64xf32>) -> tensor<2x12x16x64xf32>
  return %0 : tensor<2x12x16x64xf32>
}

// Q · Kᵀ: rhs is [..., N, K], here with N (32 keys) != M (16 queries).
// CHECK-LABEL: func @matmul_transpose_rhs_f16
// CHECK-SAME: (%[[Q:.*]]: tensor<2x12x16x64xf16>, %[[K:.*]]: tensor<2x12x32x64xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.matmul %[[Q]], %[[K]] transpose_rhs : (tensor<2x12x16x64xf16>, tensor<2x12x32x64xf16>) -> tensor<2x12x16x32xf16>
// CHECK-NEXT: return %[[R]]
func.func @matmul_transpose_rhs_f16(%q: tensor<2x12x16x64xf16>, %k: tensor<2x12x32x64xf16>) -> tensor<2x12x16x32xf16> {
  %0 = xf.matmul %q, %k transpose_rhs : (tensor<2x12x16x64xf16>, tensor<2x12x32x64xf16>) -> tensor<2x12x16x32xf16>
  return %0 : tensor<2x12x16x32xf16>
}

// Plain rank-2 matrix product, no batch dims.
// CHECK-LABEL: func @matmul_2d_f64
// CHECK-SAME: (%[[A:.*]]: tensor<3x4xf64>, %[[B:.*]]: tensor<4x5xf64>)
// CHECK-NEXT: %[[R:.*]] = xf.matmul %[[A]], %[[B]] : (tensor<3x4xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
// CHECK-NEXT: return %[[R]]
func.func @matmul_2d_f64(%a: tensor<3x4xf64>, %b: tensor<4x5xf64>) -> tensor<3x5xf64> {
  %0 = xf.matmul %a, %b : (tensor<3x4xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}

//===----------------------------------------------------------------------===//
// xf.layer_norm, xf.rms_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @layer_norm_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>, %[[G:.*]]: tensor<768xf32>, %[[B:.*]]: tensor<768xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.layer_norm %[[X]], %[[G]], %[[B]] epsilon = 1.000000e-05 : (tensor<2x16x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<2x16x768xf32>
// CHECK-NEXT: return %[[R]]
func.func @layer_norm_f32(%x: tensor<2x16x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<2x16x768xf32> {
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x16x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<2x16x768xf32>
  return %0 : tensor<2x16x768xf32>
}

// CHECK-LABEL: func @layer_norm_f16
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf16>, %[[G:.*]]: tensor<64xf16>, %[[B:.*]]: tensor<64xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.layer_norm %[[X]], %[[G]], %[[B]] epsilon = 2.500000e-01 : (tensor<4x64xf16>, tensor<64xf16>, tensor<64xf16>) -> tensor<4x64xf16>
// CHECK-NEXT: return %[[R]]
func.func @layer_norm_f16(%x: tensor<4x64xf16>, %g: tensor<64xf16>, %b: tensor<64xf16>) -> tensor<4x64xf16> {
  %0 = xf.layer_norm %x, %g, %b epsilon = 0.25 : (tensor<4x64xf16>, tensor<64xf16>, tensor<64xf16>) -> tensor<4x64xf16>
  return %0 : tensor<4x64xf16>
}

// 1e-6 has no short decimal that round-trips through a double, so the
// printer spells out all its digits.
// CHECK-LABEL: func @rms_norm_bf16
// CHECK-SAME: (%[[X:.*]]: tensor<1x32x4096xbf16>, %[[G:.*]]: tensor<4096xbf16>)
// CHECK-NEXT: %[[R:.*]] = xf.rms_norm %[[X]], %[[G]] epsilon = 9.9999999999999995E-7 : (tensor<1x32x4096xbf16>, tensor<4096xbf16>) -> tensor<1x32x4096xbf16>
// CHECK-NEXT: return %[[R]]
func.func @rms_norm_bf16(%x: tensor<1x32x4096xbf16>, %g: tensor<4096xbf16>) -> tensor<1x32x4096xbf16> {
  %0 = xf.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<1x32x4096xbf16>, tensor<4096xbf16>) -> tensor<1x32x4096xbf16>
  return %0 : tensor<1x32x4096xbf16>
}

// CHECK-LABEL: func @rms_norm_f64
// CHECK-SAME: (%[[X:.*]]: tensor<8xf64>, %[[G:.*]]: tensor<8xf64>)
// CHECK-NEXT: %[[R:.*]] = xf.rms_norm %[[X]], %[[G]] epsilon = 1.250000e-01 : (tensor<8xf64>, tensor<8xf64>) -> tensor<8xf64>
// CHECK-NEXT: return %[[R]]
func.func @rms_norm_f64(%x: tensor<8xf64>, %g: tensor<8xf64>) -> tensor<8xf64> {
  %0 = xf.rms_norm %x, %g epsilon = 0.125 : (tensor<8xf64>, tensor<8xf64>) -> tensor<8xf64>
  return %0 : tensor<8xf64>
}

//===----------------------------------------------------------------------===//
// xf.softmax, xf.gelu, xf.silu
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @softmax_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x12x16x16xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.softmax %[[X]] dim = 3 : (tensor<2x12x16x16xf32>) -> tensor<2x12x16x16xf32>
// CHECK-NEXT: return %[[R]]
func.func @softmax_f32(%x: tensor<2x12x16x16xf32>) -> tensor<2x12x16x16xf32> {
  %0 = xf.softmax %x dim = 3 : (tensor<2x12x16x16xf32>) -> tensor<2x12x16x16xf32>
  return %0 : tensor<2x12x16x16xf32>
}

// Softmax need not reduce over the last dimension.
// CHECK-LABEL: func @softmax_dim0_f64
// CHECK-SAME: (%[[X:.*]]: tensor<5x3xf64>)
// CHECK-NEXT: %[[R:.*]] = xf.softmax %[[X]] dim = 0 : (tensor<5x3xf64>) -> tensor<5x3xf64>
// CHECK-NEXT: return %[[R]]
func.func @softmax_dim0_f64(%x: tensor<5x3xf64>) -> tensor<5x3xf64> {
  %0 = xf.softmax %x dim = 0 : (tensor<5x3xf64>) -> tensor<5x3xf64>
  return %0 : tensor<5x3xf64>
}

// The default approximation is not printed, whether it was left out or
// spelled out.
// CHECK-LABEL: func @gelu_default_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x3072xf32>)
// CHECK-NEXT: %[[R0:.*]] = xf.gelu %[[X]] : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
// CHECK-NEXT: %[[R1:.*]] = xf.gelu %[[R0]] : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
// CHECK-NEXT: return %[[R1]]
func.func @gelu_default_f32(%x: tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32> {
  %0 = xf.gelu %x : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
  %1 = xf.gelu %0 approximate = none : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
  return %1 : tensor<2x16x3072xf32>
}

// CHECK-LABEL: func @gelu_tanh_bf16
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x3072xbf16>)
// CHECK-NEXT: %[[R:.*]] = xf.gelu %[[X]] approximate = tanh : (tensor<2x16x3072xbf16>) -> tensor<2x16x3072xbf16>
// CHECK-NEXT: return %[[R]]
func.func @gelu_tanh_bf16(%x: tensor<2x16x3072xbf16>) -> tensor<2x16x3072xbf16> {
  %0 = xf.gelu %x approximate = tanh : (tensor<2x16x3072xbf16>) -> tensor<2x16x3072xbf16>
  return %0 : tensor<2x16x3072xbf16>
}

// CHECK-LABEL: func @silu_f16
// CHECK-SAME: (%[[X:.*]]: tensor<1x32x11008xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.silu %[[X]] : (tensor<1x32x11008xf16>) -> tensor<1x32x11008xf16>
// CHECK-NEXT: return %[[R]]
func.func @silu_f16(%x: tensor<1x32x11008xf16>) -> tensor<1x32x11008xf16> {
  %0 = xf.silu %x : (tensor<1x32x11008xf16>) -> tensor<1x32x11008xf16>
  return %0 : tensor<1x32x11008xf16>
}

//===----------------------------------------------------------------------===//
// xf.add, xf.mul
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @add_same_shape_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>, %[[Y:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.add %[[X]], %[[Y]] : (tensor<2x16x768xf32>, tensor<2x16x768xf32>) -> tensor<2x16x768xf32>
// CHECK-NEXT: return %[[R]]
func.func @add_same_shape_f32(%x: tensor<2x16x768xf32>, %y: tensor<2x16x768xf32>) -> tensor<2x16x768xf32> {
  %0 = xf.add %x, %y : (tensor<2x16x768xf32>, tensor<2x16x768xf32>) -> tensor<2x16x768xf32>
  return %0 : tensor<2x16x768xf32>
}

// A learned position table [S, D] broadcast over the batch, on either side.
// CHECK-LABEL: func @add_broadcast_rank_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>, %[[P:.*]]: tensor<16x768xf32>)
// CHECK-NEXT: %[[R0:.*]] = xf.add %[[X]], %[[P]] : (tensor<2x16x768xf32>, tensor<16x768xf32>) -> tensor<2x16x768xf32>
// CHECK-NEXT: %[[R1:.*]] = xf.add %[[P]], %[[R0]] : (tensor<16x768xf32>, tensor<2x16x768xf32>) -> tensor<2x16x768xf32>
// CHECK-NEXT: return %[[R1]]
func.func @add_broadcast_rank_f32(%x: tensor<2x16x768xf32>, %p: tensor<16x768xf32>) -> tensor<2x16x768xf32> {
  %0 = xf.add %x, %p : (tensor<2x16x768xf32>, tensor<16x768xf32>) -> tensor<2x16x768xf32>
  %1 = xf.add %p, %0 : (tensor<16x768xf32>, tensor<2x16x768xf32>) -> tensor<2x16x768xf32>
  return %1 : tensor<2x16x768xf32>
}

// Size-1 dims on both sides broadcast against each other.
// CHECK-LABEL: func @mul_broadcast_ones_bf16
// CHECK-SAME: (%[[X:.*]]: tensor<2x1x768xbf16>, %[[Y:.*]]: tensor<1x16x1xbf16>)
// CHECK-NEXT: %[[R:.*]] = xf.mul %[[X]], %[[Y]] : (tensor<2x1x768xbf16>, tensor<1x16x1xbf16>) -> tensor<2x16x768xbf16>
// CHECK-NEXT: return %[[R]]
func.func @mul_broadcast_ones_bf16(%x: tensor<2x1x768xbf16>, %y: tensor<1x16x1xbf16>) -> tensor<2x16x768xbf16> {
  %0 = xf.mul %x, %y : (tensor<2x1x768xbf16>, tensor<1x16x1xbf16>) -> tensor<2x16x768xbf16>
  return %0 : tensor<2x16x768xbf16>
}

// A rank-0 tensor broadcasts to any shape.
// CHECK-LABEL: func @mul_scalar_f64
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf64>, %[[S:.*]]: tensor<f64>)
// CHECK-NEXT: %[[R:.*]] = xf.mul %[[X]], %[[S]] : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
// CHECK-NEXT: return %[[R]]
func.func @mul_scalar_f64(%x: tensor<3x4xf64>, %s: tensor<f64>) -> tensor<3x4xf64> {
  %0 = xf.mul %x, %s : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// CHECK-LABEL: func @mul_same_shape_f16
// CHECK-SAME: (%[[X:.*]]: tensor<1x32x11008xf16>, %[[Y:.*]]: tensor<1x32x11008xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.mul %[[X]], %[[Y]] : (tensor<1x32x11008xf16>, tensor<1x32x11008xf16>) -> tensor<1x32x11008xf16>
// CHECK-NEXT: return %[[R]]
func.func @mul_same_shape_f16(%x: tensor<1x32x11008xf16>, %y: tensor<1x32x11008xf16>) -> tensor<1x32x11008xf16> {
  %0 = xf.mul %x, %y : (tensor<1x32x11008xf16>, tensor<1x32x11008xf16>) -> tensor<1x32x11008xf16>
  return %0 : tensor<1x32x11008xf16>
}

//===----------------------------------------------------------------------===//
// xf.rope
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @rope_f32
// CHECK-SAME: (%[[Q:.*]]: tensor<1x32x32x128xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.rope %[[Q]] theta = 1.000000e+04 : (tensor<1x32x32x128xf32>) -> tensor<1x32x32x128xf32>
// CHECK-NEXT: return %[[R]]
func.func @rope_f32(%q: tensor<1x32x32x128xf32>) -> tensor<1x32x32x128xf32> {
  %0 = xf.rope %q theta = 1.0e+04 : (tensor<1x32x32x128xf32>) -> tensor<1x32x32x128xf32>
  return %0 : tensor<1x32x32x128xf32>
}

// CHECK-LABEL: func @rope_positions_bf16_i64
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8x4x64xbf16>, %[[POS:.*]]: tensor<2x8xi64>)
// CHECK-NEXT: %[[R:.*]] = xf.rope %[[Q]] positions(%[[POS]]) theta = 5.000000e+05 : (tensor<2x8x4x64xbf16>, tensor<2x8xi64>) -> tensor<2x8x4x64xbf16>
// CHECK-NEXT: return %[[R]]
func.func @rope_positions_bf16_i64(%q: tensor<2x8x4x64xbf16>, %pos: tensor<2x8xi64>) -> tensor<2x8x4x64xbf16> {
  %0 = xf.rope %q positions(%pos) theta = 5.0e+05 : (tensor<2x8x4x64xbf16>, tensor<2x8xi64>) -> tensor<2x8x4x64xbf16>
  return %0 : tensor<2x8x4x64xbf16>
}

// CHECK-LABEL: func @rope_interleaved_f16
// CHECK-SAME: (%[[Q:.*]]: tensor<1x16x8x64xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.rope %[[Q]] theta = 1.000000e+04 interleaved : (tensor<1x16x8x64xf16>) -> tensor<1x16x8x64xf16>
// CHECK-NEXT: return %[[R]]
func.func @rope_interleaved_f16(%q: tensor<1x16x8x64xf16>) -> tensor<1x16x8x64xf16> {
  %0 = xf.rope %q theta = 1.0e+04 interleaved : (tensor<1x16x8x64xf16>) -> tensor<1x16x8x64xf16>
  return %0 : tensor<1x16x8x64xf16>
}

// CHECK-LABEL: func @rope_positions_interleaved_f64_i32
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x2x8xf64>, %[[POS:.*]]: tensor<1x4xi32>)
// CHECK-NEXT: %[[R:.*]] = xf.rope %[[Q]] positions(%[[POS]]) theta = 1.000000e+04 interleaved : (tensor<1x4x2x8xf64>, tensor<1x4xi32>) -> tensor<1x4x2x8xf64>
// CHECK-NEXT: return %[[R]]
func.func @rope_positions_interleaved_f64_i32(%q: tensor<1x4x2x8xf64>, %pos: tensor<1x4xi32>) -> tensor<1x4x2x8xf64> {
  %0 = xf.rope %q positions(%pos) theta = 1.0e+04 interleaved : (tensor<1x4x2x8xf64>, tensor<1x4xi32>) -> tensor<1x4x2x8xf64>
  return %0 : tensor<1x4x2x8xf64>
}

//===----------------------------------------------------------------------===//
// xf.attention
//===----------------------------------------------------------------------===//

// Multi-head: Hkv == Hq.
// CHECK-LABEL: func @attention_mha_f32
// CHECK-SAME: (%[[Q:.*]]: tensor<2x16x12x64xf32>, %[[K:.*]]: tensor<2x16x12x64xf32>, %[[V:.*]]: tensor<2x16x12x64xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] : (tensor<2x16x12x64xf32>, tensor<2x16x12x64xf32>, tensor<2x16x12x64xf32>) -> tensor<2x16x12x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @attention_mha_f32(%q: tensor<2x16x12x64xf32>, %k: tensor<2x16x12x64xf32>, %v: tensor<2x16x12x64xf32>) -> tensor<2x16x12x64xf32> {
  %0 = xf.attention %q, %k, %v : (tensor<2x16x12x64xf32>, tensor<2x16x12x64xf32>, tensor<2x16x12x64xf32>) -> tensor<2x16x12x64xf32>
  return %0 : tensor<2x16x12x64xf32>
}

// Grouped-query (32 query heads over 8 key/value heads), causal.
// CHECK-LABEL: func @attention_gqa_causal_f16
// CHECK-SAME: (%[[Q:.*]]: tensor<1x128x32x128xf16>, %[[K:.*]]: tensor<1x128x8x128xf16>, %[[V:.*]]: tensor<1x128x8x128xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] causal : (tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16>
// CHECK-NEXT: return %[[R]]
func.func @attention_gqa_causal_f16(%q: tensor<1x128x32x128xf16>, %k: tensor<1x128x8x128xf16>, %v: tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16> {
  %0 = xf.attention %q, %k, %v causal : (tensor<1x128x32x128xf16>, tensor<1x128x8x128xf16>, tensor<1x128x8x128xf16>) -> tensor<1x128x32x128xf16>
  return %0 : tensor<1x128x32x128xf16>
}

// Multi-query (one key/value head) with an explicit scale.
// CHECK-LABEL: func @attention_mqa_scale_bf16
// CHECK-SAME: (%[[Q:.*]]: tensor<1x16x8x64xbf16>, %[[K:.*]]: tensor<1x16x1x64xbf16>, %[[V:.*]]: tensor<1x16x1x64xbf16>)
// CHECK-NEXT: %[[R:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] scale = 1.250000e-01 : (tensor<1x16x8x64xbf16>, tensor<1x16x1x64xbf16>, tensor<1x16x1x64xbf16>) -> tensor<1x16x8x64xbf16>
// CHECK-NEXT: return %[[R]]
func.func @attention_mqa_scale_bf16(%q: tensor<1x16x8x64xbf16>, %k: tensor<1x16x1x64xbf16>, %v: tensor<1x16x1x64xbf16>) -> tensor<1x16x8x64xbf16> {
  %0 = xf.attention %q, %k, %v scale = 0.125 : (tensor<1x16x8x64xbf16>, tensor<1x16x1x64xbf16>, tensor<1x16x1x64xbf16>) -> tensor<1x16x8x64xbf16>
  return %0 : tensor<1x16x8x64xbf16>
}

// Decoding step: one query against a cache of 129 keys (Skv != Sq), causal
// with an explicit scale; both unit attributes print in a fixed order.
// CHECK-LABEL: func @attention_decode_causal_scale_f32
// CHECK-SAME: (%[[Q:.*]]: tensor<4x1x12x64xf32>, %[[K:.*]]: tensor<4x129x12x64xf32>, %[[V:.*]]: tensor<4x129x12x64xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] causal scale = 5.000000e-01 : (tensor<4x1x12x64xf32>, tensor<4x129x12x64xf32>, tensor<4x129x12x64xf32>) -> tensor<4x1x12x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @attention_decode_causal_scale_f32(%q: tensor<4x1x12x64xf32>, %k: tensor<4x129x12x64xf32>, %v: tensor<4x129x12x64xf32>) -> tensor<4x1x12x64xf32> {
  %0 = xf.attention %q, %k, %v causal scale = 0.5 : (tensor<4x1x12x64xf32>, tensor<4x129x12x64xf32>, tensor<4x129x12x64xf32>) -> tensor<4x1x12x64xf32>
  return %0 : tensor<4x1x12x64xf32>
}

// Non-causal cross attention: Skv < Sq is allowed, and the value head dim
// (Dv = 32) need not match the query/key head dim (D = 64).
// CHECK-LABEL: func @attention_cross_dv_f64
// CHECK-SAME: (%[[Q:.*]]: tensor<2x10x4x64xf64>, %[[K:.*]]: tensor<2x7x2x64xf64>, %[[V:.*]]: tensor<2x7x2x32xf64>)
// CHECK-NEXT: %[[R:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] : (tensor<2x10x4x64xf64>, tensor<2x7x2x64xf64>, tensor<2x7x2x32xf64>) -> tensor<2x10x4x32xf64>
// CHECK-NEXT: return %[[R]]
func.func @attention_cross_dv_f64(%q: tensor<2x10x4x64xf64>, %k: tensor<2x7x2x64xf64>, %v: tensor<2x7x2x32xf64>) -> tensor<2x10x4x32xf64> {
  %0 = xf.attention %q, %k, %v : (tensor<2x10x4x64xf64>, tensor<2x7x2x64xf64>, tensor<2x7x2x32xf64>) -> tensor<2x10x4x32xf64>
  return %0 : tensor<2x10x4x32xf64>
}

//===----------------------------------------------------------------------===//
// xf.reshape, xf.transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @reshape_split_heads_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.reshape %[[X]] : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_split_heads_f32(%x: tensor<2x16x768xf32>) -> tensor<2x16x12x64xf32> {
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
  return %0 : tensor<2x16x12x64xf32>
}

// Shape ops accept any element type, token ids included, and rank 0.
// CHECK-LABEL: func @reshape_ids_i64
// CHECK-SAME: (%[[IDS:.*]]: tensor<2x16xi64>, %[[S:.*]]: tensor<1x1xbf16>)
// CHECK-NEXT: %[[R0:.*]] = xf.reshape %[[IDS]] : tensor<2x16xi64> -> tensor<32xi64>
// CHECK-NEXT: %[[R1:.*]] = xf.reshape %[[S]] : tensor<1x1xbf16> -> tensor<bf16>
// CHECK-NEXT: return %[[R0]], %[[R1]]
func.func @reshape_ids_i64(%ids: tensor<2x16xi64>, %s: tensor<1x1xbf16>) -> (tensor<32xi64>, tensor<bf16>) {
  %0 = xf.reshape %ids : tensor<2x16xi64> -> tensor<32xi64>
  %1 = xf.reshape %s : tensor<1x1xbf16> -> tensor<bf16>
  return %0, %1 : tensor<32xi64>, tensor<bf16>
}

// CHECK-LABEL: func @transpose_heads_f16
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x12x64xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.transpose %[[X]] permutation = [0, 2, 1, 3] : (tensor<2x16x12x64xf16>) -> tensor<2x12x16x64xf16>
// CHECK-NEXT: return %[[R]]
func.func @transpose_heads_f16(%x: tensor<2x16x12x64xf16>) -> tensor<2x12x16x64xf16> {
  %0 = xf.transpose %x permutation = [0, 2, 1, 3] : (tensor<2x16x12x64xf16>) -> tensor<2x12x16x64xf16>
  return %0 : tensor<2x12x16x64xf16>
}

// A cyclic permutation: result dim i is input dim permutation[i].
// CHECK-LABEL: func @transpose_cycle_i32
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x5xi32>)
// CHECK-NEXT: %[[R:.*]] = xf.transpose %[[X]] permutation = [2, 0, 1] : (tensor<2x3x5xi32>) -> tensor<5x2x3xi32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_cycle_i32(%x: tensor<2x3x5xi32>) -> tensor<5x2x3xi32> {
  %0 = xf.transpose %x permutation = [2, 0, 1] : (tensor<2x3x5xi32>) -> tensor<5x2x3xi32>
  return %0 : tensor<5x2x3xi32>
}

//===----------------------------------------------------------------------===//
// xf.split, xf.concat
//===----------------------------------------------------------------------===//

// A fused QKV projection taken apart.
// CHECK-LABEL: func @split_qkv_f32
// CHECK-SAME: (%[[QKV:.*]]: tensor<2x16x2304xf32>)
// CHECK-NEXT: %[[R:.*]]:3 = xf.split %[[QKV]] dim = 2 : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
// CHECK-NEXT: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @split_qkv_f32(%qkv: tensor<2x16x2304xf32>) -> (tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>) {
  %q, %k, %v = xf.split %qkv dim = 2 : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
  return %q, %k, %v : tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
}

// Pieces of unequal sizes (a GQA projection: 32 + 8 + 8 heads), along dim 0
// of a bf16 weight.
// CHECK-LABEL: func @split_unequal_bf16
// CHECK-SAME: (%[[W:.*]]: tensor<48x128xbf16>)
// CHECK-NEXT: %[[R:.*]]:3 = xf.split %[[W]] dim = 0 : tensor<48x128xbf16> -> tensor<32x128xbf16>, tensor<8x128xbf16>, tensor<8x128xbf16>
// CHECK-NEXT: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @split_unequal_bf16(%w: tensor<48x128xbf16>) -> (tensor<32x128xbf16>, tensor<8x128xbf16>, tensor<8x128xbf16>) {
  %0:3 = xf.split %w dim = 0 : tensor<48x128xbf16> -> tensor<32x128xbf16>, tensor<8x128xbf16>, tensor<8x128xbf16>
  return %0#0, %0#1, %0#2 : tensor<32x128xbf16>, tensor<8x128xbf16>, tensor<8x128xbf16>
}

// CHECK-LABEL: func @concat_two_f32
// CHECK-SAME: (%[[K:.*]]: tensor<1x16x8x64xf32>, %[[V:.*]]: tensor<1x16x8x64xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.concat %[[K]], %[[V]] dim = 2 : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @concat_two_f32(%k: tensor<1x16x8x64xf32>, %v: tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32> {
  %0 = xf.concat %k, %v dim = 2 : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32>
  return %0 : tensor<1x16x16x64xf32>
}

// A KV cache appended along the sequence: three inputs of different sizes.
// CHECK-LABEL: func @concat_three_f16
// CHECK-SAME: (%[[A:.*]]: tensor<1x100x8x64xf16>, %[[B:.*]]: tensor<1x27x8x64xf16>, %[[C:.*]]: tensor<1x1x8x64xf16>)
// CHECK-NEXT: %[[R:.*]] = xf.concat %[[A]], %[[B]], %[[C]] dim = 1 : (tensor<1x100x8x64xf16>, tensor<1x27x8x64xf16>, tensor<1x1x8x64xf16>) -> tensor<1x128x8x64xf16>
// CHECK-NEXT: return %[[R]]
func.func @concat_three_f16(%a: tensor<1x100x8x64xf16>, %b: tensor<1x27x8x64xf16>, %c: tensor<1x1x8x64xf16>) -> tensor<1x128x8x64xf16> {
  %0 = xf.concat %a, %b, %c dim = 1 : (tensor<1x100x8x64xf16>, tensor<1x27x8x64xf16>, tensor<1x1x8x64xf16>) -> tensor<1x128x8x64xf16>
  return %0 : tensor<1x128x8x64xf16>
}

// Concat and split of integer tensors (token ids).
// CHECK-LABEL: func @concat_split_ids_i64
// CHECK-SAME: (%[[A:.*]]: tensor<1x5xi64>, %[[B:.*]]: tensor<1x3xi64>)
// CHECK-NEXT: %[[C:.*]] = xf.concat %[[A]], %[[B]] dim = 1 : (tensor<1x5xi64>, tensor<1x3xi64>) -> tensor<1x8xi64>
// CHECK-NEXT: %[[S:.*]]:2 = xf.split %[[C]] dim = 1 : tensor<1x8xi64> -> tensor<1x4xi64>, tensor<1x4xi64>
// CHECK-NEXT: return %[[S]]#0, %[[S]]#1
func.func @concat_split_ids_i64(%a: tensor<1x5xi64>, %b: tensor<1x3xi64>) -> (tensor<1x4xi64>, tensor<1x4xi64>) {
  %0 = xf.concat %a, %b dim = 1 : (tensor<1x5xi64>, tensor<1x3xi64>) -> tensor<1x8xi64>
  %1:2 = xf.split %0 dim = 1 : tensor<1x8xi64> -> tensor<1x4xi64>, tensor<1x4xi64>
  return %1#0, %1#1 : tensor<1x4xi64>, tensor<1x4xi64>
}

//===----------------------------------------------------------------------===//
// Generic syntax
//===----------------------------------------------------------------------===//

// Ops written in the generic syntax without their defaulted attributes get
// the documented defaults: epsilon 1e-5 (layer_norm) and 1e-6 (rms_norm),
// theta 1e4, no GELU approximation, no causal mask and no explicit scale.
// CHECK-LABEL: func @generic_defaults
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x2x8xf32>, %[[G:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[LN:.*]] = xf.layer_norm %[[X]], %[[G]], %[[G]] epsilon = 1.000000e-05 : (tensor<1x4x2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x4x2x8xf32>
// CHECK-NEXT: %[[RMS:.*]] = xf.rms_norm %[[LN]], %[[G]] epsilon = 9.9999999999999995E-7 : (tensor<1x4x2x8xf32>, tensor<8xf32>) -> tensor<1x4x2x8xf32>
// CHECK-NEXT: %[[ROPE:.*]] = xf.rope %[[RMS]] theta = 1.000000e+04 : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
// CHECK-NEXT: %[[GELU:.*]] = xf.gelu %[[ROPE]] : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
// CHECK-NEXT: %[[ATT:.*]] = xf.attention %[[GELU]], %[[GELU]], %[[GELU]] : (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
// CHECK-NEXT: return %[[ATT]]
func.func @generic_defaults(%x: tensor<1x4x2x8xf32>, %g: tensor<8xf32>) -> tensor<1x4x2x8xf32> {
  %0 = "xf.layer_norm"(%x, %g, %g) : (tensor<1x4x2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x4x2x8xf32>
  %1 = "xf.rms_norm"(%0, %g) : (tensor<1x4x2x8xf32>, tensor<8xf32>) -> tensor<1x4x2x8xf32>
  %2 = "xf.rope"(%1) : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  %3 = "xf.gelu"(%2) : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  %4 = "xf.attention"(%3, %3, %3) : (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return %4 : tensor<1x4x2x8xf32>
}

// Generic spellings of the optional operands and unit attributes.
// CHECK-LABEL: func @generic_optional_parts
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf16>, %[[W:.*]]: tensor<8x4xf16>, %[[B:.*]]: tensor<4xf16>, %[[Q:.*]]: tensor<1x4x2x8xf16>, %[[POS:.*]]: tensor<1x4xi32>)
// CHECK-NEXT: %[[L:.*]] = xf.linear %[[X]], %[[W]], %[[B]] : (tensor<2x8xf16>, tensor<8x4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
// CHECK-NEXT: %[[R:.*]] = xf.rope %[[Q]] positions(%[[POS]]) theta = 1.000000e+04 interleaved : (tensor<1x4x2x8xf16>, tensor<1x4xi32>) -> tensor<1x4x2x8xf16>
// CHECK-NEXT: %[[A:.*]] = xf.attention %[[R]], %[[Q]], %[[Q]] causal scale = 2.500000e-01 : (tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16>) -> tensor<1x4x2x8xf16>
// CHECK-NEXT: return %[[L]], %[[A]]
func.func @generic_optional_parts(%x: tensor<2x8xf16>, %w: tensor<8x4xf16>, %b: tensor<4xf16>,
                                  %q: tensor<1x4x2x8xf16>, %pos: tensor<1x4xi32>) -> (tensor<2x4xf16>, tensor<1x4x2x8xf16>) {
  %0 = "xf.linear"(%x, %w, %b) : (tensor<2x8xf16>, tensor<8x4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
  %1 = "xf.rope"(%q, %pos) <{theta = 1.0e+04 : f64, interleaved}> : (tensor<1x4x2x8xf16>, tensor<1x4xi32>) -> tensor<1x4x2x8xf16>
  %2 = "xf.attention"(%1, %q, %q) <{causal, scale = 0.25 : f64}> : (tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16>) -> tensor<1x4x2x8xf16>
  return %0, %2 : tensor<2x4xf16>, tensor<1x4x2x8xf16>
}

// CHECK-LABEL: func.func @attention_block_of_queries
// CHECK: xf.attention %{{.*}}, %{{.*}}, %{{.*}} causal causal_offset(%{{.*}}) : (tensor<1x8x4x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, index) -> tensor<1x8x4x16xf32>
func.func @attention_block_of_queries(%q: tensor<1x8x4x16xf32>, %k: tensor<1x32x2x16xf32>,
                                      %v: tensor<1x32x2x16xf32>, %start: index) -> tensor<1x8x4x16xf32> {
  %o = xf.attention %q, %k, %v causal causal_offset(%start)
      : (tensor<1x8x4x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, index) -> tensor<1x8x4x16xf32>
  return %o : tensor<1x8x4x16xf32>
}
