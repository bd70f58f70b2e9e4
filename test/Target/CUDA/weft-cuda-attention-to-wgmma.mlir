// RUN: weft-opt %s -split-input-file --weft-cuda-attention-to-wgmma --canonicalize --cse 2>&1 | FileCheck %s

// Causal f16 at head dimension 64, grouped-query (4 query heads, 2 key/value
// heads), 128 x 128 tiles over two warpgroups: on the host, the query, key
// and value tensor maps (one 64-column panel of 128 rows per box), then a
// launch over (2 query blocks, 4 heads, 2 batches) of 256 threads with 81
// KiB of dynamic shared memory (Q 16 KiB, two stages of K and of V 16 KiB
// each, 1 KiB to align them), the maps after the call's operands.
// CHECK-LABEL: func.func @causal_f16_d64
// CHECK-NOT:   call
// CHECK:       %[[QU:.*]] = memref.cast %arg0 : memref<2x200x4x64xf16> to memref<*xf16>
// CHECK:       %[[QM:.*]] = nvgpu.tma.create.descriptor %[[QU]] box[%c1, %c128, %c1, %c64] : memref<*xf16> -> <tensor = memref<1x128x1x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>
// CHECK:       %[[KM:.*]] = nvgpu.tma.create.descriptor
// CHECK:       %[[VM:.*]] = nvgpu.tma.create.descriptor
// CHECK:       gpu.launch_func @weft_attention_kernels::@attention_wgmma_f16_d64_causal blocks in (%c2, %c4, %c2) threads in (%c256, %c1, %c1) dynamic_shared_memory_size %c82968_i32 args(%arg0 : memref<2x200x4x64xf16>, %arg1 : memref<2x300x2x64xf16>, %arg2 : memref<2x300x2x64xf16>, %arg3 : memref<2x200x4x64xf16>, %c100 : index, %[[QM]] : {{.*}}, %[[KM]] : {{.*}}, %[[VM]] : {{.*}})
// CHECK-NOT:   func.func private @attention_wgmma
// CHECK:       gpu.module @weft_attention_kernels
// CHECK:       gpu.func @attention_wgmma_f16_d64_causal(%arg0: memref<2x200x4x64xf16>, {{.*}}, %arg4: index, %[[QT:.*]]: !nvgpu.tensormap.descriptor<{{.*}}>, %[[KT:.*]]: !nvgpu.tensormap.descriptor<{{.*}}>, %[[VT:.*]]: !nvgpu.tensormap.descriptor<{{.*}}>) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// Causal query blocks longest first; shared memory aligned to 1024 bytes.
// CHECK:         %[[QB:.*]] = gpu.block_id  x
// CHECK-NEXT:    arith.subi %c1, %[[QB]]
// CHECK:         %[[SMEM:.*]] = gpu.dynamic_shared_memory
// CHECK:         memref.extract_aligned_pointer_as_index %[[SMEM]]
// CHECK:         arith.andi %{{.*}}, %c1023_i64
// Three barriers (query; two key/value stages) after the tiles (80 KiB),
// in the dynamic shared memory too, set up by thread 0.
// CHECK:         %[[AT:.*]] = arith.addi %{{.*}}, %c81920 : index
// CHECK:         %[[BARS:.*]] = memref.view %[[SMEM]][%[[AT]]][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<3xi64, #gpu.address_space<workgroup>>
// CHECK:         %[[BAR:.*]] = builtin.unrealized_conversion_cast %[[BARS]] : memref<3xi64, #gpu.address_space<workgroup>> to !nvgpu.mbarrier.group<memorySpace = #gpu.address_space<workgroup>, num_barriers = 3>
// CHECK:         scf.if
// CHECK-COUNT-3:   nvgpu.mbarrier.init %[[BAR]]
// CHECK:           nvvm.fence.mbarrier.init
// CHECK:         gpu.barrier
// Thread 0 requests the query tile (16 KiB on barrier 0) and, when the
// block visits any key, key block 0 (K and V, 32 KiB on barrier 1).
// Coordinates are innermost first: (d, head, row, batch).
// CHECK:         scf.if
// CHECK:           nvgpu.mbarrier.arrive.expect_tx %[[BAR]][%c0], %c16384
// CHECK:           nvgpu.tma.async.load %[[QT]][%c0, %{{.*}}, %{{.*}}, %{{.*}}], %[[BAR]][%c0]
// CHECK:           scf.if
// CHECK:             nvgpu.mbarrier.arrive.expect_tx %[[BAR]][%c1], %c32768
// CHECK:             nvgpu.tma.async.load %[[KT]][%c0, %{{.*}}, %c0, %{{.*}}], %[[BAR]][%c1]
// CHECK:             nvgpu.tma.async.load %[[VT]][%c0, %{{.*}}, %c0, %{{.*}}], %[[BAR]][%c1]
// CHECK:         nvgpu.mbarrier.try_wait.parity %[[BAR]][%c0], %false
// The key loop carries O (32 values), the max and sum of two rows.
// CHECK:         %{{.*}}:36 = scf.for
// Next block requested into the other stage, this one waited for on its
// barrier's phase.
// CHECK:           scf.if
// CHECK:             nvgpu.mbarrier.arrive.expect_tx %[[BAR]][%{{.*}}], %c32768
// CHECK-COUNT-2:     nvgpu.tma.async.load
// CHECK:           nvgpu.mbarrier.try_wait.parity %[[BAR]][%{{.*}}], %{{.*}}, %c10000000
// S = Q·Kᵀ: four k-steps of m64n128k16 from shared memory.
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK:           nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %{{.*}}, <m = 64, n = 128, k = 16>, D[<f32>, <zero>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// CHECK-COUNT-3:   nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %{{.*}}, <m = 64, n = 128, k = 16>, D[<f32>, <one>]
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// Masking where some row of the warp misses a key, the online softmax over
// groups of four lanes, P rounded to f16.
// CHECK:           %{{.*}}:64 = scf.if %{{.*}} -> (f32,
// CHECK:           gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32
// CHECK:           gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32
// CHECK:           math.exp2
// CHECK:           nvvm.convert.f32x2.to.f16x2
// O += P·V: eight k-steps of 16 keys, A from registers, V transposed.
// O's 32 registers and P's 32 pass through one empty asm before the fence,
// so nothing is copied into them between the fence and the wgmma.
// CHECK:           %[[OPS:.*]] = llvm.inline_asm has_side_effects asm_dialect = att "", "{{(=f,){32}(=r,){31}=r,0,1,2,.*,63}}"
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:   llvm.inline_asm has_side_effects asm_dialect = att "{\0A.reg .pred p;\0Asetp.ne.b32 p, 1, 0;\0Awgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {$0, {{.*}}, $31}, {$64, $65, $66, $67}, $68, p, 1, 1, 1;\0A}\0A", "=f,{{.*}},31,r,r,r,r,l"
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// Every warpgroup leaves the stage before thread 0 refills it.
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      scf.yield
// O / l, stored as pairs for the rows inside the sequence.
// CHECK:         arith.divf
// CHECK:         scf.if
// CHECK:           vector.store %{{.*}}, %arg3[{{.*}}] {alignment = 4 : i64} : memref<2x200x4x64xf16>, vector<2xf16>
// CHECK:         gpu.return
func.func @causal_f16_d64(%q: memref<2x200x4x64xf16>, %k: memref<2x300x2x64xf16>, %v: memref<2x300x2x64xf16>, %o: memref<2x200x4x64xf16>) {
  %d = arith.constant 100 : index
  call @attention_wgmma_f16_d64_causal(%q, %k, %v, %o, %d) : (memref<2x200x4x64xf16>, memref<2x300x2x64xf16>, memref<2x300x2x64xf16>, memref<2x200x4x64xf16>, index) -> ()
  return
}
func.func private @attention_wgmma_f16_d64_causal(memref<2x200x4x64xf16>, memref<2x300x2x64xf16>, memref<2x300x2x64xf16>, memref<2x200x4x64xf16>, index) attributes {weft.attention_wgmma = {block_kv = 128 : i64, block_q = 128 : i64, causal = true, scale = 1.250000e-01 : f64, warps = 8 : i64}}

// -----

// bf16 at head dimension 128, one warpgroup, 64 keys per block: two
// 64-column panels per tile (two TMA boxes each), eight k-steps of
// m64n64k16 for S, four of m64n128k16 with A from registers for O;
// (64 + 4·64)·128·2 + 24 + 1024 bytes of shared memory.
// CHECK-LABEL: func.func @bf16_d128
// CHECK:       nvgpu.tma.create.descriptor %{{.*}} box[%c1, %c64, %c1, %c64] : memref<*xbf16>
// CHECK:       gpu.launch_func @weft_attention_kernels::@attention_wgmma_bf16_d128 blocks in (%c2, %c8, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c82968_i32
// CHECK:       gpu.func @attention_wgmma_bf16_d128(
// CHECK:         nvgpu.mbarrier.arrive.expect_tx %{{.*}}[%c0], %c16384
// CHECK-COUNT-2:   nvgpu.tma.async.load
// CHECK:         scf.for
// CHECK:           nvgpu.mbarrier.arrive.expect_tx %{{.*}}, %c32768
// CHECK-COUNT-4:   nvgpu.tma.async.load
// CHECK-COUNT-8:   nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <{{zero|one}}>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK:           nvvm.convert.f32x2.to.bf16x2
// CHECK-COUNT-4:   llvm.inline_asm {{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;
func.func @bf16_d128(%q: memref<1x128x8x128xbf16>, %k: memref<1x128x8x128xbf16>, %v: memref<1x128x8x128xbf16>, %o: memref<1x128x8x128xbf16>) {
  %d = arith.constant 0 : index
  call @attention_wgmma_bf16_d128(%q, %k, %v, %o, %d) : (memref<1x128x8x128xbf16>, memref<1x128x8x128xbf16>, memref<1x128x8x128xbf16>, memref<1x128x8x128xbf16>, index) -> ()
  return
}
func.func private @attention_wgmma_bf16_d128(memref<1x128x8x128xbf16>, memref<1x128x8x128xbf16>, memref<1x128x8x128xbf16>, memref<1x128x8x128xbf16>, index) attributes {weft.attention_wgmma = {block_kv = 64 : i64, block_q = 64 : i64, causal = false, scale = 0.08838834764831845 : f64, warps = 4 : i64}}
