// .npy has no bf16: a bf16 result is written as f32, value for value.
// RUN: weft-compile %s -o %t.weft
// RUN: weft-run --module=%t.weft --input="3xbf16=1 2.5 -3.015625" --output=@%t.npy
// RUN: %python -c "import numpy as n; a = n.load('%t.npy'); print(a.dtype, a.tolist())" | FileCheck %s
// CHECK: float32 [2.0, 5.0, -6.03125]
func.func @double(%x: tensor<3xbf16>) -> tensor<3xbf16> {
  %y = xf.add %x, %x : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>
  return %y : tensor<3xbf16>
}
