// weft-cpu-lower-copies: strided memref.copy becomes linalg.copy (no memrefCopy call), contiguous copies stay memref.copy.
// RUN: weft-opt %s -split-input-file --weft-cpu-lower-copies | FileCheck %s

// CHECK-LABEL: func.func @strided_source(
// CHECK-SAME: %[[A:[^:]+]]: memref<4x8xf32, strided<[16, 1], offset: ?>>, %[[B:[^:]+]]: memref<4x8xf32>
// CHECK-NEXT: linalg.copy ins(%[[A]] : memref<4x8xf32, strided<[16, 1], offset: ?>>) outs(%[[B]] : memref<4x8xf32>)
// CHECK-NEXT: return
func.func @strided_source(%a: memref<4x8xf32, strided<[16, 1], offset: ?>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1], offset: ?>> to memref<4x8xf32>
  return
}

// A tile written into a larger buffer, as bufferization produces for
// scf.forall results.
// CHECK-LABEL: func.func @strided_target(
// CHECK-SAME: %[[T:[^:]+]]: memref<64x16xf32>, %[[OUT:[^:]+]]: memref<1x128x2x16xf32>, %[[I:[^:]+]]: index
// CHECK-NEXT: %[[SV:.+]] = memref.subview %[[OUT]][0, %[[I]], 1, 0] [1, 64, 1, 16] [1, 1, 1, 1]
// CHECK-NEXT: linalg.copy ins(%[[T]] : memref<64x16xf32>) outs(%[[SV]] : memref<64x16xf32, strided<[32, 1], offset: ?>>)
// CHECK-NOT: memref.copy
// CHECK: return
func.func @strided_target(%t: memref<64x16xf32>, %out: memref<1x128x2x16xf32>, %i: index) {
  %sv = memref.subview %out[0, %i, 1, 0] [1, 64, 1, 16] [1, 1, 1, 1] : memref<1x128x2x16xf32> to memref<64x16xf32, strided<[32, 1], offset: ?>>
  memref.copy %t, %sv : memref<64x16xf32> to memref<64x16xf32, strided<[32, 1], offset: ?>>
  return
}

// Contiguous on both sides: stays memref.copy, which becomes memcpy.
// CHECK-LABEL: func.func @contiguous(
// CHECK-SAME: %[[A:[^:]+]]: memref<4x8xf32>, %[[B:[^:]+]]: memref<4x8xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[B]] : memref<4x8xf32> to memref<4x8xf32>
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @contiguous(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  return
}

// -----

// An unranked copy cannot be a linalg.copy; the pass leaves it (and must not
// crash on it).
// CHECK-LABEL: func.func @unranked(
// CHECK-SAME: %[[A:[^:]+]]: memref<*xf32>, %[[B:[^:]+]]: memref<*xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[B]] : memref<*xf32> to memref<*xf32>
func.func @unranked(%a: memref<*xf32>, %b: memref<*xf32>) {
  memref.copy %a, %b : memref<*xf32> to memref<*xf32>
  return
}
