// weft-cpu-prepare-entry-abi: public functions become C-interface entry points with read-only tensor arguments; others are untouched.
// RUN: weft-opt %s --weft-cpu-prepare-entry-abi | FileCheck %s

// Every tensor argument is read-only; other arguments get nothing.
// CHECK-LABEL: func.func @entry(
// CHECK-SAME: %{{[^:]+}}: tensor<4xf32> {bufferization.writable = false}, %{{[^:]+}}: tensor<2x3xbf16> {bufferization.writable = false}, %{{[^:]+}}: memref<4xf32>, %{{[^:]+}}: index)
// CHECK-SAME: -> tensor<4xf32> attributes {llvm.emit_c_interface} {
func.func @entry(%x: tensor<4xf32>, %y: tensor<2x3xbf16>, %m: memref<4xf32>, %i: index) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// The manifest has taken the xf names and roles by now: the entry keeps only
// what bufferization and the LLVM lowering read.
// CHECK-LABEL: func.func @named_entry(
// CHECK-SAME: %{{[^:]+}}: tensor<4xf32> {bufferization.writable = false}, %{{[^:]+}}: tensor<4x4xf32> {bufferization.writable = false})
// CHECK-SAME: -> tensor<4xf32> attributes {llvm.emit_c_interface} {
func.func @named_entry(%x: tensor<4xf32> {xf.name = "x", xf.role = "input"},
                       %w: tensor<4x4xf32> {xf.name = "w", xf.role = "weight"}) -> (tensor<4xf32> {xf.name = "y"}) {
  return %x : tensor<4xf32>
}

// Private and nested functions are not entry points.
// CHECK-LABEL: func.func private @helper(
// CHECK-SAME: %{{[^:]+}}: tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NOT: bufferization.writable
// CHECK-NOT: llvm.emit_c_interface
// CHECK: return
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// CHECK-LABEL: func.func nested @nested_helper(
// CHECK-SAME: %{{[^:]+}}: tensor<4xf32>) -> tensor<4xf32> {
func.func nested @nested_helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// A declaration has no body to call: left alone.
// CHECK: func.func private @external(tensor<4xf32>) -> tensor<4xf32>{{$}}
func.func private @external(%x: tensor<4xf32>) -> tensor<4xf32>
