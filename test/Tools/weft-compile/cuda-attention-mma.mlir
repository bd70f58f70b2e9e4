// weft-compile --target=cuda: 16-bit attention at head dimensions 64 and
// 128 becomes the tensor-core FlashAttention kernel, one kernel per op: the
// PTX multiplies with mma.sync (f16 and bf16, f32 accumulate), reads shared
// tiles with ldmatrix (transposed for V), copies with cp.async; ptxas
// assembles it for sm_80 and sm_90 (where the Hopper kernel is switched
// off: cuda-attention-wgmma.mlir tests that one) without spilling. Where
// cuobjdump is installed, the SASS holds HMMA instructions.
// REQUIRES: ptxas
// RUN: weft-compile %s -o %t.sm80.weft --target=cuda --chip=sm_80
// RUN: FileCheck %s --input-file=%t.sm80.weft --check-prefixes=CHECK,SM80
// RUN: weft-compile %s -o %t.sm90.weft --target=cuda --chip=sm_90 --attention-wgmma=false
// RUN: FileCheck %s --input-file=%t.sm90.weft --check-prefixes=CHECK,SM90
// RUN: not weft-compile %s -o %t.bad.weft --target=cuda --attention-block-q=48 2>&1 | FileCheck %s --check-prefix=BADQ
// RUN: weft-opt %s --weft-cuda-pipeline="chip=sm_80 tensor-core-attention=false" | FileCheck %s --check-prefix=OFF
// RUN: %if cuobjdump %{ %python %weft_src_root/benchmarks/gpu/sass.py %t.sm80.weft %t.sm90.weft --require HMMA | FileCheck %s --check-prefix=SASS %}

// Four attention ops, four kernels, no spills, no stack.
// CHECK:      "device": {
// SM80:         "chip": "sm_80",
// SM90:         "chip": "sm_90",
// CHECK:        "kernels": [
// CHECK-DAG:      "name": "attention_mma_f16_d64_causal",
// CHECK-DAG:      "name": "attention_mma_bf16_d64",
// CHECK-DAG:      "name": "attention_mma_f16_d128_causal",
// CHECK-DAG:      "name": "attention_mma_bf16_d128",
// CHECK-NOT:      "spill_load_bytes": {{[1-9]}}
// CHECK-NOT:      "spill_store_bytes": {{[1-9]}}
// CHECK-NOT:      "stack_bytes": {{[1-9]}}
// CHECK:        ]
// CHECK:      "target": "cuda"
// SM80:       .target sm_80
// SM90:       .target sm_90
// CHECK-DAG:  mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK-DAG:  mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-DAG:  ldmatrix.sync.aligned.m8n8.x4.shared.b16
// CHECK-DAG:  ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// CHECK-DAG:  cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16, {{.*}};
// CHECK-DAG:  cp.async.wait_group 1;
// CHECK-DAG:  cvt.rn.bf16x2.f32
// CHECK-DAG:  ex2.approx

// BADQ: error: 'xf.attention' op tensor-core attention needs 16 or 32 query rows per warp and a multiple of 16 keys per block, got block_q=48, warps=4, block_kv=64

// Switched off, the same ops run as the generic loop nest's kernels.
// OFF-NOT: attention_mma
// OFF: weft.kernels = ["forward_kernel",
// OFF-NOT: attention_mma

// SASS-DAG: attention_mma_f16_d64_causal: HMMA {{[1-9][0-9]*}}
// SASS-DAG: attention_mma_bf16_d128: HMMA {{[1-9][0-9]*}}
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
