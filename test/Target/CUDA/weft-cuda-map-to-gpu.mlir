// RUN: weft-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(weft-cuda-map-to-gpu{threads-per-block=128},canonicalize))" | FileCheck %s

// A contraction: its reduction moves innermost, so each of the 4x64 output
// elements is one thread: 2 blocks of 128, a bounds check, the indices from
// the linear one, the reduction as a sequential loop.
// CHECK-LABEL: func.func @contraction
// CHECK-DAG:   %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:   %[[C128:.*]] = arith.constant 128 : index
// CHECK:       gpu.launch blocks(%[[BX:[^,]*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C2]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:[^,]*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]]
// CHECK:         %[[B:.*]] = arith.muli %[[BX]], %[[C128]]
// CHECK:         %[[ID:.*]] = arith.addi %[[B]], %[[TX]]
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %[[ID]], %{{.*}}
// CHECK:         scf.if %[[IN]] {
// CHECK:           %[[J:.*]] = arith.remui %[[ID]], %{{.*}}
// CHECK:           %[[I:.*]] = arith.divui %[[ID]], %{{.*}}
// CHECK:           scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             memref.load %{{.*}}[%{{.*}}, %[[K]]] : memref<4x300xf32>
// CHECK:             memref.load %{{.*}}[%[[K]], %{{.*}}] : memref<300x64xf32>
// CHECK:             memref.store %{{.*}} : memref<4x64xf32>
// CHECK:         gpu.terminator
// CHECK-NOT:   linalg.
#a = affine_map<(i, k, j) -> (i, k)>
#b = affine_map<(i, k, j) -> (k, j)>
#c = affine_map<(i, k, j) -> (i, j)>
func.func @contraction(%x: memref<4x300xf32>, %w: memref<300x64xf32>, %y: memref<4x64xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<4x300xf32>, memref<300x64xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A host copy becomes a kernel too, and a view the kernel uses is sunk into
// it, so that the kernel receives the whole buffer.
// CHECK-LABEL: func.func @copy_into_view
// CHECK-NOT:   memref.subview
// CHECK:       gpu.launch
// CHECK:         %[[VIEW:.*]] = memref.subview %{{.*}}[0, 8] [4, 8] [1, 1]
// CHECK:         memref.store %{{.*}}, %[[VIEW]]
// CHECK-NOT:   memref.copy
func.func @copy_into_view(%x: memref<4x8xf32>, %y: memref<4x16xf32>) {
  %v = memref.subview %y[0, 8] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  memref.copy %x, %v : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  return
}

// -----

// A tiled nest (as the attention's): one block per tile; its scratch
// buffer in shared memory; each linalg op strided over the block's threads,
// a barrier after each.
// CHECK-LABEL: func.func @tiles
// CHECK-DAG:   %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:   %[[C128:.*]] = arith.constant 128 : index
// CHECK:       gpu.launch blocks(%[[BX:[^,]*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C4]], %{{.*}}, %{{.*}}) threads(%[[TX:[^,]*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]], %{{.*}}, %{{.*}}) workgroup(%[[SCRATCH:.*]] : memref<16xf32, #gpu.address_space<workgroup>>)
// CHECK:         scf.for %[[I:.*]] = %[[TX]] to %{{.*}} step %[[C128]] {
// CHECK:           memref.store %{{.*}}, %[[SCRATCH]][%[[I]]]
// CHECK:         gpu.barrier
// CHECK:         memref.subview %{{.*}}[%[[BX]], 0] [1, 16] [1, 1]
// CHECK:         scf.for %[[J:.*]] = %[[TX]] to %{{.*}} step %[[C128]] {
// CHECK:           memref.load %[[SCRATCH]][%[[J]]]
// CHECK:         gpu.barrier
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.dealloc
func.func @tiles(%x: memref<4x16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%t) in (4) {
    %scratch = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    linalg.fill ins(%zero : f32) outs(%scratch : memref<16xf32>)
    %row = memref.subview %x[%t, 0] [1, 16] [1, 1] : memref<4x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    %out = memref.subview %y[%t, 0] [1, 16] [1, 1] : memref<4x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.add ins(%row, %scratch : memref<16xf32, strided<[1], offset: ?>>, memref<16xf32>) outs(%out : memref<16xf32, strided<[1], offset: ?>>)
    memref.dealloc %scratch : memref<16xf32>
  }
  return
}

// -----

// Scratch beyond 48 KiB of shared memory: one thread per tile instead, the
// tile's loop nests sequential, its scratch a private array at the
// kernel's entry.
// CHECK-LABEL: func.func @large_tiles
// CHECK:       gpu.launch
// CHECK-NOT:     workgroup(
// CHECK:         %[[SCRATCH:.*]] = memref.alloca() {alignment = 64 : i64} : memref<16384xf32>
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %[[SCRATCH]]
// CHECK-NOT:     gpu.barrier
// CHECK-NOT:     memref.alloc()
// CHECK-NOT:     scf.parallel
func.func @large_tiles(%x: memref<4x16384xf32>, %y: memref<4x16384xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%t) in (4) {
    %scratch = memref.alloc() {alignment = 64 : i64} : memref<16384xf32>
    linalg.fill ins(%zero : f32) outs(%scratch : memref<16384xf32>)
    %row = memref.subview %x[%t, 0] [1, 16384] [1, 1] : memref<4x16384xf32> to memref<16384xf32, strided<[1], offset: ?>>
    %out = memref.subview %y[%t, 0] [1, 16384] [1, 1] : memref<4x16384xf32> to memref<16384xf32, strided<[1], offset: ?>>
    linalg.add ins(%row, %scratch : memref<16384xf32, strided<[1], offset: ?>>, memref<16384xf32>) outs(%out : memref<16384xf32, strided<[1], offset: ?>>)
    memref.dealloc %scratch : memref<16384xf32>
  }
  return
}
