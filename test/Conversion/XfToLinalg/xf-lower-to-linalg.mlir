// xf-lower-to-linalg: the linalg/tensor/arith/math form of every xf op but attention, f16/bf16 in f32, and the attention error.
// RUN: weft-opt %s -split-input-file -verify-diagnostics --xf-lower-to-linalg | FileCheck %s
// RUN: weft-opt %s -split-input-file -verify-diagnostics --xf-lower-to-linalg | FileCheck %s --check-prefix=NOXF

// Nothing of the xf dialect survives in any chunk.
// NOXF-NOT: xf.

// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ID4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[LAST3:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[LAST2:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ROW2:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[BCAST_COL:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[DROP_LAST3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[DROP_MID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[DROP_FIRST3:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[B012:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[B013:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B023:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

// A [D] operand broadcasts over [B, S, D] through its indexing map.
// CHECK-LABEL: func.func @add_broadcast(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x16xf32>, %[[Y:.+]]: tensor<16xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x8x16xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[LAST3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[Y]] : tensor<2x8x16xf32>, tensor<16xf32>) outs(%[[E]] : tensor<2x8x16xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[R]] : tensor<2x8x16xf32>
func.func @add_broadcast(%x: tensor<2x8x16xf32>, %y: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %0 = xf.add %x, %y : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// A size-1 dimension against a larger one reads index 0.
// CHECK-LABEL: func.func @mul_broadcast_unit_dim(
// CHECK-SAME: %[[X:.+]]: tensor<4x8xf32>, %[[Y:.+]]: tensor<4x1xf32>)
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[BCAST_COL]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[Y]] : tensor<4x8xf32>, tensor<4x1xf32>) outs(%{{.+}} : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[P]] : f32
// CHECK: return %[[R]]
func.func @mul_broadcast_unit_dim(%x: tensor<4x8xf32>, %y: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %0 = xf.mul %x, %y : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// gelu(x) = x * (1 + erf(x / sqrt(2))) / 2.
// CHECK-LABEL: func.func @gelu_none(
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-DAG: %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[RSQRT2:.+]] = arith.constant 0.707106769 : f32
// CHECK: %[[XS:.+]] = arith.mulf %[[RSQRT2]], %[[IN]] : f32
// CHECK-NEXT: %[[ERF:.+]] = math.erf %[[XS]] : f32
// CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[ONE]], %[[ERF]] : f32
// CHECK-NEXT: %[[CDF:.+]] = arith.mulf %[[HALF]], %[[SUM]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.mulf %[[IN]], %[[CDF]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK-NOT: math.tanh
// CHECK: return
func.func @gelu_none(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = xf.gelu %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// gelu_new: x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2.
// CHECK-LABEL: func.func @gelu_tanh(
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NOT: math.erf
// CHECK: %[[X2:.+]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK-NEXT: %[[X3:.+]] = arith.mulf %[[X2]], %[[IN]] : f32
// CHECK-NEXT: %[[C:.+]] = arith.constant 4.471500e-02 : f32
// CHECK-NEXT: %[[CX3:.+]] = arith.mulf %[[C]], %[[X3]] : f32
// CHECK-NEXT: %[[POLY:.+]] = arith.addf %[[IN]], %[[CX3]] : f32
// CHECK-NEXT: %[[K:.+]] = arith.constant 0.797884583 : f32
// CHECK-NEXT: %[[ARG:.+]] = arith.mulf %[[K]], %[[POLY]] : f32
// CHECK-NEXT: %[[T:.+]] = math.tanh %[[ARG]] : f32
// CHECK-NEXT: %[[SUM:.+]] = arith.addf %{{.+}}, %[[T]] : f32
// CHECK-NEXT: %[[CDF:.+]] = arith.mulf %{{.+}}, %[[SUM]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.mulf %[[IN]], %[[CDF]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = xf.gelu %x approximate = tanh : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// silu(x) = x / (1 + exp(-x)).
// CHECK-LABEL: func.func @silu(
// CHECK-SAME: %[[X:.+]]: tensor<4x8xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[NEG:.+]] = arith.negf %[[IN]] : f32
// CHECK-NEXT: %[[EXP:.+]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.+]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.divf %[[IN]], %[[DEN]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @silu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = xf.silu %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// Normalizations and softmax
//===----------------------------------------------------------------------===//

// Mean (row sum / D), centred second moment (a second reduction), then one
// map dividing the variance by D: D = 16 here.
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x16xf32>, %[[G:.+]]: tensor<16xf32>, %[[B:.+]]: tensor<16xf32>)
// CHECK: %[[D:.+]] = arith.constant 1.600000e+01 : f32
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[ACC:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_LAST3]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<2x8x16xf32>) outs(%[[ACC]] : tensor<2x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[ADD:.+]] = arith.addf %[[IN]], %[[OUT]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[MEAN:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[SUM]] : tensor<2x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[Q:.+]] = arith.divf %[[IN]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK: %[[VACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[VAR:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_LAST3]], #[[DROP_LAST3]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<2x8x16xf32>, tensor<2x8xf32>) outs(%[[VACC]] : tensor<2x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[M:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[DX:.+]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK-NEXT: %[[SQ:.+]] = arith.mulf %[[DX]], %[[DX]] : f32
// CHECK-NEXT: %[[ADD:.+]] = arith.addf %[[OUT]], %[[SQ]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_LAST3]], #[[DROP_LAST3]], #[[LAST3]], #[[LAST3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[VAR]], %[[G]], %[[B]] : tensor<2x8x16xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<16xf32>, tensor<16xf32>) outs(%{{.+}} : tensor<2x8x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[M:.+]]: f32, %[[V:.+]]: f32, %[[GAMMA:.+]]: f32, %[[BETA:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[XC:.+]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK-NEXT: %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK-NEXT: %[[VD:.+]] = arith.divf %[[V]], %[[D]] : f32
// CHECK-NEXT: %[[VE:.+]] = arith.addf %[[VD]], %[[EPS]] : f32
// CHECK-NEXT: %[[SD:.+]] = math.sqrt %[[VE]] : f32
// CHECK-NEXT: %[[N:.+]] = arith.divf %[[XC]], %[[SD]] : f32
// CHECK-NEXT: %[[SC:.+]] = arith.mulf %[[N]], %[[GAMMA]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.addf %[[SC]], %[[BETA]] : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]] : tensor<2x8x16xf32>
func.func @layer_norm(%x: tensor<2x8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %0 = xf.layer_norm %x, %g, %b epsilon = 1.0e-05 : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x16xf32>, %[[G:.+]]: tensor<16xf32>)
// CHECK: %[[D:.+]] = arith.constant 1.600000e+01 : f32
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[SS:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_LAST3]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<2x8x16xf32>) outs(%[[ACC]] : tensor<2x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[SQ:.+]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK-NEXT: %[[ADD:.+]] = arith.addf %[[OUT]], %[[SQ]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_LAST3]], #[[LAST3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[SS]], %[[G]] : tensor<2x8x16xf32>, tensor<2x8xf32>, tensor<16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[S:.+]]: f32, %[[GAMMA:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK-NEXT: %[[MS:.+]] = arith.divf %[[S]], %[[D]] : f32
// CHECK-NEXT: %[[MSE:.+]] = arith.addf %[[MS]], %[[EPS]] : f32
// CHECK-NEXT: %[[RMS:.+]] = math.sqrt %[[MSE]] : f32
// CHECK-NEXT: %[[N:.+]] = arith.divf %[[IN]], %[[RMS]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.mulf %[[N]], %[[GAMMA]] : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
func.func @rms_norm(%x: tensor<2x8x16xf32>, %g: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %0 = xf.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// Softmax over the middle dimension: the reductions keep the loop order and
// reduce loop 1; the statistics are [2, 16].
// CHECK-LABEL: func.func @softmax_middle_dim(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x16xf32>)
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[MINIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.+}} : tensor<2x16xf32>) -> tensor<2x16xf32>
// CHECK-NEXT: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_MID3]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<2x8x16xf32>) outs(%[[MINIT]] : tensor<2x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[M:.+]] = arith.maximumf %[[IN]], %[[OUT]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[SINIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<2x16xf32>) -> tensor<2x16xf32>
// CHECK-NEXT: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_MID3]], #[[DROP_MID3]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]], %[[MAX]] : tensor<2x8x16xf32>, tensor<2x16xf32>) outs(%[[SINIT]] : tensor<2x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[MX:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[IN]], %[[MX]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[D]] : f32
// CHECK-NEXT: %[[A:.+]] = arith.addf %[[OUT]], %[[E]] : f32
// CHECK-NEXT: linalg.yield %[[A]] : f32
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP_MID3]], #[[DROP_MID3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<2x8x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %[[MX:.+]]: f32, %[[S:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[IN]], %[[MX]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[D]] : f32
// CHECK-NEXT: %[[Q:.+]] = arith.divf %[[E]], %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK: return %[[R]]
func.func @softmax_middle_dim(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = xf.softmax %x dim = 1 : (tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

//===----------------------------------------------------------------------===//
// Embedding and rotary positions
//===----------------------------------------------------------------------===//

// One generic over [B, S, D] reading the ids at (b, s); the row index is
// clamped to [0, V - 1] = [0, 99].
// CHECK-LABEL: func.func @embedding(
// CHECK-SAME: %[[T:.+]]: tensor<100x16xf32>, %[[IDS:.+]]: tensor<2x8xi32>)
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[DROP_LAST3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[IDS]] : tensor<2x8xi32>) outs(%{{.+}} : tensor<2x8x16xf32>)
// CHECK-NEXT: ^bb0(%[[ID:.+]]: i32, %{{.+}}: f32):
// CHECK-NEXT: %[[IDX:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C99:.+]] = arith.constant 99 : index
// CHECK: %[[LO:.+]] = arith.maxsi %[[IDX]], %[[C0]] : index
// CHECK-NEXT: %[[ROW:.+]] = arith.minsi %[[LO]], %[[C99]] : index
// CHECK-NEXT: %[[COL:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[V:.+]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<100x16xf32>
// CHECK-NEXT: linalg.yield %[[V]] : f32
// CHECK: return %[[R]]
func.func @embedding(%t: tensor<100x16xf32>, %ids: tensor<2x8xi32>) -> tensor<2x8x16xf32> {
  %0 = xf.embedding %t[%ids] : (tensor<100x16xf32>, tensor<2x8xi32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// Rotate half, D = 8: feature d < 4 pairs with d + 4 (and takes -sin), d >= 4
// with d - 4; pair index i = d mod 4; angle = s * exp(i * -2 ln(1e4) / 8).
// CHECK-LABEL: func.func @rope_rotate_half(
// CHECK-SAME: %[[X:.+]]: tensor<1x4x2x8xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID4]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x4x2x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[B:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[S:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[H:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[D:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[HALF:.+]] = arith.constant 4 : index
// CHECK-NEXT: %[[FIRST:.+]] = arith.cmpi ult, %[[D]], %[[HALF]] : index
// CHECK: %[[DM:.+]] = arith.subi %[[D]], %{{.+}} : index
// CHECK-NEXT: %[[PAIR:.+]] = arith.select %[[FIRST]], %[[D]], %[[DM]] : index
// CHECK: %[[DM2:.+]] = arith.subi %[[D]], %{{.+}} : index
// CHECK: %[[DP:.+]] = arith.addi %[[D]], %{{.+}} : index
// CHECK-NEXT: %[[PARTNER:.+]] = arith.select %[[FIRST]], %[[DP]], %[[DM2]] : index
// CHECK-NEXT: %[[POS:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK-NEXT: %[[PI:.+]] = arith.index_cast %[[PAIR]] : index to i64
// CHECK-NEXT: %[[PF:.+]] = arith.uitofp %[[PI]] : i64 to f32
// CHECK-NEXT: %[[K:.+]] = arith.constant -2.30258512 : f32
// CHECK-NEXT: %[[E:.+]] = arith.mulf %[[PF]], %[[K]] : f32
// CHECK-NEXT: %[[FREQ:.+]] = math.exp %[[E]] : f32
// CHECK-NEXT: %[[POSF:.+]] = arith.sitofp %[[POS]] : i64 to f32
// CHECK-NEXT: %[[ANGLE:.+]] = arith.mulf %[[POSF]], %[[FREQ]] : f32
// CHECK-NEXT: %[[COS:.+]] = math.cos %[[ANGLE]] : f32
// CHECK-NEXT: %[[SIN:.+]] = math.sin %[[ANGLE]] : f32
// CHECK-NEXT: %[[OTHER:.+]] = tensor.extract %[[X]][%[[B]], %[[S]], %[[H]], %[[PARTNER]]] : tensor<1x4x2x8xf32>
// CHECK-NEXT: %[[NSIN:.+]] = arith.negf %[[SIN]] : f32
// CHECK-NEXT: %[[SSIN:.+]] = arith.select %[[FIRST]], %[[NSIN]], %[[SIN]] : f32
// CHECK-NEXT: %[[T1:.+]] = arith.mulf %[[OTHER]], %[[SSIN]] : f32
// CHECK-NEXT: %[[T0:.+]] = arith.mulf %[[IN]], %[[COS]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.addf %[[T0]], %[[T1]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @rope_rotate_half(%x: tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32> {
  %0 = xf.rope %x theta = 1.0e+04 : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}

// Interleaved: pair i = d / 2, partner d + 1 for even d (which takes -sin),
// d - 1 for odd d.
// CHECK-LABEL: func.func @rope_interleaved(
// CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[S:.+]] = linalg.index 1 : index
// CHECK: %[[D:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[TWO:.+]] = arith.constant 2 : index
// CHECK-NEXT: %[[PAIR:.+]] = arith.divui %[[D]], %[[TWO]] : index
// CHECK: %[[ODD:.+]] = arith.remui %[[D]], %{{.+}} : index
// CHECK: %[[EVEN:.+]] = arith.cmpi eq, %[[ODD]], %{{.+}} : index
// CHECK: %[[DM:.+]] = arith.subi %[[D]], %{{.+}} : index
// CHECK: %[[DP:.+]] = arith.addi %[[D]], %{{.+}} : index
// CHECK-NEXT: %[[PARTNER:.+]] = arith.select %[[EVEN]], %[[DP]], %[[DM]] : index
// CHECK-NEXT: %[[POS:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK-NEXT: %[[PI:.+]] = arith.index_cast %[[PAIR]] : index to i64
// CHECK: math.cos
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %[[S]], %{{.+}}, %[[PARTNER]]] : tensor<1x4x2x8xf32>
// CHECK: arith.select %[[EVEN]], %{{.+}}, %{{.+}} : f32
// CHECK: linalg.yield
func.func @rope_interleaved(%x: tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32> {
  %0 = xf.rope %x theta = 1.0e+04 interleaved : (tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

// [2, 8, 16] collapses to 16 rows, contracts into a zero-filled [16, 32]
// accumulator, adds the bias and expands back. With rhs [K, N] the loops are
// (m, k, n): the reduction sits between two parallel loops so that the
// innermost loop walks rows of the weight and the accumulator.
// CHECK-LABEL: func.func @linear_bias_rank3(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x16xf32>, %[[W:.+]]: tensor<16x32xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x8x16xf32> into tensor<16x16xf32>
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[ACC:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<16x32xf32>) -> tensor<16x32xf32>
// CHECK-NEXT: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[DROP_LAST3]], #[[DROP_FIRST3]], #[[DROP_MID3]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[ROWS]], %[[W]] : tensor<16x16xf32>, tensor<16x32xf32>) outs(%[[ACC]] : tensor<16x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[BB:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[A]], %[[BB]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[BIASED:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[LAST2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %[[B]] : tensor<16x32xf32>, tensor<32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[BB:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[BB]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[R:.+]] = tensor.expand_shape %[[BIASED]] {{\[}}[0, 1], [2]] output_shape [2, 8, 32] : tensor<16x32xf32> into tensor<2x8x32xf32>
// CHECK-NEXT: return %[[R]] : tensor<2x8x32xf32>
func.func @linear_bias_rank3(%x: tensor<2x8x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>) -> tensor<2x8x32xf32> {
  %0 = xf.linear %x, %w, %b : (tensor<2x8x16xf32>, tensor<16x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  return %0 : tensor<2x8x32xf32>
}

// Rank 2 without bias: the contraction is the result, nothing to reshape.
// CHECK-LABEL: func.func @linear_no_bias(
// CHECK-SAME: %[[X:.+]]: tensor<8x16xf32>, %[[W:.+]]: tensor<16x32xf32>)
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<8x32xf32>) -> tensor<8x32xf32>
// CHECK-NEXT: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[DROP_LAST3]], #[[DROP_FIRST3]], #[[DROP_MID3]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]], %[[W]] : tensor<8x16xf32>, tensor<16x32xf32>) outs(%[[ACC]] : tensor<8x32xf32>)
// CHECK: } -> tensor<8x32xf32>
// CHECK-NEXT: return %[[MM]] : tensor<8x32xf32>
func.func @linear_no_bias(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>) -> tensor<8x32xf32> {
  %0 = xf.linear %x, %w : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// Batched: loops (b, m, k, n); lhs (b, m, k), rhs (b, k, n), acc (b, m, n).
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[A:.+]]: tensor<2x4x8xf32>, %[[B:.+]]: tensor<2x8x16xf32>)
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
// CHECK-NEXT: %[[R:.+]] = linalg.generic {indexing_maps = [#[[B012]], #[[B023]], #[[B013]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%[[A]], %[[B]] : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%[[ACC]] : tensor<2x4x16xf32>)
// CHECK: return %[[R]]
func.func @matmul(%a: tensor<2x4x8xf32>, %b: tensor<2x8x16xf32>) -> tensor<2x4x16xf32> {
  %0 = xf.matmul %a, %b : (tensor<2x4x8xf32>, tensor<2x8x16xf32>) -> tensor<2x4x16xf32>
  return %0 : tensor<2x4x16xf32>
}

// transpose_rhs reads rhs at (b, n, k); k, contiguous in both operands, is
// the innermost loop: (b, m, n, k).
// CHECK-LABEL: func.func @matmul_transpose_rhs(
// CHECK-SAME: %[[A:.+]]: tensor<2x4x8xf32>, %[[B:.+]]: tensor<2x16x8xf32>)
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[B013]], #[[B023]], #[[B012]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<2x4x8xf32>, tensor<2x16x8xf32>)
// CHECK: return %[[R]]
func.func @matmul_transpose_rhs(%a: tensor<2x4x8xf32>, %b: tensor<2x16x8xf32>) -> tensor<2x4x16xf32> {
  %0 = xf.matmul %a, %b transpose_rhs : (tensor<2x4x8xf32>, tensor<2x16x8xf32>) -> tensor<2x4x16xf32>
  return %0 : tensor<2x4x16xf32>
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reshape(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x16xf32>)
// CHECK-NEXT: %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2]] : tensor<2x8x16xf32> into tensor<256xf32>
// CHECK-NEXT: %[[R:.+]] = tensor.expand_shape %[[FLAT]] {{\[}}[0, 1, 2, 3]] output_shape [2, 8, 4, 4] : tensor<256xf32> into tensor<2x8x4x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape(%x: tensor<2x8x16xf32>) -> tensor<2x8x4x4xf32> {
  %0 = xf.reshape %x : tensor<2x8x16xf32> -> tensor<2x8x4x4xf32>
  return %0 : tensor<2x8x4x4xf32>
}

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x4x4xf32>)
// CHECK-NEXT: %[[E:.+]] = tensor.empty() : tensor<2x4x8x4xf32>
// CHECK-NEXT: %[[R:.+]] = linalg.transpose ins(%[[X]] : tensor<2x8x4x4xf32>) outs(%[[E]] : tensor<2x4x8x4xf32>) permutation = [0, 2, 1, 3]
// CHECK-NEXT: return %[[R]]
func.func @transpose(%x: tensor<2x8x4x4xf32>) -> tensor<2x4x8x4xf32> {
  %0 = xf.transpose %x permutation = [0, 2, 1, 3] : (tensor<2x8x4x4xf32>) -> tensor<2x4x8x4xf32>
  return %0 : tensor<2x4x8x4xf32>
}

// Unequal pieces: offsets 0, 16 and 40 along dim 2.
// CHECK-LABEL: func.func @split(
// CHECK-SAME: %[[X:.+]]: tensor<2x8x48xf32>)
// CHECK-NEXT: %[[P0:.+]] = tensor.extract_slice %[[X]][0, 0, 0] [2, 8, 16] [1, 1, 1] : tensor<2x8x48xf32> to tensor<2x8x16xf32>
// CHECK-NEXT: %[[P1:.+]] = tensor.extract_slice %[[X]][0, 0, 16] [2, 8, 24] [1, 1, 1] : tensor<2x8x48xf32> to tensor<2x8x24xf32>
// CHECK-NEXT: %[[P2:.+]] = tensor.extract_slice %[[X]][0, 0, 40] [2, 8, 8] [1, 1, 1] : tensor<2x8x48xf32> to tensor<2x8x8xf32>
// CHECK-NEXT: return %[[P0]], %[[P1]], %[[P2]]
func.func @split(%x: tensor<2x8x48xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x24xf32>, tensor<2x8x8xf32>) {
  %0:3 = xf.split %x dim = 2 : tensor<2x8x48xf32> -> tensor<2x8x16xf32>, tensor<2x8x24xf32>, tensor<2x8x8xf32>
  return %0#0, %0#1, %0#2 : tensor<2x8x16xf32>, tensor<2x8x24xf32>, tensor<2x8x8xf32>
}

// CHECK-LABEL: func.func @concat(
// CHECK-SAME: %[[A:.+]]: tensor<2x3x4xf32>, %[[B:.+]]: tensor<2x5x4xf32>)
// CHECK-NEXT: %[[E:.+]] = tensor.empty() : tensor<2x8x4xf32>
// CHECK-NEXT: %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, 0] [2, 3, 4] [1, 1, 1] : tensor<2x3x4xf32> into tensor<2x8x4xf32>
// CHECK-NEXT: %[[I1:.+]] = tensor.insert_slice %[[B]] into %[[I0]][0, 3, 0] [2, 5, 4] [1, 1, 1] : tensor<2x5x4xf32> into tensor<2x8x4xf32>
// CHECK-NEXT: return %[[I1]]
func.func @concat(%a: tensor<2x3x4xf32>, %b: tensor<2x5x4xf32>) -> tensor<2x8x4xf32> {
  %0 = xf.concat %a, %b dim = 1 : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

//===----------------------------------------------------------------------===//
// f16 and bf16: widen to f32, compute and accumulate there, round once
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @add_f16(
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<4x8xf16>, tensor<4x1xf16>) outs(%{{.+}} : tensor<4x8xf16>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f16, %[[B:.+]]: f16, %{{.+}}: f16):
// CHECK-NEXT: %[[AW:.+]] = arith.extf %[[A]] : f16 to f32
// CHECK-NEXT: %[[BW:.+]] = arith.extf %[[B]] : f16 to f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[AW]], %[[BW]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.truncf %[[S]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[R]] : f16
func.func @add_f16(%x: tensor<4x8xf16>, %y: tensor<4x1xf16>) -> tensor<4x8xf16> {
  %0 = xf.add %x, %y : (tensor<4x8xf16>, tensor<4x1xf16>) -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// CHECK-LABEL: func.func @silu_bf16(
// CHECK: ^bb0(%[[IN:.+]]: bf16, %{{.+}}: bf16):
// CHECK-NEXT: %[[W:.+]] = arith.extf %[[IN]] : bf16 to f32
// CHECK: %[[NEG:.+]] = arith.negf %[[W]] : f32
// CHECK: %[[Q:.+]] = arith.divf %[[W]], %{{.+}} : f32
// CHECK-NEXT: %[[R:.+]] = arith.truncf %[[Q]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
func.func @silu_bf16(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %0 = xf.silu %x : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// The f16 product accumulates in an f32 tensor, rounded by a final map.
// CHECK-LABEL: func.func @linear_f16(
// CHECK-SAME: %[[X:.+]]: tensor<8x16xf16>, %[[W:.+]]: tensor<16x32xf16>) -> tensor<8x32xf16>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<8x32xf32>) -> tensor<8x32xf32>
// CHECK-NEXT: %[[MM:.+]] = linalg.generic {{.+}} ins(%[[X]], %[[W]] : tensor<8x16xf16>, tensor<16x32xf16>) outs(%[[ACC]] : tensor<8x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f16, %[[B:.+]]: f16, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[AW:.+]] = arith.extf %[[A]] : f16 to f32
// CHECK-NEXT: %[[BW:.+]] = arith.extf %[[B]] : f16 to f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[AW]], %[[BW]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[MM]] : tensor<8x32xf32>) outs(%{{.+}} : tensor<8x32xf16>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f16):
// CHECK-NEXT: %[[T:.+]] = arith.truncf %[[IN]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[T]] : f16
// CHECK: return %[[R]] : tensor<8x32xf16>
func.func @linear_f16(%x: tensor<8x16xf16>, %w: tensor<16x32xf16>) -> tensor<8x32xf16> {
  %0 = xf.linear %x, %w : (tensor<8x16xf16>, tensor<16x32xf16>) -> tensor<8x32xf16>
  return %0 : tensor<8x32xf16>
}

// Row statistics of a bf16 softmax are f32; only the quotient is rounded.
// CHECK-LABEL: func.func @softmax_bf16(
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW2]]], iterator_types = ["parallel", "reduction"]} ins(%{{.+}} : tensor<2x8xbf16>) outs(%{{.+}} : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: bf16, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[W:.+]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT: arith.maximumf %[[W]], %[[OUT]] : f32
// CHECK: %[[SUM:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<2xf32>)
// CHECK: arith.extf %{{.+}} : bf16 to f32
// CHECK: math.exp
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[MAX]], %[[SUM]] : tensor<2x8xbf16>, tensor<2xf32>, tensor<2xf32>) outs(%{{.+}} : tensor<2x8xbf16>)
// CHECK: %[[Q:.+]] = arith.divf %{{.+}}, %{{.+}} : f32
// CHECK-NEXT: %[[R:.+]] = arith.truncf %[[Q]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
func.func @softmax_bf16(%x: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  %0 = xf.softmax %x dim = 1 : (tensor<2x8xbf16>) -> tensor<2x8xbf16>
  return %0 : tensor<2x8xbf16>
}

// CHECK-LABEL: func.func @rms_norm_bf16(
// CHECK: %[[SS:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<2x16xbf16>) outs(%{{.+}} : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: bf16, %[[OUT:.+]]: f32):
// CHECK-NEXT: %[[W:.+]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT: %[[SQ:.+]] = arith.mulf %[[W]], %[[W]] : f32
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[SS]], %{{.+}} : tensor<2x16xbf16>, tensor<2xf32>, tensor<16xbf16>) outs(%{{.+}} : tensor<2x16xbf16>)
// CHECK: %[[Y:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK-NEXT: %[[R:.+]] = arith.truncf %[[Y]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
func.func @rms_norm_bf16(%x: tensor<2x16xbf16>, %g: tensor<16xbf16>) -> tensor<2x16xbf16> {
  %0 = xf.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<2x16xbf16>, tensor<16xbf16>) -> tensor<2x16xbf16>
  return %0 : tensor<2x16xbf16>
}

// -----

// Rotary positions read from a [B, S] tensor (i32 and i64) instead of the
// sequence index: the generic gains a (b, s) input, widened to i64 for the
// angle.
// CHECK-DAG: #[[ID4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[BS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>

// CHECK-LABEL: func.func @rope_positions_i32(
// CHECK-SAME: %[[X:.+]]: tensor<1x4x2x8xf32>, %[[P:.+]]: tensor<1x4xi32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID4]], #[[BS]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]], %[[P]] : tensor<1x4x2x8xf32>, tensor<1x4xi32>)
// CHECK-NEXT: ^bb0(%{{.+}}: f32, %[[POS:.+]]: i32, %{{.+}}: f32):
// CHECK: %{{.+}} = arith.{{extsi|index_cast|sitofp}} %[[POS]] : i32 to
// CHECK: math.cos
// CHECK: linalg.yield
func.func @rope_positions_i32(%x: tensor<1x4x2x8xf32>, %p: tensor<1x4xi32>) -> tensor<1x4x2x8xf32> {
  %0 = xf.rope %x positions(%p) theta = 1.0e+04 : (tensor<1x4x2x8xf32>, tensor<1x4xi32>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}

// -----

// CHECK-LABEL: func.func @rope_positions_i64_interleaved(
// CHECK-SAME: %[[X:.+]]: tensor<1x4x2x8xf32>, %[[P:.+]]: tensor<1x4xi64>)
// CHECK: linalg.generic {{.+}} ins(%[[X]], %[[P]] : tensor<1x4x2x8xf32>, tensor<1x4xi64>)
// CHECK-NEXT: ^bb0(%{{.+}}: f32, %[[POS:.+]]: i64, %{{.+}}: f32):
// CHECK: arith.divui
// CHECK: %{{.+}} = arith.{{index_cast|sitofp}} %[[POS]] : i64 to
// CHECK: linalg.yield
func.func @rope_positions_i64_interleaved(%x: tensor<1x4x2x8xf32>, %p: tensor<1x4xi64>) -> tensor<1x4x2x8xf32> {
  %0 = xf.rope %x positions(%p) theta = 1.0e+04 interleaved : (tensor<1x4x2x8xf32>, tensor<1x4xi64>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}

// -----

// Attention has its own lowering, which must run first.
func.func @attention_not_lowered(%q: tensor<1x4x1x8xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @+1 {{'xf.attention' op must be lowered by xf-lower-attention before xf-lower-to-linalg}}
  %0 = xf.attention %q, %q, %q : (tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x1x8xf32>
  return %0 : tensor<1x4x1x8xf32>
}
