// xf.role is "weight" or "input": anything else fails verification, before any lowering.
// RUN: rm -f %t.weft
// RUN: not weft-compile %s -o %t.weft 2>&1 | FileCheck %s
// RUN: not test -e %t.weft

// CHECK: invalid-role.mlir:[[@LINE+1]]:1: error: expected 'xf.role' to be "weight" or "input", got "bias"
func.func @forward(%x: tensor<2x8xf32>, %b: tensor<8xf32> {xf.role = "bias"}) -> tensor<2x8xf32> {
  %0 = xf.add %x, %b : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
