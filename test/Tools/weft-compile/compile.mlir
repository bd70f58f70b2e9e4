// A successful compile writes a non-empty artifact whose manifest describes the entry, and says nothing.
// RUN: rm -f %t.weft
// RUN: weft-compile %s -o %t.weft 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// RUN: test -s %t.weft
// RUN: FileCheck %s --input-file=%t.weft --check-prefix=ARTIFACT

// No warning, note or IR dump on success (xf.name and xf.role must not reach
// the LLVM translation).
// QUIET-NOT: {{.}}

// ARTIFACT: WEFTART
// ARTIFACT: "format": "weft-artifact"
// ARTIFACT: "name": "x"
// ARTIFACT-NEXT: "role": "input"
// ARTIFACT: "name": "w"
// ARTIFACT-NEXT: "role": "weight"
// ARTIFACT: "name": "forward"
// ARTIFACT: "name": "y"
// ARTIFACT: "symbol": "weft_entry_forward"
// ARTIFACT: "target": "cpu"
func.func @forward(%x: tensor<2x8xf32> {xf.name = "x"},
                   %w: tensor<8x4xf32> {xf.name = "w", xf.role = "weight"})
    -> (tensor<2x4xf32> {xf.name = "y"}) {
  %y = xf.linear %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  %a = xf.gelu %y : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %a : tensor<2x4xf32>
}
