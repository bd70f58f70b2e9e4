// weft-compile --target=cuda: the linear layers of a GPT-2 MLP (bias and
// GELU; bias and residual) and of a Llama SwiGLU MLP (SiLU gate, up
// projection, residual down projection) run on tensor cores, in f16 and
// bf16, for sm_80 and sm_90: the PTX multiplies with mma.sync m16n8k16
// from ldmatrix fragments fed by cp.async, and no kernel spills. Where
// cuobjdump is installed, every linear kernel's SASS holds HMMA.
// REQUIRES: ptxas
// RUN: weft-compile %s -o %t.f16.sm80.weft --target=cuda --chip=sm_80
// RUN: FileCheck %s --input-file=%t.f16.sm80.weft --check-prefixes=ARTIFACT,SM80,F16
// RUN: weft-compile %s -o %t.f16.sm90.weft --target=cuda --chip=sm_90
// RUN: FileCheck %s --input-file=%t.f16.sm90.weft --check-prefixes=ARTIFACT,SM90,F16
// RUN: sed -e 's/xf16>/xbf16>/g' %s > %t.bf16.mlir
// RUN: weft-compile %t.bf16.mlir -o %t.bf16.sm80.weft --target=cuda --chip=sm_80
// RUN: FileCheck %s --input-file=%t.bf16.sm80.weft --check-prefixes=ARTIFACT,SM80,BF16
// RUN: weft-compile %t.bf16.mlir -o %t.bf16.sm90.weft --target=cuda --chip=sm_90
// RUN: FileCheck %s --input-file=%t.bf16.sm90.weft --check-prefixes=ARTIFACT,SM90,BF16
// RUN: weft-opt %s --weft-cuda-pipeline="chip=sm_80 tensor-core-linear=false" | FileCheck %s --check-prefix=OFF
// RUN: %if cuobjdump %{ %python %weft_src_root/benchmarks/gpu/sass.py %t.f16.sm80.weft %t.bf16.sm90.weft --require HMMA --kernels linear_mma | FileCheck %s --check-prefix=SASS %}

// SASS-DAG: f16.sm80.weft: linear_mma_f16_bias_gelu_tanh: HMMA {{[1-9][0-9]*}}
// SASS-DAG: bf16.sm90.weft: linear_mma_bf16_silu: HMMA {{[1-9][0-9]*}}

// Switched off, every product is a one-thread-per-element loop kernel.
// OFF: weft.kernels = ["mlps_kernel",
// OFF-NOT: linear_mma
// OFF-NOT: mma.sync

// ARTIFACT: "device": {
// SM80: "chip": "sm_80",
// SM90: "chip": "sm_90",
// ARTIFACT-NEXT: "kernels": [
// ARTIFACT-NOT: "spill_load_bytes": {{[1-9]}}
// ARTIFACT-NOT: "spill_store_bytes": {{[1-9]}}
// F16: "name": "linear_mma_f16_bias_gelu_tanh",
// BF16: "name": "linear_mma_bf16_bias_gelu_tanh",
// ARTIFACT-NEXT: "registers": {{[1-9][0-9]*}},
// ARTIFACT-NEXT: "shared_bytes": {{[0-9]+}},
// ARTIFACT-NEXT: "spill_load_bytes": 0,
// ARTIFACT-NEXT: "spill_store_bytes": 0,
// F16: "name": "linear_mma_f16_bias_residual",
// BF16: "name": "linear_mma_bf16_bias_residual",
// ARTIFACT-NEXT: "registers": {{[1-9][0-9]*}},
// ARTIFACT-NEXT: "shared_bytes": {{[0-9]+}},
// ARTIFACT-NEXT: "spill_load_bytes": 0,
// ARTIFACT-NEXT: "spill_store_bytes": 0,
// F16: "name": "linear_mma_f16_silu",
// BF16: "name": "linear_mma_bf16_silu",
// ARTIFACT-NEXT: "registers": {{[1-9][0-9]*}},
// ARTIFACT-NEXT: "shared_bytes": {{[0-9]+}},
// ARTIFACT-NEXT: "spill_load_bytes": 0,
// ARTIFACT-NEXT: "spill_store_bytes": 0,
// F16: "name": "linear_mma_f16",
// BF16: "name": "linear_mma_bf16",
// ARTIFACT-NEXT: "registers": {{[1-9][0-9]*}},
// ARTIFACT-NEXT: "shared_bytes": {{[0-9]+}},
// ARTIFACT-NEXT: "spill_load_bytes": 0,
// ARTIFACT-NEXT: "spill_store_bytes": 0,
// F16: "name": "linear_mma_f16_residual",
// BF16: "name": "linear_mma_bf16_residual",
// ARTIFACT-NEXT: "registers": {{[1-9][0-9]*}},
// ARTIFACT-NEXT: "shared_bytes": {{[0-9]+}},
// ARTIFACT-NEXT: "spill_load_bytes": 0,
// ARTIFACT-NEXT: "spill_store_bytes": 0,
// ARTIFACT-NOT: "spill_load_bytes": {{[1-9]}}
// ARTIFACT-NOT: "spill_store_bytes": {{[1-9]}}
// ARTIFACT: "target": "cuda"
// SM80: .target sm_80
// SM90: .target sm_90
// ARTIFACT: .entry linear_mma_{{b?}}f16_bias_gelu_tanh(
// ARTIFACT: cp.async.cg.shared.global
// ARTIFACT: cp.async.commit_group
// ARTIFACT: cp.async.wait_group 1
// ARTIFACT: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// ARTIFACT: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// F16: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// BF16: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// ARTIFACT: .entry linear_mma_{{b?}}f16_silu(
// F16: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// BF16: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
func.func @mlps(%x: tensor<2x64x256xf16> {xf.name = "x"},
                %w1: tensor<256x1024xf16> {xf.name = "fc.weight", xf.role = "weight"},
                %b1: tensor<1024xf16> {xf.name = "fc.bias", xf.role = "weight"},
                %w2: tensor<1024x256xf16> {xf.name = "proj.weight", xf.role = "weight"},
                %b2: tensor<256xf16> {xf.name = "proj.bias", xf.role = "weight"},
                %wg: tensor<256x688xf16> {xf.name = "gate.weight", xf.role = "weight"},
                %wu: tensor<256x688xf16> {xf.name = "up.weight", xf.role = "weight"},
                %wd: tensor<688x256xf16> {xf.name = "down.weight", xf.role = "weight"})
    -> (tensor<2x64x256xf16> {xf.name = "y"}) {
  // GPT-2: h + proj(gelu(fc(h))).
  %h = xf.linear %x, %w1, %b1 : (tensor<2x64x256xf16>, tensor<256x1024xf16>, tensor<1024xf16>) -> tensor<2x64x1024xf16>
  %g = xf.gelu %h approximate = tanh : (tensor<2x64x1024xf16>) -> tensor<2x64x1024xf16>
  %o = xf.linear %g, %w2, %b2 : (tensor<2x64x1024xf16>, tensor<1024x256xf16>, tensor<256xf16>) -> tensor<2x64x256xf16>
  %r = xf.add %x, %o : (tensor<2x64x256xf16>, tensor<2x64x256xf16>) -> tensor<2x64x256xf16>
  // Llama: r + down(silu(gate(r)) * up(r)), 688 = 5.375 tiles of 128.
  %gate = xf.linear %r, %wg : (tensor<2x64x256xf16>, tensor<256x688xf16>) -> tensor<2x64x688xf16>
  %act = xf.silu %gate : (tensor<2x64x688xf16>) -> tensor<2x64x688xf16>
  %up = xf.linear %r, %wu : (tensor<2x64x256xf16>, tensor<256x688xf16>) -> tensor<2x64x688xf16>
  %prod = xf.mul %act, %up : (tensor<2x64x688xf16>, tensor<2x64x688xf16>) -> tensor<2x64x688xf16>
  %down = xf.linear %prod, %wd : (tensor<2x64x688xf16>, tensor<688x256xf16>) -> tensor<2x64x256xf16>
  %y = xf.add %r, %down : (tensor<2x64x256xf16>, tensor<2x64x256xf16>) -> tensor<2x64x256xf16>
  return %y : tensor<2x64x256xf16>
}
