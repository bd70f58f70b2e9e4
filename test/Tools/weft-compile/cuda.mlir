// weft-compile --target=cuda: kernels as PTX and a cubin assembled by ptxas
// for the chip, each kernel's resources in the manifest, host code that
// launches them. Every kernel of this block (norm, projections, causal
// attention, GELU MLP) assembles for sm_80 and sm_90 without spilling.
// REQUIRES: ptxas
// RUN: weft-compile %s -o %t.sm80.weft --target=cuda --chip=sm_80 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// RUN: FileCheck %s --input-file=%t.sm80.weft --check-prefixes=ARTIFACT,SM80
// RUN: weft-compile %s -o %t.sm90.weft --target=cuda --chip=sm_90
// RUN: FileCheck %s --input-file=%t.sm90.weft --check-prefixes=ARTIFACT,SM90
// RUN: not weft-compile %s -o %t.bad.weft --target=cuda --chip=sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not weft-compile %s -o %t.bad.weft --target=cuda --cuda-path=%t.missing 2>&1 | FileCheck %s --check-prefix=PTXAS
// QUIET-NOT: {{.}}

// ARTIFACT: "device": {
// SM80-NEXT: "chip": "sm_80",
// SM90-NEXT: "chip": "sm_90",
// ARTIFACT-NEXT: "kernels": [
// ARTIFACT-NEXT: {
// ARTIFACT-NEXT: "launches": 1,
// ARTIFACT-NEXT: "name": "forward_kernel",
// ARTIFACT-NEXT: "registers": {{[1-9][0-9]*}},
// ARTIFACT-NEXT: "shared_bytes": {{[0-9]+}},
// ARTIFACT-NEXT: "spill_load_bytes": 0,
// ARTIFACT-NEXT: "spill_store_bytes": 0,
// ARTIFACT-NOT: "spill_load_bytes": {{[1-9]}}
// ARTIFACT-NOT: "spill_store_bytes": {{[1-9]}}
// ARTIFACT: "target": "cuda"
// ARTIFACT: .version 8.0
// SM80: .target sm_80
// SM90: .target sm_90
// ARTIFACT: .visible .entry forward_kernel(
// CHIP: weft-compile: error: chip 'sm_75' is not supported (supported: sm_80, sm_90)
// PTXAS: error: ptxas not found in {{.*}}.missing/bin; install the CUDA toolkit or pass --cuda-path
func.func @forward(%x: tensor<1x64x128xf32> {xf.name = "x"},
                   %g: tensor<128xf32> {xf.name = "ln.weight", xf.role = "weight"},
                   %b: tensor<128xf32> {xf.name = "ln.bias", xf.role = "weight"},
                   %wq: tensor<128x128xf32> {xf.name = "q.weight", xf.role = "weight"},
                   %wk: tensor<128x128xf32> {xf.name = "k.weight", xf.role = "weight"},
                   %wv: tensor<128x128xf32> {xf.name = "v.weight", xf.role = "weight"},
                   %w1: tensor<128x512xf32> {xf.name = "fc.weight", xf.role = "weight"},
                   %w2: tensor<512x128xf32> {xf.name = "proj.weight", xf.role = "weight"})
    -> (tensor<1x64x128xf32> {xf.name = "y"}) {
  %n = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<1x64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<1x64x128xf32>
  %q = xf.linear %n, %wq : (tensor<1x64x128xf32>, tensor<128x128xf32>) -> tensor<1x64x128xf32>
  %k = xf.linear %n, %wk : (tensor<1x64x128xf32>, tensor<128x128xf32>) -> tensor<1x64x128xf32>
  %v = xf.linear %n, %wv : (tensor<1x64x128xf32>, tensor<128x128xf32>) -> tensor<1x64x128xf32>
  %q4 = xf.reshape %q : tensor<1x64x128xf32> -> tensor<1x64x4x32xf32>
  %k4 = xf.reshape %k : tensor<1x64x128xf32> -> tensor<1x64x4x32xf32>
  %v4 = xf.reshape %v : tensor<1x64x128xf32> -> tensor<1x64x4x32xf32>
  %a = xf.attention %q4, %k4, %v4 causal : (tensor<1x64x4x32xf32>, tensor<1x64x4x32xf32>, tensor<1x64x4x32xf32>) -> tensor<1x64x4x32xf32>
  %a3 = xf.reshape %a : tensor<1x64x4x32xf32> -> tensor<1x64x128xf32>
  %r = xf.add %x, %a3 : (tensor<1x64x128xf32>, tensor<1x64x128xf32>) -> tensor<1x64x128xf32>
  %h = xf.linear %r, %w1 : (tensor<1x64x128xf32>, tensor<128x512xf32>) -> tensor<1x64x512xf32>
  %ge = xf.gelu %h : (tensor<1x64x512xf32>) -> tensor<1x64x512xf32>
  %o = xf.linear %ge, %w2 : (tensor<1x64x512xf32>, tensor<512x128xf32>) -> tensor<1x64x128xf32>
  %y = xf.add %r, %o : (tensor<1x64x128xf32>, tensor<1x64x128xf32>) -> tensor<1x64x128xf32>
  return %y : tensor<1x64x128xf32>
}
