// A target Weft does not have is an error naming it; no artifact is written.
// RUN: rm -f %t.weft
// RUN: not weft-compile %s -o %t.weft --target=rocm 2>&1 | FileCheck %s
// RUN: not test -e %t.weft

// CHECK: weft-compile: error: target 'rocm' is not supported (supported: cpu, cuda)
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = xf.silu %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
