// RUN: weft-opt %s -split-input-file -verify-diagnostics --weft-cuda-linear-to-mma

func.func @incomplete(%a: memref<1x16x64xf16>, %w: memref<1x64x64xf16>, %o: memref<1x16x64xf16>) {
  call @linear_mma_f16(%a, %w, %o) : (memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
// expected-error @below {{'func.func' op needs 'weft.linear_mma' = {block_m, block_n, block_k, warps_m, warps_n, stages, transpose_rhs, epilogue}}}
func.func private @linear_mma_f16(memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_m = 128 : i64, block_n = 128 : i64}}

// -----

func.func @unknown_step(%a: memref<1x16x64xf16>, %w: memref<1x64x64xf16>, %o: memref<1x16x64xf16>) {
  call @linear_mma_f16(%a, %w, %o) : (memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
// expected-error @below {{has an unknown epilogue step "relu" (expected bias, residual, gelu_erf, gelu_tanh, silu or round)}}
func.func private @linear_mma_f16(memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = ["relu"], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

func.func @two_biases(%a: memref<1x16x64xf16>, %w: memref<1x64x64xf16>, %b: memref<64xf16>, %o: memref<1x16x64xf16>) {
  call @linear_mma_f16(%a, %w, %b, %b, %o) : (memref<1x16x64xf16>, memref<1x64x64xf16>, memref<64xf16>, memref<64xf16>, memref<1x16x64xf16>) -> ()
  return
}
// expected-error @below {{has more than one bias or residual step in its epilogue}}
func.func private @linear_mma_f16(memref<1x16x64xf16>, memref<1x64x64xf16>, memref<64xf16>, memref<64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = ["bias", "bias"], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

func.func @narrow_n_tile(%a: memref<1x16x64xf16>, %w: memref<1x64x64xf16>, %o: memref<1x16x64xf16>) {
  call @linear_mma_f16(%a, %w, %o) : (memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
// expected-error @below {{tensor-core linear tiles need block_k and block_n to be multiples of 64 (eight 16-byte chunks per swizzled row), got block_k=64, block_n=32}}
func.func private @linear_mma_f16(memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 64 : i64, block_n = 32 : i64, epilogue = [], stages = 2 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 2 : i64}}

// -----

func.func @missing_bias(%a: memref<1x16x64xf16>, %w: memref<1x64x64xf16>, %o: memref<1x16x64xf16>) {
  // expected-error @below {{'func.call' op of a tensor-core linear kernel needs 4 operands (lhs, rhs, bias, output), got 3}}
  call @linear_mma_f16_bias(%a, %w, %o) : (memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
func.func private @linear_mma_f16_bias(memref<1x16x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = ["bias"], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

func.func @not_a_product(%a: memref<1x16x64xf16>, %w: memref<1x32x64xf16>, %o: memref<1x16x64xf16>) {
  // expected-error @below {{'func.call' op of a tensor-core linear kernel: lhs 'memref<1x16x64xf16>', rhs 'memref<1x32x64xf16>' and output 'memref<1x16x64xf16>' do not form a product}}
  call @linear_mma_f16(%a, %w, %o) : (memref<1x16x64xf16>, memref<1x32x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
func.func private @linear_mma_f16(memref<1x16x64xf16>, memref<1x32x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = [], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

func.func @odd_k(%a: memref<1x16x60xf16>, %w: memref<1x60x64xf16>, %o: memref<1x16x64xf16>) {
  // expected-error @below {{'func.call' op of a tensor-core linear kernel needs K and N multiples of 8 (16-byte rows), got K = 60, N = 64}}
  call @linear_mma_f16(%a, %w, %o) : (memref<1x16x60xf16>, memref<1x60x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
func.func private @linear_mma_f16(memref<1x16x60xf16>, memref<1x60x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = [], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

func.func @f32(%a: memref<1x16x64xf32>, %w: memref<1x64x64xf32>, %o: memref<1x16x64xf32>) {
  // expected-error @below {{'func.call' op of a tensor-core linear kernel needs f16 or bf16 elements, got 'f32'}}
  call @linear_mma_f32(%a, %w, %o) : (memref<1x16x64xf32>, memref<1x64x64xf32>, memref<1x16x64xf32>) -> ()
  return
}
func.func private @linear_mma_f32(memref<1x16x64xf32>, memref<1x64x64xf32>, memref<1x16x64xf32>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = [], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

func.func @dynamic(%a: memref<1x?x64xf16>, %w: memref<1x64x64xf16>, %o: memref<1x16x64xf16>) {
  // expected-error @below {{'func.call' op of a tensor-core linear kernel needs static buffers with identity layouts, got 'memref<1x?x64xf16>'}}
  call @linear_mma_f16(%a, %w, %o) : (memref<1x?x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) -> ()
  return
}
func.func private @linear_mma_f16(memref<1x?x64xf16>, memref<1x64x64xf16>, memref<1x16x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = [], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}
