// RUN: weft-opt %s -split-input-file -verify-diagnostics --weft-cuda-attention-to-wgmma

func.func @not_in_warpgroups(%q: memref<1x16x1x64xf16>, %o: memref<1x16x1x64xf16>) {
  %d = arith.constant 0 : index
  call @attention_wgmma_f16_d64(%q, %q, %q, %o, %d) : (memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, index) -> ()
  return
}
// expected-error @below {{warpgroup attention needs warps in warpgroups of 4, 64 query rows per warpgroup and at most 256 query rows and 256 keys per block, got block_q=32, warps=2, block_kv=64}}
func.func private @attention_wgmma_f16_d64(memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, memref<1x16x1x64xf16>, index) attributes {weft.attention_wgmma = {block_kv = 64 : i64, block_q = 32 : i64, causal = false, scale = 1.0 : f64, warps = 2 : i64}}

// -----

func.func @too_much_shared_memory(%q: memref<1x16x1x128xf16>, %o: memref<1x16x1x128xf16>) {
  %d = arith.constant 0 : index
  // expected-error @below {{'func.call' op of a tensor-core attention kernel needs 263192 bytes of shared memory, more than a block may have (232448)}}
  call @attention_wgmma_f16_d128(%q, %q, %q, %o, %d) : (memref<1x16x1x128xf16>, memref<1x16x1x128xf16>, memref<1x16x1x128xf16>, memref<1x16x1x128xf16>, index) -> ()
  return
}
func.func private @attention_wgmma_f16_d128(memref<1x16x1x128xf16>, memref<1x16x1x128xf16>, memref<1x16x1x128xf16>, memref<1x16x1x128xf16>, index) attributes {weft.attention_wgmma = {block_kv = 224 : i64, block_q = 128 : i64, causal = false, scale = 1.0 : f64, warps = 8 : i64}}
