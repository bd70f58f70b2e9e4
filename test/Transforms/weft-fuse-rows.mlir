// weft-fuse-rows: row reductions and the elementwise ops around them, one
// scf.forall over row tiles; contractions, column reductions, plain maps and
// producers read before the group stay out; tile rows from tile-rows and
// max-scratch-bytes.
// RUN: weft-opt %s -split-input-file --weft-fuse-rows | FileCheck %s
// RUN: weft-opt %s -split-input-file --weft-fuse-rows="tile-rows=16" | FileCheck %s --check-prefix=ROWS16
// RUN: weft-opt %s -split-input-file --weft-fuse-rows="max-scratch-bytes=20000" | FileCheck %s --check-prefix=SCRATCH
// RUN: not weft-opt %s -split-input-file --weft-fuse-rows="tile-rows=0" 2>&1 | FileCheck %s --check-prefix=INVALID

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#r1 = affine_map<(d0) -> (d0)>

// A layer norm's statistics after a residual add: the add, the sum, the
// mean and the variance in one loop nest of 32 rows (16 with tile-rows=16);
// the add and the mean are read after the group too, so the nest yields
// their tiles; each reduction fills its own accumulator.
// CHECK-LABEL: func.func @layer_norm_stats(
// CHECK-SAME: %[[A:[^:]+]]: tensor<64x128xf32>, %[[B:[^:]+]]: tensor<64x128xf32>
// CHECK-NOT: linalg.
// CHECK: %[[R:.+]]:3 = scf.forall (%[[I:.+]]) = (0) to (64) step (32) shared_outs(%[[OV:.+]] = %{{.+}}, %[[OX:.+]] = %{{.+}}, %[[OM:.+]] = %{{.+}}) -> (tensor<64xf32>, tensor<64x128xf32>, tensor<64xf32>) {
// CHECK: %[[AT:.+]] = tensor.extract_slice %[[A]][%[[I]], 0] [32, 128] [1, 1]
// CHECK: %[[BT:.+]] = tensor.extract_slice %[[B]][%[[I]], 0] [32, 128] [1, 1]
// CHECK: %[[XT:.+]] = linalg.generic {{.+}} ins(%[[AT]], %[[BT]] : tensor<32x128xf32>, tensor<32x128xf32>)
// CHECK: %[[F1:.+]] = linalg.fill {{.+}} -> tensor<32xf32>
// CHECK: %[[ST:.+]] = linalg.generic {{.+}} ins(%[[XT]] : tensor<32x128xf32>) outs(%[[F1]] : tensor<32xf32>)
// CHECK: %[[MT:.+]] = linalg.generic {{.+}} ins(%[[ST]] : tensor<32xf32>)
// CHECK: %[[F2:.+]] = linalg.fill {{.+}} -> tensor<32xf32>
// CHECK: %[[VT:.+]] = linalg.generic {{.+}} ins(%[[XT]], %[[MT]] : tensor<32x128xf32>, tensor<32xf32>) outs(%[[F2]] : tensor<32xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %[[VT]] into %[[OV]][%[[I]]] [32] [1]
// CHECK-NEXT: tensor.parallel_insert_slice %[[XT]] into %[[OX]][%[[I]], 0] [32, 128] [1, 1]
// CHECK-NEXT: tensor.parallel_insert_slice %[[MT]] into %[[OM]][%[[I]]] [32] [1]
// CHECK-NEXT: }
// CHECK-NEXT: } {mapping = [#gpu.block<linear_dim_0>]}
// CHECK-NOT: linalg.
// CHECK: return %[[R]]#1, %[[R]]#2, %[[R]]#0

// ROWS16-LABEL: func.func @layer_norm_stats(
// ROWS16: scf.forall (%{{.+}}) = (0) to (64) step (16) shared_outs
// ROWS16-COUNT-4: linalg.generic {{.+}}tensor<16x
func.func @layer_norm_stats(%a: tensor<64x128xf32>, %b: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64xf32>, tensor<64xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 128.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<64x128xf32>, tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  %e1 = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64xf32>) -> tensor<64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<64x128xf32>) outs(%f : tensor<64xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %mean = linalg.generic {indexing_maps = [#r1, #r1], iterator_types = ["parallel"]}
      ins(%sum : tensor<64xf32>) outs(%e1 : tensor<64xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.divf %p, %n : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %var = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %mean : tensor<64x128xf32>, tensor<64xf32>) outs(%f : tensor<64xf32>) {
  ^bb0(%p: f32, %m: f32, %o: f32):
    %d = arith.subf %p, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %s = arith.addf %d2, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %x, %mean, %var : tensor<64x128xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#rows3 = affine_map<(d0, d1, d2) -> (d0, d1)>

// A softmax over [2, 64, 1024]: maximum, sum of exponentials and quotient
// in one nest over (batch, row) tiles, rows = all loops but the last of the
// elementwise root; nothing but the quotient leaves it. The exponent
// feeding the sum is read only inside, so it is scratch: 32 rows of it
// (128 KiB) or 16 exceed 48 KiB and the tile shrinks to 8 rows (32 KiB),
// 4 with max-scratch-bytes=20000.
// CHECK-LABEL: func.func @softmax(
// CHECK: %[[S:.+]] = scf.forall (%[[B:.+]], %[[I:.+]]) = (0, 0) to (2, 64) step (1, 8) shared_outs(%[[O:.+]] = %{{.+}}) -> (tensor<2x64x1024xf32>) {
// CHECK: linalg.fill {{.+}} -> tensor<1x8xf32>
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]{{.+}} outs(%{{.+}} : tensor<1x8xf32>)
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]{{.+}} outs(%{{.+}} : tensor<1x8x1024xf32>)
// CHECK: math.exp
// CHECK: linalg.fill {{.+}} -> tensor<1x8xf32>
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]{{.+}} outs(%{{.+}} : tensor<1x8xf32>)
// CHECK: arith.divf
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %{{.+}} into %[[O]][%[[B]], %[[I]], 0] [1, 8, 1024] [1, 1, 1]
// CHECK-NEXT: }
// CHECK-NEXT: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK-NOT: linalg.
// CHECK: return %[[S]]

// SCRATCH-LABEL: func.func @softmax(
// SCRATCH: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (2, 64) step (1, 4)
func.func @softmax(%x: tensor<2x64x1024xf32>) -> tensor<2x64x1024xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<2x64xf32>
  %fm = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<2x64xf32>) -> tensor<2x64xf32>
  %max = linalg.generic {indexing_maps = [#id3, #rows3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<2x64x1024xf32>) outs(%fm : tensor<2x64xf32>) {
  ^bb0(%p: f32, %o: f32):
    %m = arith.maximumf %p, %o : f32
    linalg.yield %m : f32
  } -> tensor<2x64xf32>
  %e3 = tensor.empty() : tensor<2x64x1024xf32>
  %exp = linalg.generic {indexing_maps = [#id3, #rows3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<2x64x1024xf32>, tensor<2x64xf32>) outs(%e3 : tensor<2x64x1024xf32>) {
  ^bb0(%p: f32, %m: f32, %o: f32):
    %d = arith.subf %p, %m : f32
    %ex = math.exp %d : f32
    linalg.yield %ex : f32
  } -> tensor<2x64x1024xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x64xf32>) -> tensor<2x64xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #rows3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x64x1024xf32>) outs(%fs : tensor<2x64xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x64xf32>
  %y = linalg.generic {indexing_maps = [#id3, #rows3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x64x1024xf32>, tensor<2x64xf32>) outs(%e3 : tensor<2x64x1024xf32>) {
  ^bb0(%p: f32, %s: f32, %o: f32):
    %q = arith.divf %p, %s : f32
    linalg.yield %q : f32
  } -> tensor<2x64x1024xf32>
  return %y : tensor<2x64x1024xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#cr = affine_map<(d0, d1) -> (d1, d0)>

// What stays out: the matmuls (contractions) and the residual between
// them, which neither reduction fuses: the column sum reads it column by
// column (not row for row) and before the row sum (so the row sum could not
// hand it over). Each reduction still takes its fill: the column sum is a
// reduction over the rows of its own loops.
// CHECK-LABEL: func.func @outside(
// CHECK: linalg.fill
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: %[[RES:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK: scf.forall (%{{.+}}) = (0) to (128) step (32)
// CHECK: tensor.extract_slice %[[RES]][0, %{{.+}}] [64, 32] [1, 1]
// CHECK: linalg.fill
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK: } {mapping = [#gpu.block<linear_dim_0>]}
// CHECK: scf.forall (%{{.+}}) = (0) to (64) step (32)
// CHECK: tensor.extract_slice %[[RES]][%{{.+}}, 0] [32, 128] [1, 1]
// CHECK: linalg.fill
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK: } {mapping = [#gpu.block<linear_dim_0>]}
// CHECK: linalg.fill
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]{{.+}} ins(%[[RES]]
// CHECK-NOT: scf.forall
// CHECK: return
func.func @outside(%a: tensor<64x32xf32>, %w: tensor<32x128xf32>, %b: tensor<64x128xf32>,
                   %w2: tensor<128x16xf32>)
    -> (tensor<64x16xf32>, tensor<64xf32>, tensor<128xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %fz = linalg.fill ins(%zero : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %mm = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<64x32xf32>, tensor<32x128xf32>) outs(%fz : tensor<64x128xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %m, %o : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<64x128xf32>, tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  %ec = tensor.empty() : tensor<128xf32>
  %fc = linalg.fill ins(%zero : f32) outs(%ec : tensor<128xf32>) -> tensor<128xf32>
  %colsum = linalg.generic {indexing_maps = [#cr, #row], iterator_types = ["parallel", "reduction"]}
      ins(%res : tensor<64x128xf32>) outs(%fc : tensor<128xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<128xf32>
  %er = tensor.empty() : tensor<64xf32>
  %fr = linalg.fill ins(%zero : f32) outs(%er : tensor<64xf32>) -> tensor<64xf32>
  %rowsum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%res : tensor<64x128xf32>) outs(%fr : tensor<64xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %e2 = tensor.empty() : tensor<64x16xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<64x16xf32>) -> tensor<64x16xf32>
  %mm2 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%res, %w2 : tensor<64x128xf32>, tensor<128x16xf32>) outs(%f2 : tensor<64x16xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %m, %o : f32
    linalg.yield %s : f32
  } -> tensor<64x16xf32>
  return %mm2, %rowsum, %colsum : tensor<64x16xf32>, tensor<64xf32>, tensor<128xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Elementwise maps alone form no group (elementwise fusion merges them).
// CHECK-LABEL: func.func @maps_only(
// CHECK-NOT: scf.forall
// CHECK: return
// INVALID: error: expected tile-rows >= 1 and max-scratch-bytes >= 0, got 0 and 49152
func.func @maps_only(%a: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.negf %p : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}
