// Malformed input never crashes weft-opt: each case exits non-zero (`not`
// fails on a crash) with a diagnostic that carries file, line and column.
// RUN: not weft-opt %s -split-input-file 2>&1 | FileCheck %s

// CHECK: malformed-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: custom op 'xf.lineer' is unknown
func.func @typo(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  %y = xf.lineer %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// CHECK: malformed-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: use of undeclared SSA value name
func.func @undefined_value(%x: tensor<2x4xf32>) {
  %y = xf.silu %missing : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// CHECK: malformed-input.mlir:[[@LINE+1]]:{{[0-9]+}}: error: expected ':'
%0 = xf.gelu %arg0 approximate = tanh

// -----

// A mesh without its closing parenthesis, then end of file.
// CHECK: malformed-input.mlir:[[@LINE+1]]:{{[0-9]+}}: error: expected ')'
mesh.mesh @m(shape = 2x2

// -----

// CHECK: malformed-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'mesh.shard' op expected @nowhere to name a mesh.mesh in an enclosing symbol table
func.func @dangling_mesh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = mesh.shard %x to <@nowhere, [[0]]> : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A shape whose split does not divide evenly.
mesh.mesh @m(shape = 4)
// CHECK: malformed-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'mesh.reduce_scatter' op expected scatter_axis dim 0 of size 10 to be divisible by the group size 4
func.func @uneven(%x: tensor<10xf32>) -> tensor<2xf32> {
  %0 = mesh.reduce_scatter %x on @m mesh_axes = [0] scatter_axis = 0 : tensor<10xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
