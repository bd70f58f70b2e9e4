// weft-cpu-distribute: top-level linalg ops tiled into scf.forall (tile sizes from num-tiles/min-tile-work), producers fused, small and nested ops left alone.
// RUN: weft-opt %s -split-input-file --weft-cpu-distribute | FileCheck %s
// RUN: weft-opt %s -split-input-file --weft-cpu-distribute -canonicalize | FileCheck %s --check-prefix=CHAIN
// RUN: weft-opt %s -split-input-file --weft-cpu-distribute="num-tiles=4" | FileCheck %s --check-prefix=TILES4
// RUN: weft-opt %s -split-input-file --weft-cpu-distribute="min-tile-work=16" | FileCheck %s --check-prefix=WORK16
// RUN: weft-opt %s -split-input-file --weft-cpu-distribute="min-tile-work=100000" | FileCheck %s --check-prefix=WORK100K

#id = affine_map<(d0, d1) -> (d0, d1)>

// 256 x 512 = 131072 iterations: min(num-tiles = 64, 131072 / 4096 = 32) = 32
// tiles, cut along the outer loop: 32 tiles of 8 rows.
// CHECK-LABEL: func.func @elementwise(
// CHECK-SAME: %[[X:[^:]+]]: tensor<256x512xf32>
// CHECK: %[[E:.+]] = tensor.empty() : tensor<256x512xf32>
// CHECK-NEXT: %[[R:.+]] = scf.forall (%[[I:.+]]) = (0) to (256) step (8) shared_outs(%[[O:.+]] = %[[E]]) -> (tensor<256x512xf32>) {
// CHECK-NEXT: %[[XT:.+]] = tensor.extract_slice %[[X]][%[[I]], 0] [8, 512] [1, 1] : tensor<256x512xf32> to tensor<8x512xf32>
// CHECK-NEXT: %[[OT:.+]] = tensor.extract_slice %[[O]][%[[I]], 0] [8, 512] [1, 1] : tensor<256x512xf32> to tensor<8x512xf32>
// CHECK-NEXT: %[[T:.+]] = linalg.generic {{.+}} ins(%[[XT]] : tensor<8x512xf32>) outs(%[[OT]] : tensor<8x512xf32>)
// CHECK: math.exp
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %[[T]] into %[[O]][%[[I]], 0] [8, 512] [1, 1] : tensor<8x512xf32> into tensor<256x512xf32>
// CHECK: return %[[R]]

// num-tiles=4: 4 tiles of 64 rows.
// TILES4-LABEL: func.func @elementwise(
// TILES4: scf.forall (%{{.+}}) = (0) to (256) step (64) shared_outs

// min-tile-work=16: min(64, 131072 / 16) = 64 tiles of 4 rows.
// WORK16-LABEL: func.func @elementwise(
// WORK16: scf.forall (%{{.+}}) = (0) to (256) step (4) shared_outs
func.func @elementwise(%x: tensor<256x512xf32>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<256x512xf32>) outs(%e : tensor<256x512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = math.exp %in : f32
    linalg.yield %1 : f32
  } -> tensor<256x512xf32>
  return %0 : tensor<256x512xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// 8 x 16 = 128 iterations, below one tile's worth of work (4096): untouched.
// CHECK-LABEL: func.func @tiny(
// CHECK-NOT: scf.forall (
// CHECK: %[[R:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<8x16xf32>)
// CHECK-NOT: scf.forall (
// CHECK: return %[[R]]

// min-tile-work=16: 128 / 16 = 8 tiles of one row.
// WORK16-LABEL: func.func @tiny(
// WORK16: scf.forall (%[[I:.+]]) in (8) shared_outs
// WORK16: linalg.generic {{.+}} outs(%{{.+}} : tensor<1x16xf32>)
func.func @tiny(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = math.exp %in : f32
    linalg.yield %1 : f32
  } -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// (128 x 256 x 64) / 4096 = 512 >= 64 tiles: 64 tiles of 2 rows; the
// reduction is never split. The zero fill, used only by the contraction, is
// computed tile by tile inside the same forall.
// CHECK-LABEL: func.func @fill_contraction(
// CHECK-SAME: %[[A:[^:]+]]: tensor<128x64xf32>, %[[B:[^:]+]]: tensor<64x256xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[R:.+]] = scf.forall (%[[I:.+]]) = (0) to (128) step (2) shared_outs(%[[O:.+]] = %{{.+}}) -> (tensor<128x256xf32>) {
// CHECK-DAG: %[[AT:.+]] = tensor.extract_slice %[[A]][%[[I]], 0] [2, 64] [1, 1] : tensor<128x64xf32> to tensor<2x64xf32>
// CHECK-DAG: %[[OT:.+]] = tensor.extract_slice %[[O]][%[[I]], 0] [2, 256] [1, 1] : tensor<128x256xf32> to tensor<2x256xf32>
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[OT]] : tensor<2x256xf32>) -> tensor<2x256xf32>
// CHECK: %[[C:.+]] = linalg.generic {{.+}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[AT]], %{{.+}} : tensor<2x64xf32>, tensor<64x256xf32>) outs(%[[F]] : tensor<2x256xf32>)
// CHECK: tensor.parallel_insert_slice %[[C]] into %[[O]][%[[I]], 0] [2, 256] [1, 1] : tensor<2x256xf32> into tensor<128x256xf32>
// CHECK-NOT: scf.forall (
// CHECK: return %[[R]] : tensor<128x256xf32>

// num-tiles=4: 4 tiles of 32 rows.
// TILES4-LABEL: func.func @fill_contraction(
// TILES4-NOT: linalg.fill
// TILES4: scf.forall (%{{.+}}) = (0) to (128) step (32) shared_outs
// TILES4: linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<32x256xf32>)
// TILES4-NOT: scf.forall (
// TILES4: return

// min-tile-work=100000: at most 2097152 / 100000 = 20 tiles; every tile
// keeps at least 100000 iterations, so the rows (16384 iterations each) are
// cut into blocks of at least 7 and the columns stay whole.
// WORK100K-LABEL: func.func @fill_contraction(
// WORK100K: scf.forall (%{{[^,]+}}) = (0) to (128) step ({{[7-9]|[1-9][0-9]+}}) shared_outs
// WORK100K: return
func.func @fill_contraction(%a: tensor<128x64xf32>, %b: tensor<64x256xf32>) -> tensor<128x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x256xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<128x256xf32>) -> tensor<128x256xf32>
  %c = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<128x64xf32>, tensor<64x256xf32>) outs(%f : tensor<128x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>
  return %c : tensor<128x256xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// fill -> contraction -> bias: the last op picks the tiles (128 x 256 / 4096
// = 8 tiles of 16 rows) and the contraction runs inside the bias's tiles.
// The zero fill is the contraction's destination, which tile-and-fuse does
// not pull into a forall, so it gets its own parallel loop (CHAIN runs the
// canonicalizer to drop the untiled originals).
// CHAIN-LABEL: func.func @fill_contraction_bias(
// CHAIN: scf.forall (%{{.+}}) = (0) to (128) step (16)
// CHAIN: linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<16x256xf32>)
// CHAIN: scf.forall (%{{.+}}) = (0) to (128) step (16)
// CHAIN: %[[C:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<16x64xf32>, tensor<64x256xf32>) outs(%{{.+}} : tensor<16x256xf32>)
// CHAIN: %[[Y:.+]] = linalg.generic {{.+}} ins(%[[C]], %{{.+}} : tensor<16x256xf32>, tensor<256xf32>) outs(%{{.+}} : tensor<16x256xf32>)
// CHAIN: tensor.parallel_insert_slice %[[Y]]
// CHAIN-NOT: scf.forall (
// CHAIN: return
func.func @fill_contraction_bias(%a: tensor<128x64xf32>, %b: tensor<64x256xf32>, %bias: tensor<256xf32>) -> tensor<128x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x256xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<128x256xf32>) -> tensor<128x256xf32>
  %c = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<128x64xf32>, tensor<64x256xf32>) outs(%f : tensor<128x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>
  %e2 = tensor.empty() : tensor<128x256xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : tensor<128x256xf32>, tensor<256xf32>) outs(%e2 : tensor<128x256xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>
  return %r : tensor<128x256xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An op already inside a loop nest (as in the attention nest) is not tiled
// again, however large.
// CHECK-LABEL: func.func @inside_forall(
// CHECK: scf.forall (%[[I:.+]]) in (4) shared_outs(%[[O:.+]] = %{{.+}}) -> (tensor<4x256x512xf32>) {
// CHECK-NOT: scf.forall (
// CHECK: %[[T:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<256x512xf32>) outs(%{{.+}} : tensor<256x512xf32>)
// CHECK-NOT: scf.forall (
// CHECK: tensor.parallel_insert_slice %[[T]] into %[[O]][%[[I]], 0, 0] [1, 256, 512] [1, 1, 1]
// CHECK-NOT: scf.forall (
// CHECK: return
func.func @inside_forall(%x: tensor<4x256x512xf32>) -> tensor<4x256x512xf32> {
  %init = tensor.empty() : tensor<4x256x512xf32>
  %r = scf.forall (%i) in (4) shared_outs(%out = %init) -> (tensor<4x256x512xf32>) {
    %xs = tensor.extract_slice %x[%i, 0, 0] [1, 256, 512] [1, 1, 1] : tensor<4x256x512xf32> to tensor<256x512xf32>
    %e = tensor.empty() : tensor<256x512xf32>
    %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%xs : tensor<256x512xf32>) outs(%e : tensor<256x512xf32>) {
    ^bb0(%in: f32, %o: f32):
      %1 = math.exp %in : f32
      linalg.yield %1 : f32
    } -> tensor<256x512xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %out[%i, 0, 0] [1, 256, 512] [1, 1, 1] : tensor<256x512xf32> into tensor<4x256x512xf32>
    }
  }
  return %r : tensor<4x256x512xf32>
}
