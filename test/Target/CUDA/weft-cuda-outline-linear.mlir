// RUN: weft-opt %s -split-input-file --weft-cuda-outline-linear | FileCheck %s
// RUN: weft-opt %s -split-input-file --weft-cuda-outline-linear="block-m=64 block-k=128 warps-m=1 warps-n=4 stages=2" | FileCheck %s --check-prefix=TILED
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-linear="block-k=32" 2>&1 | FileCheck %s --check-prefix=BADK
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-linear="warps-m=3" 2>&1 | FileCheck %s --check-prefix=BADWARPS
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-linear="stages=1" 2>&1 | FileCheck %s --check-prefix=BADSTAGES
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-linear="block-k=256 stages=4" 2>&1 | FileCheck %s --check-prefix=SHARED
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-linear="block-m=16 warps-m=1 warps-n=8" 2>&1 | FileCheck %s --check-prefix=UNEVEN

// GPT-2's MLP: the first linear layer takes its GELU (tanh), rounded in
// between as the op chain stored the biased product; the second its
// residual add (the residual on either side of xf.add). Operands become
// [batch, M, K] / [batch, K, N] views, the result a fresh buffer viewed back.
// CHECK-LABEL: func.func @gpt_mlp
// CHECK-SAME:    (%[[X:.*]]: tensor<2x64x768xf16>, %[[W1:.*]]: tensor<768x3072xf16>, %[[B1:.*]]: tensor<3072xf16>, %[[W2:.*]]: tensor<3072x768xf16>, %[[B2:.*]]: tensor<768xf16>)
// CHECK:       %[[A1:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x128x768xf16> to memref<1x128x768xf16>
// CHECK:       %[[W1B:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x768x3072xf16> to memref<1x768x3072xf16>
// CHECK:       %[[B1B:.*]] = bufferization.to_buffer %[[B1]] read_only : tensor<3072xf16> to memref<3072xf16>
// CHECK:       %[[H:.*]] = memref.alloc() : memref<1x128x3072xf16>
// CHECK:       call @linear_mma_f16_bias_gelu_tanh(%[[A1]], %[[W1B]], %[[B1B]], %[[H]])
// CHECK:       bufferization.to_tensor %[[H]] restrict writable
// CHECK:       %[[RES:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x128x768xf16> to memref<1x128x768xf16>
// CHECK:       %[[Y:.*]] = memref.alloc() : memref<1x128x768xf16>
// CHECK:       call @linear_mma_f16_bias_residual(%{{.*}}, %{{.*}}, %{{.*}}, %[[RES]], %[[Y]])
// CHECK:       %[[YT:.*]] = bufferization.to_tensor %[[Y]]
// CHECK:       %[[YC:.*]] = tensor.collapse_shape %[[YT]]
// CHECK:       %[[YE:.*]] = tensor.expand_shape %[[YC]] {{.*}} output_shape [2, 64, 768]
// CHECK-NOT:   xf.
// CHECK:       return %[[YE]]
// CHECK:       func.func private @linear_mma_f16_bias_gelu_tanh(memref<1x128x768xf16>, memref<1x768x3072xf16>, memref<3072xf16>, memref<1x128x3072xf16>)
// CHECK-SAME:    attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = ["bias", "round", "gelu_tanh"], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}
// CHECK:       func.func private @linear_mma_f16_bias_residual(memref<1x128x3072xf16>, memref<1x3072x768xf16>, memref<768xf16>, memref<1x128x768xf16>, memref<1x128x768xf16>)
// CHECK-SAME:    epilogue = ["bias", "round", "residual"]
// TILED:       func.func private @linear_mma_f16_bias_gelu_tanh(
// TILED-SAME:    weft.linear_mma = {block_k = 128 : i64, block_m = 64 : i64, block_n = 128 : i64, epilogue = ["bias", "round", "gelu_tanh"], stages = 2 : i64, transpose_rhs = false, warps_m = 1 : i64, warps_n = 4 : i64}
// BADK:        error: 'xf.linear' op tensor-core linear tiles need block_k and block_n to be multiples of 64 (eight 16-byte chunks per swizzled row), got block_k=32, block_n=128
// BADWARPS:    error: 'xf.linear' op tensor-core linear tiles need 1 to 32 warps, each owning a multiple of 16 rows and 16 columns, got block_m=128, block_n=128, warps_m=3, warps_n=4
// BADSTAGES:   error: 'xf.linear' op tensor-core linear kernels need at least 2 stages, got 1
// SHARED:      error: 'xf.linear' op tensor-core linear tiles need 524288 bytes of shared memory, more than the 166912 a block may have
// UNEVEN:      error: 'xf.linear' op tensor-core linear tiles of 16x64 and 64x128 do not divide among 256 threads in 16-byte copies of whole rows
func.func @gpt_mlp(%x: tensor<2x64x768xf16>, %w1: tensor<768x3072xf16>, %b1: tensor<3072xf16>, %w2: tensor<3072x768xf16>, %b2: tensor<768xf16>) -> tensor<2x64x768xf16> {
  %h = xf.linear %x, %w1, %b1 : (tensor<2x64x768xf16>, tensor<768x3072xf16>, tensor<3072xf16>) -> tensor<2x64x3072xf16>
  %g = xf.gelu %h approximate = tanh : (tensor<2x64x3072xf16>) -> tensor<2x64x3072xf16>
  %o = xf.linear %g, %w2, %b2 : (tensor<2x64x3072xf16>, tensor<3072x768xf16>, tensor<768xf16>) -> tensor<2x64x768xf16>
  %y = xf.add %x, %o : (tensor<2x64x768xf16>, tensor<2x64x768xf16>) -> tensor<2x64x768xf16>
  return %y : tensor<2x64x768xf16>
}

// -----

// A batched bf16 product with a transposed right operand, then a bias row
// of shape [1, N], SiLU and a residual: every link of the chain rounds first
// (xf.matmul and each op stored its result in bf16).
// CHECK-LABEL: func.func @batched_chain
// CHECK:       call @matmul_mma_bf16_bias_silu_residual(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<6x32x64xbf16>, memref<6x40x64xbf16>, memref<40xbf16>, memref<6x32x40xbf16>, memref<6x32x40xbf16>) -> ()
// CHECK-NOT:   xf.
// CHECK:       func.func private @matmul_mma_bf16_bias_silu_residual(
// CHECK-SAME:    epilogue = ["round", "bias", "round", "silu", "round", "residual"]
// CHECK-SAME:    transpose_rhs = true
func.func @batched_chain(%a: tensor<2x3x32x64xbf16>, %b: tensor<2x3x40x64xbf16>, %bias: tensor<1x40xbf16>, %r: tensor<2x3x32x40xbf16>) -> tensor<2x3x32x40xbf16> {
  %p = xf.matmul %a, %b transpose_rhs : (tensor<2x3x32x64xbf16>, tensor<2x3x40x64xbf16>) -> tensor<2x3x32x40xbf16>
  %q = xf.add %p, %bias : (tensor<2x3x32x40xbf16>, tensor<1x40xbf16>) -> tensor<2x3x32x40xbf16>
  %s = xf.silu %q : (tensor<2x3x32x40xbf16>) -> tensor<2x3x32x40xbf16>
  %y = xf.add %r, %s : (tensor<2x3x32x40xbf16>, tensor<2x3x32x40xbf16>) -> tensor<2x3x32x40xbf16>
  return %y : tensor<2x3x32x40xbf16>
}

// -----

// A plain product with the exact GELU; the second GELU of the same value
// is not part of the chain (the product has two users), so neither is
// fused and the product runs alone.
// CHECK-LABEL: func.func @exact_gelu_and_shared
// CHECK:       call @matmul_mma_f16_gelu_erf(
// CHECK:       call @linear_mma_f16(
// CHECK-COUNT-2: xf.gelu
// CHECK:       func.func private @matmul_mma_f16_gelu_erf(memref<1x16x32xf16>, memref<1x32x64xf16>, memref<1x16x64xf16>)
// CHECK-SAME:    epilogue = ["round", "gelu_erf"]
// CHECK-SAME:    transpose_rhs = false
// CHECK:       func.func private @linear_mma_f16(
// CHECK-SAME:    epilogue = []
func.func @exact_gelu_and_shared(%a: tensor<16x32xf16>, %b: tensor<32x64xf16>, %x: tensor<16x64xf16>, %w: tensor<64x64xf16>) -> (tensor<16x64xf16>, tensor<16x64xf16>, tensor<16x64xf16>) {
  %p = xf.matmul %a, %b : (tensor<16x32xf16>, tensor<32x64xf16>) -> tensor<16x64xf16>
  %g = xf.gelu %p : (tensor<16x64xf16>) -> tensor<16x64xf16>
  %h = xf.linear %x, %w : (tensor<16x64xf16>, tensor<64x64xf16>) -> tensor<16x64xf16>
  %g1 = xf.gelu %h : (tensor<16x64xf16>) -> tensor<16x64xf16>
  %g2 = xf.gelu %h approximate = tanh : (tensor<16x64xf16>) -> tensor<16x64xf16>
  return %g, %g1, %g2 : tensor<16x64xf16>, tensor<16x64xf16>, tensor<16x64xf16>
}

// -----

// Left for xf-to-linalg: f32 operands, and K or N not a multiple of 8 (rows
// would not start on 16-byte boundaries).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:   call
// CHECK:       xf.linear %{{.*}} : (tensor<4x64xf32>, tensor<64x64xf32>)
// CHECK:       xf.linear %{{.*}} : (tensor<4x100xf16>, tensor<100x64xf16>)
// CHECK:       xf.linear %{{.*}} : (tensor<4x64xf16>, tensor<64x12xf16>)
// CHECK:       xf.matmul %{{.*}} transpose_rhs : (tensor<3x16x60xbf16>, tensor<3x64x60xbf16>)
// CHECK-NOT:   func.func private
func.func @left_alone(%a: tensor<4x64xf32>, %w: tensor<64x64xf32>, %b: tensor<4x100xf16>, %v: tensor<100x64xf16>, %c: tensor<4x64xf16>, %u: tensor<64x12xf16>, %d: tensor<3x16x60xbf16>, %e: tensor<3x64x60xbf16>) -> (tensor<4x64xf32>, tensor<4x64xf16>, tensor<4x12xf16>, tensor<3x16x64xbf16>) {
  %0 = xf.linear %a, %w : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32>
  %1 = xf.linear %b, %v : (tensor<4x100xf16>, tensor<100x64xf16>) -> tensor<4x64xf16>
  %2 = xf.linear %c, %u : (tensor<4x64xf16>, tensor<64x12xf16>) -> tensor<4x12xf16>
  %3 = xf.matmul %d, %e transpose_rhs : (tensor<3x16x60xbf16>, tensor<3x64x60xbf16>) -> tensor<3x16x64xbf16>
  return %0, %1, %2, %3 : tensor<4x64xf32>, tensor<4x64xf16>, tensor<4x12xf16>, tensor<3x16x64xbf16>
}

// -----

// Two layers of one shape share a declaration, hence one kernel.
// CHECK-LABEL: func.func @two_layers
// CHECK:       call @linear_mma_f16(
// CHECK:       call @linear_mma_f16(
// CHECK:       func.func private @linear_mma_f16(
// CHECK-NOT:   func.func private
func.func @two_layers(%x: tensor<1x64x128xf16>, %w1: tensor<128x128xf16>, %w2: tensor<128x128xf16>) -> tensor<1x64x128xf16> {
  %a = xf.linear %x, %w1 : (tensor<1x64x128xf16>, tensor<128x128xf16>) -> tensor<1x64x128xf16>
  %b = xf.linear %a, %w2 : (tensor<1x64x128xf16>, tensor<128x128xf16>) -> tensor<1x64x128xf16>
  return %b : tensor<1x64x128xf16>
}
