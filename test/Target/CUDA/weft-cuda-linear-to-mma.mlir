// RUN: weft-opt %s -split-input-file --weft-cuda-linear-to-mma | FileCheck %s

// A linear layer with bias and GELU (tanh), M = 256, K = 768, N = 3072,
// default tiling: a grid of (24 N tiles, 2 M tiles, batch 1) blocks of
// 8 warps, 3 stages of (128 + 128) x 64 f16 in dynamic shared memory.
// Prologue: steps 0 and 1 copied (A: 128x64 = 1024 chunks over 256
// threads, 4 copies each; B: 64x128, 4 each), one commit group per step;
// the loop waits for its step (1 group may stay in flight), prefetches
// step + 2 and computes: per 16-deep k-step 4 A and 2 B ldmatrix.x4 (B
// transposed on the way, [K, N] weight) and 4 x 4 mma.sync. The epilogue
// adds the bias, rounds, applies GELU with tanh and stores the pairs; no
// bounds checks, every tile is full. The declaration is gone: the call is
// a launch of the kernel, a gpu.func of its name.
// CHECK-LABEL: func.func @gelu_mlp
// CHECK-SAME:    (%[[A:.*]]: memref<1x256x768xf16>, %[[W:.*]]: memref<1x768x3072xf16>, %[[B:.*]]: memref<3072xf16>, %[[OUT:.*]]: memref<1x256x3072xf16>)
// CHECK:       gpu.launch_func @weft_linear_kernels::@linear_mma_f16_bias_gelu_tanh blocks in (%c24, %c2, %c1{{(_[0-9]+)?}}) threads in (%c256, %c1{{(_[0-9]+)?}}, %c1{{(_[0-9]+)?}}) dynamic_shared_memory_size %c98304_i32 args(%[[A]] : memref<1x256x768xf16>, %[[W]] : memref<1x768x3072xf16>, %[[B]] : memref<3072xf16>, %[[OUT]] : memref<1x256x3072xf16>)
// CHECK-NOT:   func.call
// CHECK-NOT:   func.func private
// The kernel's arguments are the call's operands, in order.
// CHECK:       gpu.func @linear_mma_f16_bias_gelu_tanh(%[[A]]: memref<1x256x768xf16>, %[[W]]: memref<1x768x3072xf16>, %[[B]]: memref<3072xf16>, %[[OUT]]: memref<1x256x3072xf16>) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// CHECK:         gpu.dynamic_shared_memory
// CHECK:         memref.view {{.*}} to memref<3x128x64xf16, #gpu.address_space<workgroup>>
// CHECK:         memref.view {{.*}} to memref<3x64x128xf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-4: nvgpu.device_async_copy %[[A]]
// CHECK-COUNT-4: nvgpu.device_async_copy %[[W]]
// CHECK:         nvvm.cp.async.commit.group
// CHECK-COUNT-4: nvgpu.device_async_copy %[[A]]
// CHECK-COUNT-4: nvgpu.device_async_copy %[[W]]
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (f32, f32
// CHECK:           nvvm.cp.async.wait.group 1
// CHECK-NEXT:      gpu.barrier
// CHECK:           scf.if
// CHECK-COUNT-8:     nvgpu.device_async_copy
// CHECK:           nvvm.cp.async.commit.group
// CHECK-COUNT-4:   nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<3x128x64xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK-COUNT-2:   nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = true} : memref<3x64x128xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK-COUNT-16:  nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:           scf.yield
// CHECK:         vector.load %[[B]][%{{.*}}] {alignment = 4 : i64} : memref<3072xf16>, vector<2xf16>
// CHECK-NOT:     scf.if
// CHECK:         arith.addf
// CHECK:         nvvm.convert.f32x2.to.f16x2
// CHECK:         arith.extf
// CHECK:         math.tanh
// CHECK:         vector.store %{{.*}}, %[[OUT]][%{{.*}}, %{{.*}}, %{{.*}}] {alignment = 4 : i64} : memref<1x256x3072xf16>, vector<2xf16>
// CHECK:         gpu.return
func.func @gelu_mlp(%a: memref<1x256x768xf16>, %w: memref<1x768x3072xf16>, %b: memref<3072xf16>, %out: memref<1x256x3072xf16>) {
  call @linear_mma_f16_bias_gelu_tanh(%a, %w, %b, %out) : (memref<1x256x768xf16>, memref<1x768x3072xf16>, memref<3072xf16>, memref<1x256x3072xf16>) -> ()
  return
}
func.func private @linear_mma_f16_bias_gelu_tanh(memref<1x256x768xf16>, memref<1x768x3072xf16>, memref<3072xf16>, memref<1x256x3072xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64, epilogue = ["bias", "round", "gelu_tanh"], stages = 3 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}

// -----

// A batched bf16 product with an [N, K] right operand and ragged edges
// (M = 100 of 64-row tiles, N = 136 of 64-column tiles, K = 72 of 64-deep
// steps), 4 warps in a 2 x 2 grid, 2 stages: grid (3, 2, 5); B through
// plain ldmatrix; the copies zero-fill past K on both operands (the
// source size is 8 elements only below K - kStart); stores check row < M
// and column < N; a residual is read under the same checks; bf16 mma.
// CHECK-LABEL: func.func @ragged_batched
// CHECK-SAME:    (%[[A:.*]]: memref<5x100x72xbf16>, %[[BT:.*]]: memref<5x136x72xbf16>, %[[R:.*]]: memref<5x100x136xbf16>, %[[OUT:.*]]: memref<5x100x136xbf16>)
// CHECK:       gpu.launch_func @weft_linear_kernels::@matmul_mma_bf16_residual blocks in (%c3, %c2, %c5) threads in (%c128, {{.*}}) dynamic_shared_memory_size %c32768_i32
// CHECK:       gpu.func @matmul_mma_bf16_residual(
// CHECK:         %[[BATCH:.*]] = gpu.block_id  z
// CHECK:         memref.view {{.*}} to memref<2x64x64xbf16, #gpu.address_space<workgroup>>
// CHECK:         memref.view {{.*}} to memref<2x64x64xbf16, #gpu.address_space<workgroup>>
// CHECK:         %[[KLEFT:.*]] = arith.subi %c72, %{{.*}} : index
// CHECK:         %[[COL:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:         %[[KOK:.*]] = arith.cmpi ult, %[[COL]], %[[KLEFT]] : index
// CHECK:         %[[ROWOK:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK:         %[[BOTH:.*]] = arith.andi %[[ROWOK]], %[[KOK]] : i1
// CHECK:         %[[SIZE:.*]] = arith.select %[[BOTH]], %{{.*}}, %{{.*}} : index
// CHECK:         nvgpu.device_async_copy %[[A]][%[[BATCH]], %{{.*}}, %{{.*}}], %{{.*}}, 8, %[[SIZE]] {bypassL1}
// CHECK:         nvgpu.device_async_copy %[[BT]][%[[BATCH]]
// CHECK:         scf.for
// CHECK:           nvvm.cp.async.wait.group 0
// CHECK-NOT:       transpose = true
// CHECK:           nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<2x64x64xbf16
// CHECK:           nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32)
// CHECK:         %[[INN:.*]] = arith.cmpi ult, %[[COL:.*]], %c136{{(_[0-9]+)?}} : index
// CHECK:         %[[INM:.*]] = arith.cmpi ult, %[[ROW:.*]], %c100{{(_[0-9]+)?}} : index
// CHECK:         scf.if %[[INM]] {
// CHECK-NEXT:      scf.if %[[INN]] {
// CHECK:             vector.load %[[R]][%[[BATCH]], %[[ROW]], %[[COL]]] {alignment = 4 : i64} : memref<5x100x136xbf16>, vector<2xbf16>
// CHECK:             nvvm.convert.f32x2.to.bf16x2
// CHECK:             vector.store %{{.*}}, %[[OUT]][%[[BATCH]], %[[ROW]], %[[COL]]] {alignment = 4 : i64} : memref<5x100x136xbf16>, vector<2xbf16>
func.func @ragged_batched(%a: memref<5x100x72xbf16>, %bt: memref<5x136x72xbf16>, %r: memref<5x100x136xbf16>, %out: memref<5x100x136xbf16>) {
  call @matmul_mma_bf16_residual(%a, %bt, %r, %out) : (memref<5x100x72xbf16>, memref<5x136x72xbf16>, memref<5x100x136xbf16>, memref<5x100x136xbf16>) -> ()
  return
}
func.func private @matmul_mma_bf16_residual(memref<5x100x72xbf16>, memref<5x136x72xbf16>, memref<5x100x136xbf16>, memref<5x100x136xbf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 64 : i64, block_n = 64 : i64, epilogue = ["round", "residual"], stages = 2 : i64, transpose_rhs = true, warps_m = 2 : i64, warps_n = 2 : i64}}

// -----

// SiLU and the exact GELU use the formulas of xf-to-linalg: x / (1 + exp(-x))
// and x · (1/2 · (1 + erf(x / √2))).
// CHECK-LABEL: func.func @activations
// CHECK:       gpu.launch_func @weft_linear_kernels::@linear_mma_f16_silu
// CHECK:       gpu.launch_func @weft_linear_kernels::@linear_mma_f16_gelu_erf
// CHECK:       gpu.func @linear_mma_f16_silu(
// CHECK:         %[[NEG:.*]] = arith.negf %[[X:.*]] : f32
// CHECK:         %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK:         %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK:         arith.divf %[[X]], %[[D]] : f32
// CHECK:       gpu.func @linear_mma_f16_gelu_erf(
// CHECK:         %[[S:.*]] = arith.mulf %{{.*}}, %[[Y:.*]] : f32
// CHECK:         %[[ERF:.*]] = math.erf %[[S]] : f32
// CHECK:         %[[ONE:.*]] = arith.addf %{{.*}}, %[[ERF]] : f32
// CHECK:         %[[CDF:.*]] = arith.mulf %{{.*}}, %[[ONE]] : f32
// CHECK:         arith.mulf %[[Y]], %[[CDF]] : f32
func.func @activations(%a: memref<1x64x64xf16>, %w: memref<1x64x64xf16>, %out: memref<1x64x64xf16>) {
  call @linear_mma_f16_silu(%a, %w, %out) : (memref<1x64x64xf16>, memref<1x64x64xf16>, memref<1x64x64xf16>) -> ()
  call @linear_mma_f16_gelu_erf(%a, %w, %out) : (memref<1x64x64xf16>, memref<1x64x64xf16>, memref<1x64x64xf16>) -> ()
  return
}
func.func private @linear_mma_f16_silu(memref<1x64x64xf16>, memref<1x64x64xf16>, memref<1x64x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 64 : i64, block_n = 64 : i64, epilogue = ["round", "silu"], stages = 2 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 2 : i64}}
func.func private @linear_mma_f16_gelu_erf(memref<1x64x64xf16>, memref<1x64x64xf16>, memref<1x64x64xf16>) attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 64 : i64, block_n = 64 : i64, epilogue = ["round", "gelu_erf"], stages = 2 : i64, transpose_rhs = false, warps_m = 2 : i64, warps_n = 2 : i64}}
