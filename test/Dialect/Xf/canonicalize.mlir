// RUN: weft-opt %s -canonicalize -split-input-file | FileCheck %s

// Folds of the shape ops: reshape, transpose, split and concat. Each positive
// case is followed by the nearby cases that must not fold.

//===----------------------------------------------------------------------===//
// xf.reshape
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.reshape %[[X]] : tensor<2x16x768xf32> -> tensor<32x12x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x16x768xf32>) -> tensor<32x12x64xf32> {
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
  %1 = xf.reshape %0 : tensor<2x16x12x64xf32> -> tensor<32x12x64xf32>
  return %1 : tensor<32x12x64xf32>
}

// -----

// A chain of three reshapes is one reshape.
// CHECK-LABEL: func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<4x6xi64>)
// CHECK-NEXT: %[[R:.*]] = xf.reshape %[[X]] : tensor<4x6xi64> -> tensor<2x3x4xi64>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<4x6xi64>) -> tensor<2x3x4xi64> {
  %0 = xf.reshape %x : tensor<4x6xi64> -> tensor<24xi64>
  %1 = xf.reshape %0 : tensor<24xi64> -> tensor<6x4xi64>
  %2 = xf.reshape %1 : tensor<6x4xi64> -> tensor<2x3x4xi64>
  return %2 : tensor<2x3x4xi64>
}

// -----

// Reshaping back to the input's shape leaves nothing.
// CHECK-LABEL: func @reshape_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xbf16>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_round_trip(%x: tensor<2x16x768xbf16>) -> tensor<2x16x768xbf16> {
  %0 = xf.reshape %x : tensor<2x16x768xbf16> -> tensor<2x16x12x64xbf16>
  %1 = xf.reshape %0 : tensor<2x16x12x64xbf16> -> tensor<2x16x768xbf16>
  return %1 : tensor<2x16x768xbf16>
}

// -----

// CHECK-LABEL: func @reshape_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_identity(%x: tensor<2x16x768xf32>) -> tensor<2x16x768xf32> {
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x768xf32>
  return %0 : tensor<2x16x768xf32>
}

// -----

// When the inner reshape has another user it stays, but the outer one still
// reads the original input.
// CHECK-LABEL: func @reshape_of_shared_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: %[[A:.*]] = xf.reshape %[[X]] : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
// CHECK-NEXT: %[[B:.*]] = xf.reshape %[[X]] : tensor<2x16x768xf32> -> tensor<32x768xf32>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @reshape_of_shared_reshape(%x: tensor<2x16x768xf32>) -> (tensor<2x16x12x64xf32>, tensor<32x768xf32>) {
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
  %1 = xf.reshape %0 : tensor<2x16x12x64xf32> -> tensor<32x768xf32>
  return %0, %1 : tensor<2x16x12x64xf32>, tensor<32x768xf32>
}

// -----

// Negative: a single reshape that changes the shape stays.
// CHECK-LABEL: func @reshape_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.reshape %[[X]] : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_no_fold(%x: tensor<2x16x768xf32>) -> tensor<2x16x12x64xf32> {
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
  return %0 : tensor<2x16x12x64xf32>
}

// -----

// Negative: a reshape of another op's result (here a transpose, which
// changes the element order) does not fold through it.
// CHECK-LABEL: func @reshape_of_transpose_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[T:.*]] = xf.transpose %[[X]] permutation = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK-NEXT: %[[R:.*]] = xf.reshape %[[T]] : tensor<3x2xf32> -> tensor<2x3xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_transpose_no_fold(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = xf.transpose %x permutation = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = xf.reshape %0 : tensor<3x2xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x12x64xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<2x16x12x64xf32>) -> tensor<2x16x12x64xf32> {
  %0 = xf.transpose %x permutation = [0, 1, 2, 3] : (tensor<2x16x12x64xf32>) -> tensor<2x16x12x64xf32>
  return %0 : tensor<2x16x12x64xf32>
}

// -----

// The empty permutation of a rank-0 tensor is the identity.
// CHECK-LABEL: func @transpose_identity_scalar
// CHECK-SAME: (%[[X:.*]]: tensor<f16>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity_scalar(%x: tensor<f16>) -> tensor<f16> {
  %0 = xf.transpose %x permutation = [] : (tensor<f16>) -> tensor<f16>
  return %0 : tensor<f16>
}

// -----

// Result dim i of the outer transpose is input dim inner[outer[i]]:
// inner = [0, 2, 1, 3] and outer = [0, 1, 3, 2] compose to [0, 2, 3, 1].
// CHECK-LABEL: func @transpose_of_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x5xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.transpose %[[X]] permutation = [0, 2, 3, 1] : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_of_transpose(%x: tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32> {
  %0 = xf.transpose %x permutation = [0, 2, 1, 3] : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
  %1 = xf.transpose %0 permutation = [0, 1, 3, 2] : (tensor<2x4x3x5xf32>) -> tensor<2x4x5x3xf32>
  return %1 : tensor<2x4x5x3xf32>
}

// -----

// Composition order matters: two rotations of a rank-3 tensor.
// inner = [1, 2, 0], outer = [1, 2, 0] compose to [2, 0, 1] (not a no-op).
// CHECK-LABEL: func @transpose_of_transpose_rotation
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xi32>)
// CHECK-NEXT: %[[R:.*]] = xf.transpose %[[X]] permutation = [2, 0, 1] : (tensor<2x3x4xi32>) -> tensor<4x2x3xi32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_of_transpose_rotation(%x: tensor<2x3x4xi32>) -> tensor<4x2x3xi32> {
  %0 = xf.transpose %x permutation = [1, 2, 0] : (tensor<2x3x4xi32>) -> tensor<3x4x2xi32>
  %1 = xf.transpose %0 permutation = [1, 2, 0] : (tensor<3x4x2xi32>) -> tensor<4x2x3xi32>
  return %1 : tensor<4x2x3xi32>
}

// -----

// Swapping heads and sequence twice cancels.
// CHECK-LABEL: func @transpose_cancel
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x12x64xf16>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_cancel(%x: tensor<2x16x12x64xf16>) -> tensor<2x16x12x64xf16> {
  %0 = xf.transpose %x permutation = [0, 2, 1, 3] : (tensor<2x16x12x64xf16>) -> tensor<2x12x16x64xf16>
  %1 = xf.transpose %0 permutation = [0, 2, 1, 3] : (tensor<2x12x16x64xf16>) -> tensor<2x16x12x64xf16>
  return %1 : tensor<2x16x12x64xf16>
}

// -----

// A permutation followed by its inverse (not itself) cancels too.
// CHECK-LABEL: func @transpose_cancel_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf64>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_cancel_inverse(%x: tensor<2x3x4xf64>) -> tensor<2x3x4xf64> {
  %0 = xf.transpose %x permutation = [1, 2, 0] : (tensor<2x3x4xf64>) -> tensor<3x4x2xf64>
  %1 = xf.transpose %0 permutation = [2, 0, 1] : (tensor<3x4x2xf64>) -> tensor<2x3x4xf64>
  return %1 : tensor<2x3x4xf64>
}

// -----

// A chain of three transposes becomes one: [1, 0, 2], then [0, 2, 1], then
// [2, 1, 0] compose to [0, 2, 1].
// CHECK-LABEL: func @transpose_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.transpose %[[X]] permutation = [0, 2, 1] : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_chain(%x: tensor<2x3x4xf32>) -> tensor<2x4x3xf32> {
  %0 = xf.transpose %x permutation = [1, 0, 2] : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = xf.transpose %0 permutation = [0, 2, 1] : (tensor<3x2x4xf32>) -> tensor<3x4x2xf32>
  %2 = xf.transpose %1 permutation = [2, 1, 0] : (tensor<3x4x2xf32>) -> tensor<2x4x3xf32>
  return %2 : tensor<2x4x3xf32>
}

// -----

// When the inner transpose has another user it stays; the outer one is
// rewritten to read the original input with the composed permutation.
// CHECK-LABEL: func @transpose_of_shared_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[A:.*]] = xf.transpose %[[X]] permutation = [1, 0, 2] : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
// CHECK-NEXT: %[[B:.*]] = xf.transpose %[[X]] permutation = [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @transpose_of_shared_transpose(%x: tensor<2x3x4xf32>) -> (tensor<3x2x4xf32>, tensor<3x4x2xf32>) {
  %0 = xf.transpose %x permutation = [1, 0, 2] : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = xf.transpose %0 permutation = [0, 2, 1] : (tensor<3x2x4xf32>) -> tensor<3x4x2xf32>
  return %0, %1 : tensor<3x2x4xf32>, tensor<3x4x2xf32>
}

// -----

// Negative: a single non-identity transpose stays, even one whose result
// type equals its input type (a square matrix).
// CHECK-LABEL: func @transpose_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<4x4xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.transpose %[[X]] permutation = [1, 0] : (tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_no_fold(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = xf.transpose %x permutation = [1, 0] : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Negative: a transpose of a reshape does not fold through the reshape.
// CHECK-LABEL: func @transpose_of_reshape_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.reshape %[[X]] : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
// CHECK-NEXT: %[[T:.*]] = xf.transpose %[[R]] permutation = [0, 2, 1, 3] : (tensor<2x16x12x64xf32>) -> tensor<2x12x16x64xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_of_reshape_no_fold(%x: tensor<2x16x768xf32>) -> tensor<2x12x16x64xf32> {
  %0 = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
  %1 = xf.transpose %0 permutation = [0, 2, 1, 3] : (tensor<2x16x12x64xf32>) -> tensor<2x12x16x64xf32>
  return %1 : tensor<2x12x16x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.split, xf.concat
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @split_one_piece
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x768xf32>)
// CHECK-NEXT: return %[[X]]
func.func @split_one_piece(%x: tensor<2x16x768xf32>) -> tensor<2x16x768xf32> {
  %0 = xf.split %x dim = 2 : tensor<2x16x768xf32> -> tensor<2x16x768xf32>
  return %0 : tensor<2x16x768xf32>
}

// -----

// Negative: a split into several pieces stays.
// CHECK-LABEL: func @split_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x2304xf32>)
// CHECK-NEXT: %[[R:.*]]:3 = xf.split %[[X]] dim = 2 : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
// CHECK-NEXT: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @split_no_fold(%x: tensor<2x16x2304xf32>) -> (tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>) {
  %0:3 = xf.split %x dim = 2 : tensor<2x16x2304xf32> -> tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
  return %0#0, %0#1, %0#2 : tensor<2x16x768xf32>, tensor<2x16x768xf32>, tensor<2x16x768xf32>
}

// -----

// CHECK-LABEL: func @concat_one_input
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x8x64xbf16>)
// CHECK-NEXT: return %[[X]]
func.func @concat_one_input(%x: tensor<1x16x8x64xbf16>) -> tensor<1x16x8x64xbf16> {
  %0 = xf.concat %x dim = 1 : (tensor<1x16x8x64xbf16>) -> tensor<1x16x8x64xbf16>
  return %0 : tensor<1x16x8x64xbf16>
}

// -----

// Negative: a concatenation of two inputs stays, even of the same value.
// CHECK-LABEL: func @concat_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x8x64xf32>)
// CHECK-NEXT: %[[R:.*]] = xf.concat %[[X]], %[[X]] dim = 2 : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @concat_no_fold(%x: tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32> {
  %0 = xf.concat %x, %x dim = 2 : (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>) -> tensor<1x16x16x64xf32>
  return %0 : tensor<1x16x16x64xf32>
}

// -----

// Negative: concat does not cancel a split (no such fold exists).
// CHECK-LABEL: func @concat_of_split_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<6x4xf32>)
// CHECK-NEXT: %[[S:.*]]:2 = xf.split %[[X]] dim = 0 : tensor<6x4xf32> -> tensor<2x4xf32>, tensor<4x4xf32>
// CHECK-NEXT: %[[C:.*]] = xf.concat %[[S]]#0, %[[S]]#1 dim = 0 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
// CHECK-NEXT: return %[[C]]
func.func @concat_of_split_no_fold(%x: tensor<6x4xf32>) -> tensor<6x4xf32> {
  %0:2 = xf.split %x dim = 0 : tensor<6x4xf32> -> tensor<2x4xf32>, tensor<4x4xf32>
  %1 = xf.concat %0#0, %0#1 dim = 0 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  return %1 : tensor<6x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Pure ops
//===----------------------------------------------------------------------===//

// The xf ops have no side effects: results without users are erased.
// CHECK-LABEL: func @dead_ops
// CHECK-NOT: xf.
// CHECK: return
func.func @dead_ops(%x: tensor<2x16x768xf32>, %w: tensor<768x64xf32>) {
  %0 = xf.linear %x, %w : (tensor<2x16x768xf32>, tensor<768x64xf32>) -> tensor<2x16x64xf32>
  %1 = xf.reshape %0 : tensor<2x16x64xf32> -> tensor<2x16x2x32xf32>
  %2 = xf.attention %1, %1, %1 causal : (tensor<2x16x2x32xf32>, tensor<2x16x2x32xf32>, tensor<2x16x2x32xf32>) -> tensor<2x16x2x32xf32>
  %3:2 = xf.split %2 dim = 2 : tensor<2x16x2x32xf32> -> tensor<2x16x1x32xf32>, tensor<2x16x1x32xf32>
  return
}
