// weft-compile --kernel-report: each kernel with how often it is launched
// and the model ops it computes (from the ops' name locations,
// "<block>/<op>"), the kernel launches per block and the totals; the
// manifest's device object holds the same counts. With weft-fuse-rows (the
// default on CUDA) each layer norm runs with the residual add before it as
// one kernel; without it, every op of the norm is a kernel of its own. In
// f16 the linear layers with their residual adds are one tensor-core
// kernel, shared by both blocks: 3 kernels, 4 launches.
// REQUIRES: ptxas
// RUN: weft-compile %s -o %t.weft --target=cuda --kernel-report=%t.report
// RUN: FileCheck %s --input-file=%t.report --check-prefix=FUSED
// RUN: FileCheck %s --input-file=%t.weft --check-prefix=MANIFEST
// RUN: weft-compile %s -o %t.plain.weft --target=cuda --fuse-rows=false --kernel-report=- | FileCheck %s --check-prefix=PLAIN
// RUN: sed 's/f32/f16/g' %s > %t.f16.mlir
// RUN: weft-compile %t.f16.mlir -o %t.f16.weft --target=cuda --kernel-report=- | FileCheck %s --check-prefix=F16
// RUN: FileCheck %s --input-file=%t.f16.weft --check-prefix=F16-MANIFEST
// RUN: not weft-compile %s -o %t.cpu.weft --kernel-report=- 2>&1 | FileCheck %s --check-prefix=CPU

// FUSED: kernel            launches  model ops
// FUSED-NEXT: forward_kernel    1         h.0/ln, embed
// FUSED-NEXT: forward_kernel_0  1         h.0/fc
// FUSED: forward_kernel_{{[0-9]+}}  1         h.1/ln, h.0/resid
// FUSED-NEXT: forward_kernel_{{[0-9]+}}  1         h.1/fc
// FUSED-NEXT: forward_kernel_{{[0-9]+}}  1         h.1/resid
// FUSED-EMPTY:
// FUSED-NEXT: kernel launches per block:
// FUSED-NEXT: h.0: 4
// FUSED-NEXT: h.1: 3
// FUSED-NEXT: outside blocks: 0
// FUSED-NEXT: total: 7 kernels, 7 launches

// MANIFEST: "device": {
// MANIFEST: "launches": 1,
// MANIFEST: "kernels_outside_blocks": 0,
// MANIFEST-NEXT: "kernels_per_block": [
// MANIFEST-NEXT: {
// MANIFEST-NEXT: "kernels": 4,
// MANIFEST-NEXT: "name": "h.0"
// MANIFEST-NEXT: },
// MANIFEST-NEXT: {
// MANIFEST-NEXT: "kernels": 3,
// MANIFEST-NEXT: "name": "h.1"
// MANIFEST-NEXT: }
// MANIFEST-NEXT: ]

// The embedding's add is a kernel of its own, outside the blocks.
// PLAIN: forward_kernel {{ *}}1 {{ *}}embed
// PLAIN: kernel launches per block:
// PLAIN-NEXT: h.0: 10
// PLAIN-NEXT: h.1: 6
// PLAIN-NEXT: outside blocks: 1
// PLAIN-NEXT: total: 17 kernels, 17 launches

// F16: linear_mma_f16_residual {{ *}}2 {{ *}}h.0/fc, h.0/resid, h.1/fc, h.1/resid
// F16: kernel launches per block:
// F16-NEXT: h.0: 2
// F16-NEXT: h.1: 2
// F16-NEXT: outside blocks: 0
// F16-NEXT: total: 3 kernels, 4 launches
// F16-MANIFEST: "launches": 2,
// F16-MANIFEST-NEXT: "name": "linear_mma_f16_residual",

// CPU: weft-compile: error: --kernel-report needs --target=cuda
func.func @forward(%x: tensor<1x64x128xf32> {xf.name = "x"},
                   %g: tensor<128xf32> {xf.name = "ln.weight", xf.role = "weight"},
                   %b: tensor<128xf32> {xf.name = "ln.bias", xf.role = "weight"},
                   %w1: tensor<128x128xf32> {xf.name = "fc.weight", xf.role = "weight"})
    -> (tensor<1x64x128xf32> {xf.name = "y"}) {
  %e = xf.add %x, %x : (tensor<1x64x128xf32>, tensor<1x64x128xf32>) -> tensor<1x64x128xf32> loc("embed")
  %n = xf.layer_norm %e, %g, %b epsilon = 1.0e-05 : (tensor<1x64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<1x64x128xf32> loc("h.0/ln")
  %h = xf.linear %n, %w1 : (tensor<1x64x128xf32>, tensor<128x128xf32>) -> tensor<1x64x128xf32> loc("h.0/fc")
  %r = xf.add %e, %h : (tensor<1x64x128xf32>, tensor<1x64x128xf32>) -> tensor<1x64x128xf32> loc("h.0/resid")
  %n2 = xf.layer_norm %r, %g, %b epsilon = 1.0e-05 : (tensor<1x64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<1x64x128xf32> loc("h.1/ln")
  %h2 = xf.linear %n2, %w1 : (tensor<1x64x128xf32>, tensor<128x128xf32>) -> tensor<1x64x128xf32> loc("h.1/fc")
  %y = xf.add %r, %h2 : (tensor<1x64x128xf32>, tensor<1x64x128xf32>) -> tensor<1x64x128xf32> loc("h.1/resid")
  return %y : tensor<1x64x128xf32>
}
