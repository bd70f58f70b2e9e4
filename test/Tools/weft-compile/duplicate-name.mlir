// Two values of one entry function with the same xf.name are rejected.
// RUN: rm -f %t.weft
// RUN: not weft-compile %s -o %t.weft 2>&1 | FileCheck %s
// RUN: not test -e %t.weft

// CHECK: duplicate-name.mlir:[[@LINE+1]]:1: error: entry function 'forward' names two values 'hidden'
func.func @forward(%x: tensor<2x8xf32> {xf.name = "x"}, %y: tensor<2x8xf32> {xf.name = "hidden"})
    -> (tensor<2x8xf32> {xf.name = "hidden"}) {
  %0 = xf.add %x, %y : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
