// RUN: weft-opt %s -split-input-file --weft-cuda-outline-attention | FileCheck %s
// RUN: weft-opt %s -split-input-file --weft-cuda-outline-attention="warps=2 block-kv=32" | FileCheck %s --check-prefix=TILED
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="warps=4 block-q=48" 2>&1 | FileCheck %s --check-prefix=BADQ
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="block-kv=24" 2>&1 | FileCheck %s --check-prefix=BADKV
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="warps=3 block-q=48" 2>&1 | FileCheck %s --check-prefix=UNEVEN
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="block-kv=256" 2>&1 | FileCheck %s --check-prefix=SHARED
// RUN: weft-opt %s -split-input-file --weft-cuda-outline-attention="wgmma=true" | FileCheck %s --check-prefix=WGMMA
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="wgmma=true warps=6" 2>&1 | FileCheck %s --check-prefix=WGMMA-WARPS
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="wgmma=true block-kv=272" 2>&1 | FileCheck %s --check-prefix=WGMMA-KV
// RUN: not weft-opt %s -split-input-file --weft-cuda-outline-attention="wgmma=true warps=12 block-kv=256" 2>&1 | FileCheck %s --check-prefix=WGMMA-SHARED

// Causal f16 grouped-query attention at head dimension 64: a call of the
// kernel's declaration on the operands' buffers and a fresh result buffer,
// the diagonal Skv - Sq as the last operand; the result is that buffer.
// CHECK-LABEL: func.func @causal_gqa
// CHECK-SAME:    (%[[Q:.*]]: tensor<2x200x4x64xf16>, %[[K:.*]]: tensor<2x300x2x64xf16>, %[[V:.*]]: tensor<2x300x2x64xf16>)
// CHECK-DAG:   %[[QB:.*]] = bufferization.to_buffer %[[Q]] read_only : tensor<2x200x4x64xf16> to memref<2x200x4x64xf16>
// CHECK-DAG:   %[[KB:.*]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG:   %[[VB:.*]] = bufferization.to_buffer %[[V]] read_only
// CHECK-DAG:   %[[OUT:.*]] = memref.alloc() : memref<2x200x4x64xf16>
// CHECK-DAG:   %[[DIAG:.*]] = arith.constant 100 : index
// CHECK:       call @attention_mma_f16_d64_causal(%[[QB]], %[[KB]], %[[VB]], %[[OUT]], %[[DIAG]])
// CHECK:       %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:       return %[[R]]
// CHECK:       func.func private @attention_mma_f16_d64_causal(memref<2x200x4x64xf16>, memref<2x300x2x64xf16>, memref<2x300x2x64xf16>, memref<2x200x4x64xf16>, index)
// CHECK-SAME:    attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 64 : i64, causal = true, scale = 1.250000e-01 : f64, warps = 4 : i64}}
// TILED:       func.func private @attention_mma_f16_d64_causal(
// TILED-SAME:    weft.attention_mma = {block_kv = 32 : i64, block_q = 32 : i64, causal = true, scale = 1.250000e-01 : f64, warps = 2 : i64}
// BADQ:        error: 'xf.attention' op tensor-core attention needs 16 or 32 query rows per warp and a multiple of 16 keys per block, got block_q=48, warps=4, block_kv=64
// BADKV:       error: 'xf.attention' op tensor-core attention needs 16 or 32 query rows per warp and a multiple of 16 keys per block, got block_q=64, warps=4, block_kv=24
// SHARED:      error: 'xf.attention' op tensor-core attention tiles of 64 and 256 rows of 128 elements need 278528 bytes of shared memory, more than a block may have (166912)
// UNEVEN:      error: 'xf.attention' op tensor-core attention tiles of 48 and 64 rows of 64 elements do not divide among 96 threads in 16-byte copies

// With wgmma (sm_90): the Hopper kernel's declaration, two warpgroups of
// 64 query rows and 128 keys per block by default; warps come in fours,
// a block's keys are one TMA box (at most 256 rows), and the tiles fit
// 227 KiB.
// WGMMA:        call @attention_wgmma_f16_d64_causal(
// WGMMA:        func.func private @attention_wgmma_f16_d64_causal(memref<2x200x4x64xf16>, memref<2x300x2x64xf16>, memref<2x300x2x64xf16>, memref<2x200x4x64xf16>, index)
// WGMMA-SAME:     attributes {weft.attention_wgmma = {block_kv = 128 : i64, block_q = 128 : i64, causal = true, scale = 1.250000e-01 : f64, warps = 8 : i64}}
// WGMMA:        func.func private @attention_wgmma_bf16_d128_causal(
// WGMMA-WARPS:  error: 'xf.attention' op warpgroup attention needs warps in warpgroups of 4, 64 query rows per warpgroup and at most 256 query rows and 256 keys per block, got block_q=96, warps=6, block_kv=128
// WGMMA-KV:     error: 'xf.attention' op warpgroup attention needs warps in warpgroups of 4, 64 query rows per warpgroup and at most 256 query rows and 256 keys per block, got block_q=128, warps=8, block_kv=272
// WGMMA-SHARED: error: 'xf.attention' op tensor-core attention tiles of 192 and 256 rows of 128 elements need 312344 bytes of shared memory, more than a block may have (232448)
func.func @causal_gqa(%q: tensor<2x200x4x64xf16>, %k: tensor<2x300x2x64xf16>, %v: tensor<2x300x2x64xf16>) -> tensor<2x200x4x64xf16> {
  %o = xf.attention %q, %k, %v causal : (tensor<2x200x4x64xf16>, tensor<2x300x2x64xf16>, tensor<2x300x2x64xf16>) -> tensor<2x200x4x64xf16>
  return %o : tensor<2x200x4x64xf16>
}

// -----

// bf16 at head dimension 128 with an explicit scale and a causal offset
// given at run time: the offset is the diagonal operand; two ops get two
// declarations.
// CHECK-LABEL: func.func @bf16_offset
// CHECK-SAME:    %[[START:[^:]*]]: index
// CHECK:       call @attention_mma_bf16_d128_causal({{.*}}, %[[START]])
// CHECK:       call @attention_mma_bf16_d128({{.*}}, %{{.*}})
// CHECK:       func.func private @attention_mma_bf16_d128_causal({{.*}}) attributes {weft.attention_mma = {{{.*}}causal = true, scale = 5.000000e-01 : f64
// CHECK:       func.func private @attention_mma_bf16_d128({{.*}}) attributes {weft.attention_mma = {{{.*}}causal = false
func.func @bf16_offset(%q: tensor<1x16x2x128xbf16>, %k: tensor<1x64x2x128xbf16>, %v: tensor<1x64x2x128xbf16>, %start: index) -> (tensor<1x16x2x128xbf16>, tensor<1x16x2x128xbf16>) {
  %o = xf.attention %q, %k, %v causal causal_offset(%start) scale = 5.000000e-01 : (tensor<1x16x2x128xbf16>, tensor<1x64x2x128xbf16>, tensor<1x64x2x128xbf16>, index) -> tensor<1x16x2x128xbf16>
  %p = xf.attention %q, %k, %v : (tensor<1x16x2x128xbf16>, tensor<1x64x2x128xbf16>, tensor<1x64x2x128xbf16>) -> tensor<1x16x2x128xbf16>
  return %o, %p : tensor<1x16x2x128xbf16>, tensor<1x16x2x128xbf16>
}

// -----

// What the kernel does not take stays for xf-lower-attention: f32, head
// dimension 32, a value head dimension other than the query's.
// CHECK-LABEL: func.func @not_taken
// CHECK-COUNT-3: xf.attention
// CHECK-NOT:   call
func.func @not_taken(%q32: tensor<1x8x2x64xf32>, %q: tensor<1x8x2x32xf16>, %k: tensor<1x8x2x64xf16>, %v: tensor<1x8x2x128xf16>) -> (tensor<1x8x2x64xf32>, tensor<1x8x2x32xf16>, tensor<1x8x2x128xf16>) {
  %a = xf.attention %q32, %q32, %q32 : (tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32>
  %b = xf.attention %q, %q, %q : (tensor<1x8x2x32xf16>, tensor<1x8x2x32xf16>, tensor<1x8x2x32xf16>) -> tensor<1x8x2x32xf16>
  %kq = tensor.empty() : tensor<1x8x2x64xf16>
  %c = xf.attention %kq, %k, %v : (tensor<1x8x2x64xf16>, tensor<1x8x2x64xf16>, tensor<1x8x2x128xf16>) -> tensor<1x8x2x128xf16>
  return %a, %b, %c : tensor<1x8x2x64xf32>, tensor<1x8x2x32xf16>, tensor<1x8x2x128xf16>
}

// -----

// Ops of one signature and configuration (two layers) share a declaration.
// CHECK-LABEL: func.func @two_layers
// CHECK:       call @attention_mma_f16_d128_causal(
// CHECK:       call @attention_mma_f16_d128_causal(
// CHECK:       func.func private @attention_mma_f16_d128_causal(
// CHECK-NOT:   func.func private
func.func @two_layers(%q: tensor<1x32x2x128xf16>) -> tensor<1x32x2x128xf16> {
  %a = xf.attention %q, %q, %q causal : (tensor<1x32x2x128xf16>, tensor<1x32x2x128xf16>, tensor<1x32x2x128xf16>) -> tensor<1x32x2x128xf16>
  %b = xf.attention %a, %a, %a causal : (tensor<1x32x2x128xf16>, tensor<1x32x2x128xf16>, tensor<1x32x2x128xf16>) -> tensor<1x32x2x128xf16>
  return %b : tensor<1x32x2x128xf16>
}
