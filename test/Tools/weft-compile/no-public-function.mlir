// A module without a public function has nothing to call: an error, no artifact.
// RUN: rm -f %t.weft
// RUN: not weft-compile %s -o %t.weft 2>&1 | FileCheck %s
// RUN: not test -e %t.weft

// CHECK: error: module has no public function to compile
func.func private @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = xf.silu %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
