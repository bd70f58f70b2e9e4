// RUN: weft-opt %s -split-input-file -verify-diagnostics --weft-cuda-attention-to-mma

func.func @incomplete(%q: memref<1x16x1x64xf16>, %o: memref<1x16x1x64xf16>) {
  %d = arith.constant 0 : index
  call @attention_mma_f16_d64(%q, %q, %q, %o, %d) : (memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, index) -> ()
  return
}
// expected-error @below {{'func.func' op needs 'weft.attention_mma' = {causal, scale, warps, block_q, block_kv}}}
func.func private @attention_mma_f16_d64(memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, index) attributes {weft.attention_mma = {causal = false, scale = 1.0 : f64}}

// -----

func.func @too_many_rows_per_warp(%q: memref<1x16x1x64xf16>, %o: memref<1x16x1x64xf16>) {
  %d = arith.constant 0 : index
  call @attention_mma_f16_d64(%q, %q, %q, %o, %d) : (memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, index) -> ()
  return
}
// expected-error @below {{tensor-core attention needs 16 or 32 query rows per warp and a multiple of 16 keys per block, got block_q=192, warps=4, block_kv=64}}
func.func private @attention_mma_f16_d64(memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, index) attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 192 : i64, causal = false, scale = 1.0 : f64, warps = 4 : i64}}

// -----

func.func @dynamic(%q: memref<1x?x1x64xf16>, %o: memref<1x16x1x64xf16>) {
  %d = arith.constant 0 : index
  // expected-error @below {{'func.call' op of a tensor-core attention kernel needs static rank-4 buffers with identity layouts}}
  call @attention_mma_f16_d64(%q, %q, %q, %o, %d) : (memref<1x?x1x64xf16>, memref<1x?x1x64xf16>, memref<1x?x1x64xf16>, memref<1x16x1x64xf16>, index) -> ()
  return
}
func.func private @attention_mma_f16_d64(memref<1x?x1x64xf16>, memref<1x?x1x64xf16>, memref<1x?x1x64xf16>, memref<1x16x1x64xf16>, index) attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 64 : i64, causal = false, scale = 1.0 : f64, warps = 4 : i64}}

// -----

func.func @missing_diagonal(%q: memref<1x16x1x64xf16>) {
  // expected-error @below {{'func.call' op of a tensor-core attention kernel needs 5 operands (query, key, value, output, diagonal)}}
  call @attention_mma_f16_d64(%q, %q, %q, %q) : (memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>) -> ()
  return
}
func.func private @attention_mma_f16_d64(memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>) attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 64 : i64, causal = false, scale = 1.0 : f64, warps = 4 : i64}}

// -----

func.func @mismatched_heads(%q: memref<1x16x3x64xf16>, %k: memref<1x16x2x64xf16>) {
  %d = arith.constant 0 : index
  // expected-error @below {{'func.call' op of a tensor-core attention kernel needs f16 or bf16 query/output [B, Sq, Hq, D] and key/value [B, Skv, Hkv, D] buffers with D 64 or 128 and Hkv dividing Hq, and an index diagonal}}
  call @attention_mma_f16_d64(%q, %k, %k, %q, %d) : (memref<1x16x3x64xf16>, memref<1x16x2x64xf16>, memref<1x16x2x64xf16>, memref<1x16x3x64xf16>, index) -> ()
  return
}
func.func private @attention_mma_f16_d64(memref<1x16x3x64xf16>, memref<1x16x2x64xf16>, memref<1x16x2x64xf16>, memref<1x16x3x64xf16>, index) attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 64 : i64, causal = false, scale = 1.0 : f64, warps = 4 : i64}}

// -----

func.func @f32(%q: memref<1x16x2x64xf32>) {
  %d = arith.constant 0 : index
  // expected-error @below {{needs f16 or bf16}}
  call @attention_mma_f32_d64(%q, %q, %q, %q, %d) : (memref<1x16x2x64xf32>, memref<1x16x2x64xf32>, memref<1x16x2x64xf32>, memref<1x16x2x64xf32>, index) -> ()
  return
}
func.func private @attention_mma_f32_d64(memref<1x16x2x64xf32>, memref<1x16x2x64xf32>, memref<1x16x2x64xf32>, memref<1x16x2x64xf32>, index) attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 64 : i64, causal = false, scale = 1.0 : f64, warps = 4 : i64}}
