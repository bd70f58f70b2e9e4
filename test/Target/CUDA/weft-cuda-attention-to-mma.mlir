// RUN: weft-opt %s -split-input-file --weft-cuda-attention-to-mma --canonicalize --cse 2>&1 | FileCheck %s

// Causal f16 at head dimension 64, grouped-query (4 query heads, 2 key/value
// heads), 64 x 64 tiles over 4 warps: a launch over (4 query blocks, 4
// heads, 2 batches) of 128 threads with 40 KiB of dynamic shared memory
// (Q 8 KiB, two stages of K and of V 16 KiB each).
// CHECK-LABEL: func.func @causal_f16_d64
// CHECK-NOT:   call
// CHECK:       gpu.launch_func @weft_attention_kernels::@attention_mma_f16_d64_causal blocks in (%c4, %c4, %c2) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c40960_i32 args(%arg0 : memref<2x200x4x64xf16>, %arg1 : memref<2x300x2x64xf16>, %arg2 : memref<2x300x2x64xf16>, %arg3 : memref<2x200x4x64xf16>, %c100 : index)
// The declaration is gone; the kernel is a gpu.func of its name.
// CHECK-NOT:   func.func private @attention_mma
// CHECK:       gpu.module @weft_attention_kernels
// CHECK:       gpu.func @attention_mma_f16_d64_causal(%arg0: memref<2x200x4x64xf16>, %arg1: memref<2x300x2x64xf16>, %arg2: memref<2x300x2x64xf16>, %arg3: memref<2x200x4x64xf16>, %arg4: index) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// Causal query blocks longest first; the key/value head of a query head.
// CHECK:         %[[QB:.*]] = gpu.block_id  x
// CHECK-NEXT:    arith.subi %c3, %[[QB]]
// CHECK-NEXT:    %[[H:.*]] = gpu.block_id  y
// CHECK-NEXT:    %[[B:.*]] = gpu.block_id  z
// CHECK-NEXT:    arith.divui %[[H]], %c2
// CHECK:         %[[SMEM:.*]] = gpu.dynamic_shared_memory
// CHECK:         %[[QT:.*]] = memref.view %[[SMEM]][%c0][] {{.*}} to memref<64x64xf16, #gpu.address_space<workgroup>>
// CHECK:         %[[KT:.*]] = memref.view %[[SMEM]][%c8192][] {{.*}} to memref<2x64x64xf16, #gpu.address_space<workgroup>>
// CHECK:         %[[VT:.*]] = memref.view %[[SMEM]][%c24576][] {{.*}} to memref<2x64x64xf16, #gpu.address_space<workgroup>>
// Prologue: the query tile (4 copies a thread), then key/value block 0.
// CHECK-COUNT-4: nvgpu.device_async_copy %arg0[{{.*}}], %[[QT]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:         nvvm.cp.async.commit.group
// CHECK-COUNT-4: nvgpu.device_async_copy %arg1[{{.*}}], %[[KT]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK-COUNT-4: nvgpu.device_async_copy %arg2[{{.*}}], %[[VT]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:         nvvm.cp.async.commit.group
// CHECK-NEXT:    nvvm.cp.async.wait.group 1
// CHECK-NEXT:    gpu.barrier
// The warp's 16 rows as A fragments, one per 16 columns of the head.
// CHECK-COUNT-4: nvgpu.ldmatrix %[[QT]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// The key loop carries 8 x 4 accumulators, the row max and sum (2 rows).
// CHECK:         %{{.*}}:36 = scf.for
// Next block into the other stage, then wait for this one.
// CHECK:           scf.if
// CHECK-COUNT-8:     nvgpu.device_async_copy
// CHECK:           nvvm.cp.async.commit.group
// CHECK-NEXT:      nvvm.cp.async.wait.group 1
// CHECK-NEXT:      gpu.barrier
// S = Q·Kᵀ: 4 k-steps x 8 key tiles; the online softmax; O += P·V: 4
// k-steps x 8 head tiles, V through transposed loads.
// CHECK-COUNT-32:  nvvm.mma.sync
// Only blocks where some row of the warp misses a key (the ragged end, the
// causal diagonal) mask their scores, in a warp-uniform branch.
// CHECK:           %{{.*}}:32 = scf.if %{{.*}} -> (f32,
// CHECK-COUNT-32:    arith.select %{{.*}}, %{{.*}}, %cst
// CHECK:             scf.yield
// CHECK:           } else {
// CHECK-NEXT:        scf.yield
// CHECK:           gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32
// CHECK:           gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32
// CHECK:           math.exp2
// CHECK:           nvvm.convert.f32x2.to.f16x2
// CHECK:           nvgpu.ldmatrix %[[VT]][{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK-COUNT-32:  nvvm.mma.sync
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           gpu.barrier
// CHECK-NEXT:      scf.yield
// O / l, stored as pairs for the rows inside the sequence.
// CHECK:         arith.divf
// CHECK:         scf.if
// CHECK:           vector.store %{{.*}}, %arg3[%[[B]], %{{.*}}, %[[H]], %{{.*}}] {alignment = 4 : i64} : memref<2x200x4x64xf16>, vector<2xf16>
// CHECK:         gpu.return
func.func @causal_f16_d64(%q: memref<2x200x4x64xf16>, %k: memref<2x300x2x64xf16>, %v: memref<2x300x2x64xf16>, %o: memref<2x200x4x64xf16>) {
  %d = arith.constant 100 : index
  call @attention_mma_f16_d64_causal(%q, %k, %v, %o, %d) : (memref<2x200x4x64xf16>, memref<2x300x2x64xf16>, memref<2x300x2x64xf16>, memref<2x200x4x64xf16>, index) -> ()
  return
}
func.func private @attention_mma_f16_d64_causal(memref<2x200x4x64xf16>, memref<2x300x2x64xf16>, memref<2x300x2x64xf16>, memref<2x200x4x64xf16>, index) attributes {weft.attention_mma = {block_kv = 64 : i64, block_q = 64 : i64, causal = true, scale = 1.250000e-01 : f64, warps = 4 : i64}}

// -----

// bf16 at head dimension 128, not causal, 2 warps of 32 rows each: bf16
// fragments travel as i32 registers; 80 KiB... here (64 + 4·32)·128·2 =
// 48 KiB of shared memory; query blocks in order.
// CHECK-LABEL: func.func @bf16_d128
// CHECK:       gpu.launch_func @weft_attention_kernels::@attention_mma_bf16_d128 blocks in (%c2, %c8, %c1) threads in (%c64, %c1, %c1) dynamic_shared_memory_size %c49152_i32
// CHECK:       gpu.func @attention_mma_bf16_d128(
// CHECK:         %[[QB:.*]] = gpu.block_id  x
// CHECK-NOT:     arith.subi %{{.*}}, %[[QB]]
// CHECK:         vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// Two row tiles per warp: 2 x (8 k-steps x 4 key tiles + 2 k-steps x 16
// head tiles) = 128 products per key block.
// CHECK:         scf.for
// CHECK-COUNT-128: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32)
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         nvvm.convert.f32x2.to.bf16x2
// CHECK:         vector.store {{.*}} : memref<1x100x8x128xbf16>, vector<2xbf16>
func.func @bf16_d128(%q: memref<1x100x8x128xbf16>, %k: memref<1x100x8x128xbf16>, %v: memref<1x100x8x128xbf16>, %o: memref<1x100x8x128xbf16>) {
  %d = arith.constant 0 : index
  call @attention_mma_bf16_d128(%q, %k, %v, %o, %d) : (memref<1x100x8x128xbf16>, memref<1x100x8x128xbf16>, memref<1x100x8x128xbf16>, memref<1x100x8x128xbf16>, index) -> ()
  return
}
func.func private @attention_mma_bf16_d128(memref<1x100x8x128xbf16>, memref<1x100x8x128xbf16>, memref<1x100x8x128xbf16>, memref<1x100x8x128xbf16>, index) attributes {weft.attention_mma = {block_kv = 32 : i64, block_q = 64 : i64, causal = false, scale = 0.088388347648318433 : f64, warps = 2 : i64}}
