// A parse error is reported with its file, line and column; no artifact is written.
// RUN: rm -f %t.weft
// RUN: not weft-compile %s -o %t.weft 2>&1 | FileCheck %s
// RUN: not test -e %t.weft

func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // CHECK: malformed-input.mlir:[[@LINE+1]]:{{[0-9]+}}: error: expected '>' in tensor type
  %0 = xf.silu %x : (tensor<2x8xf32>) -> tensor<2x8xf32
  return %0 : tensor<2x8xf32>
}
