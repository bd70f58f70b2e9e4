// Entry arguments are static tensors: a dynamic dimension is rejected with the argument's name and type.
// RUN: rm -f %t.weft
// RUN: not weft-compile %s -o %t.weft 2>&1 | FileCheck %s
// RUN: not test -e %t.weft

// CHECK: dynamic-shape.mlir:[[@LINE+1]]:1: error: entry function 'forward' argument 'tokens' has type 'tensor<?x8xf32>'; expected a static tensor of f16, bf16, f32, f64, i32 or i64
func.func @forward(%x: tensor<?x8xf32> {xf.name = "tokens"}) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
