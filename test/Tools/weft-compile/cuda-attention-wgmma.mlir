// weft-compile --target=cuda --chip=sm_90: 16-bit attention at head
// dimensions 64 and 128 becomes the Hopper FlashAttention kernel: sm_90a
// PTX whose tiles arrive by TMA (cp.async.bulk.tensor on mbarriers) and
// multiply with wgmma.mma_async (Q·Kᵀ from shared memory, P·V with P from
// registers and V transposed), the query, key and value tensor maps passed
// by value (128-byte grid-constant parameters); ptxas assembles it for
// sm_90a without spilling, and the host encodes the maps through the
// device table before each launch. Where cuobjdump is installed, the SASS
// holds HGMMA instructions.
// REQUIRES: ptxas
// RUN: weft-compile %s -o %t.weft --target=cuda --chip=sm_90
// RUN: FileCheck %s --input-file=%t.weft
// RUN: weft-opt %s --weft-cuda-pipeline="chip=sm_90" | FileCheck %s --check-prefix=HOST
// RUN: %if cuobjdump %{ %python %weft_src_root/benchmarks/gpu/sass.py %t.weft --require HGMMA --kernels attention_wgmma | FileCheck %s --check-prefix=SASS %}

// Four attention ops, four kernels, no spills, no stack.
// CHECK:      "device": {
// CHECK:        "chip": "sm_90",
// CHECK:        "kernels": [
// CHECK-DAG:      "name": "attention_wgmma_f16_d64_causal",
// CHECK-DAG:      "name": "attention_wgmma_bf16_d64",
// CHECK-DAG:      "name": "attention_wgmma_f16_d128_causal",
// CHECK-DAG:      "name": "attention_wgmma_bf16_d128",
// CHECK-NOT:      "spill_load_bytes": {{[1-9]}}
// CHECK-NOT:      "spill_store_bytes": {{[1-9]}}
// CHECK-NOT:      "stack_bytes": {{[1-9]}}
// CHECK:        ]
// CHECK:      "target": "cuda"
// CHECK:      .target sm_90a
// CHECK-DAG:  .param .align 64 .b8 attention_wgmma_f16_d64_causal_param_5[128]
// CHECK-DAG:  cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// CHECK-DAG:  mbarrier.arrive.expect_tx.shared.b64
// CHECK-DAG:  mbarrier.try_wait.parity.shared.b64
// CHECK-DAG:  wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// CHECK-DAG:  wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK-DAG:  wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{.*}}, {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}}, %rd{{[0-9]+}}, p, 1, 1, 1;
// CHECK-DAG:  wgmma.commit_group.sync.aligned
// CHECK-DAG:  wgmma.wait_group.sync.aligned 0

// The host encodes three tensor maps per launch (offset 40 of the device
// table) and passes them after the buffers and the diagonal.
// HOST-LABEL: func.func @forward(
// HOST-COUNT-12: llvm.getelementptr %{{.*}}[40] : (!llvm.ptr) -> !llvm.ptr, i8
// HOST-NOT:      llvm.getelementptr %{{.*}}[40] : (!llvm.ptr) -> !llvm.ptr, i8

// SASS-DAG: attention_wgmma_f16_d64_causal: HMMA 0, HGMMA {{[1-9][0-9]*}}
// SASS-DAG: attention_wgmma_bf16_d128: HMMA 0, HGMMA {{[1-9][0-9]*}}
func.func @forward(%q64: tensor<2x256x8x64xf16> {xf.name = "q64"},
                   %k64: tensor<2x256x2x64xf16> {xf.name = "k64"},
                   %b64: tensor<1x100x4x64xbf16> {xf.name = "b64"},
                   %q128: tensor<1x200x4x128xf16> {xf.name = "q128"},
                   %b128: tensor<1x64x2x128xbf16> {xf.name = "b128"})
    -> (tensor<2x256x8x64xf16> {xf.name = "o1"}, tensor<1x100x4x64xbf16> {xf.name = "o2"},
        tensor<1x200x4x128xf16> {xf.name = "o3"}, tensor<1x64x2x128xbf16> {xf.name = "o4"}) {
  %o1 = xf.attention %q64, %k64, %k64 causal : (tensor<2x256x8x64xf16>, tensor<2x256x2x64xf16>, tensor<2x256x2x64xf16>) -> tensor<2x256x8x64xf16>
  %o2 = xf.attention %b64, %b64, %b64 : (tensor<1x100x4x64xbf16>, tensor<1x100x4x64xbf16>, tensor<1x100x4x64xbf16>) -> tensor<1x100x4x64xbf16>
  %o3 = xf.attention %q128, %q128, %q128 causal : (tensor<1x200x4x128xf16>, tensor<1x200x4x128xf16>, tensor<1x200x4x128xf16>) -> tensor<1x200x4x128xf16>
  %o4 = xf.attention %b128, %b128, %b128 : (tensor<1x64x2x128xbf16>, tensor<1x64x2x128xbf16>, tensor<1x64x2x128xbf16>) -> tensor<1x64x2x128xbf16>
  return %o1, %o2, %o3, %o4 : tensor<2x256x8x64xf16>, tensor<1x100x4x64xbf16>, tensor<1x200x4x128xf16>, tensor<1x64x2x128xbf16>
}
