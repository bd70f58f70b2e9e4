// xf-lower-attention: the online-softmax loop nest (blocks, causal skipping, padding masks, GQA, f16, options) and its memory bound.
// RUN: weft-opt %s -split-input-file --xf-lower-attention | FileCheck %s
// RUN: weft-opt %s -split-input-file --xf-lower-attention="block-q=32 block-kv=16" | FileCheck %s --check-prefix=BLOCKS
// RUN: weft-opt %s -split-input-file --xf-lower-attention --xf-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF
// RUN: not weft-opt %s --xf-lower-attention="block-q=0" 2>&1 | FileCheck %s --check-prefix=INVALID

// INVALID: error: xf-lower-attention block sizes must be positive, got block-q=0 block-kv=64

//===----------------------------------------------------------------------===//
// Causal multi-head attention, S = 128, default 64 x 64 blocks
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @causal_mha(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<1x128x2x8xf32>, %[[K:[^:]+]]: tensor<1x128x2x8xf32>, %[[V:[^:]+]]: tensor<1x128x2x8xf32>
// Whole blocks already: nothing is padded. The causal diagonal offset
// Skv - Sq = 0.
// CHECK-NOT: tensor.pad
// CHECK: %[[DIAG:.+]] = arith.constant 0 : index
// CHECK-NEXT: %[[INIT:.+]] = tensor.empty() : tensor<1x128x2x8xf32>
// One parallel iteration per (batch, head, query block): 1 x 2 x 128/64.
// CHECK-NEXT: %[[R:.+]] = scf.forall (%[[B:.+]], %[[H:.+]], %[[QB:.+]]) in (1, 2, 2) shared_outs(%[[OUT:.+]] = %[[INIT]]) -> (tensor<1x128x2x8xf32>) {
// CHECK: %[[Q0:.+]] = arith.muli %[[QB]], %c64{{(_[0-9]+)?}} : index
// CHECK: %[[KVH:.+]] = arith.divui %[[H]], %c1{{(_[0-9]+)?}} : index
// CHECK: %[[QT:.+]] = tensor.extract_slice %[[Q]][%[[B]], %[[Q0]], %[[H]], 0] [1, 64, 1, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<64x8xf32>
// The query tile is scaled once by 1/sqrt(8).
// CHECK: %[[QS:.+]] = linalg.generic {{.+}} ins(%[[QT]] : tensor<64x8xf32>) outs(%{{.+}} : tensor<64x8xf32>)
// CHECK: arith.constant 0.353553385 : f32
// Running max -inf, sum 0, accumulator 0.
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[M0:.+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.+}} : tensor<64xf32>) -> tensor<64xf32>
// CHECK: %[[L0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<64xf32>) -> tensor<64xf32>
// CHECK: %[[O0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<64x8xf32>) -> tensor<64x8xf32>
// Key blocks this query block sees:
// min(max(min(q0 + 63, 127) + 0, 0) / 64 + 1, 2), the diagonal offset 0
// (Skv - Sq) made once outside the loops.
// CHECK: %[[ROWEND:.+]] = arith.addi %[[Q0]], %c63{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[LASTROW:.+]] = arith.minsi %[[ROWEND]], %c127{{(_[0-9]+)?}} : index
// CHECK-NEXT: %{{.+}} = arith.constant 0 : index
// CHECK-NEXT: %[[LASTVISIBLE:.+]] = arith.addi %[[LASTROW]], %[[DIAG]] : index
// CHECK-NEXT: %[[LASTKEY:.+]] = arith.maxsi %[[LASTVISIBLE]], %{{.+}} : index
// CHECK: %[[KBLAST:.+]] = arith.divui %[[LASTKEY]], %c64{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[KBEND:.+]] = arith.addi %[[KBLAST]], %c1{{(_[0-9]+)?}} : index
// CHECK: %[[N:.+]] = arith.minsi %[[KBEND]], %c2{{(_[0-9]+)?}} : index
// CHECK: %[[LOOP:.+]]:3 = scf.for %[[KB:.+]] = %c0{{(_[0-9]+)?}} to %[[N]] step %c1{{(_[0-9]+)?}} iter_args(%[[M:.+]] = %[[M0]], %[[L:.+]] = %[[L0]], %[[O:.+]] = %[[O0]]) -> (tensor<64xf32>, tensor<64xf32>, tensor<64x8xf32>) {
// CHECK: %[[K0:.+]] = arith.muli %[[KB]], %c64{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[KT:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[K0]], %[[KVH]], 0] [1, 64, 1, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<64x8xf32>
// CHECK-NEXT: %[[VT:.+]] = tensor.extract_slice %[[V]][%[[B]], %[[K0]], %[[KVH]], 0] [1, 64, 1, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<64x8xf32>
// S = Q K^T, one 64 x 64 block.
// CHECK: %[[S:.+]] = linalg.generic {{.+}} ins(%[[QS]], %{{.+}} : tensor<64x8xf32>, tensor<{{64x8|8x64}}xf32>) outs(%{{.+}} : tensor<64x64xf32>)
// Row maximum of the block with the diagonal masked: key k0 + j is visible
// from row q0 + i when k0 + j <= q0 + i + (Skv - Sq).
// CHECK: %[[BMAX:.+]] = linalg.generic {{.+}}iterator_types = ["parallel", "reduction"]} ins(%[[S]] : tensor<64x64xf32>) outs(%{{.+}} : tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[SIN:.+]]: f32, %[[SOUT:.+]]: f32):
// CHECK-NEXT: %[[I:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[J:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[KEY:.+]] = arith.addi %[[K0]], %[[J]] : index
// CHECK: %[[ROW:.+]] = arith.addi %[[Q0]], %[[I]] : index
// CHECK: %[[LIMIT:.+]] = arith.addi %[[ROW]], %{{.+}} : index
// CHECK-NEXT: %[[BELOW:.+]] = arith.cmpi sle, %[[KEY]], %[[LIMIT]] : index
// CHECK-NEXT: %[[VIS:.+]] = arith.andi %{{.+}}, %[[BELOW]] : i1
// CHECK-NEXT: %[[MASKED:.+]] = arith.select %[[VIS]], %[[SIN]], %{{.+}} : f32
// CHECK-NEXT: %[[MX:.+]] = arith.maximumf %[[MASKED]], %[[SOUT]] : f32
// CHECK-NEXT: linalg.yield %[[MX]] : f32
// m' = max(m, block max); alpha = exp(m - m'), 1 while nothing was seen.
// CHECK: %[[UPD:.+]]:2 = linalg.generic {{.+}} ins(%[[BMAX]] : tensor<64xf32>) outs(%[[M]], %{{.+}} : tensor<64xf32>, tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[BM:.+]]: f32, %[[MOLD:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[MNEW:.+]] = arith.maximumf %[[MOLD]], %[[BM]] : f32
// CHECK-NEXT: %[[SEEN:.+]] = arith.cmpf ogt, %[[MNEW]], %{{.+}} : f32
// CHECK-NEXT: %[[DM:.+]] = arith.subf %[[MOLD]], %[[MNEW]] : f32
// CHECK-NEXT: %[[EDM:.+]] = math.exp %[[DM]] : f32
// CHECK-NEXT: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[ALPHA:.+]] = arith.select %[[SEEN]], %[[EDM]], %[[ONE]] : f32
// CHECK-NEXT: linalg.yield %[[MNEW]], %[[ALPHA]] : f32, f32
// P = exp(S - m'), zero where masked.
// CHECK: %[[P:.+]] = linalg.generic {{.+}} ins(%[[S]], %[[UPD]]#0 : tensor<64x64xf32>, tensor<64xf32>) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK-NEXT: ^bb0(%[[PS:.+]]: f32, %[[PM:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[PD:.+]] = arith.subf %[[PS]], %[[PM]] : f32
// CHECK-NEXT: %[[PE:.+]] = math.exp %[[PD]] : f32
// CHECK: arith.cmpi sle
// CHECK: %[[PV:.+]] = arith.select %{{.+}}, %[[PE]], %{{.+}} : f32
// CHECK-NEXT: linalg.yield %[[PV]] : f32
// l' = l * alpha + rowsum P; O' = O * alpha + P V.
// CHECK: %[[LS:.+]] = linalg.generic {{.+}} ins(%[[UPD]]#1 : tensor<64xf32>) outs(%[[L]] : tensor<64xf32>)
// CHECK: %[[LNEW:.+]] = linalg.generic {{.+}}iterator_types = ["parallel", "reduction"]} ins(%[[P]] : tensor<64x64xf32>) outs(%[[LS]] : tensor<64xf32>)
// CHECK: %[[OS:.+]] = linalg.generic {{.+}} ins(%[[UPD]]#1 : tensor<64xf32>) outs(%[[O]] : tensor<64x8xf32>)
// CHECK: %[[ONEW:.+]] = linalg.generic {{.+}} ins(%[[P]], %[[VT]] : tensor<64x64xf32>, tensor<64x8xf32>) outs(%[[OS]] : tensor<64x8xf32>)
// CHECK: scf.yield %[[UPD]]#0, %[[LNEW]], %[[ONEW]] : tensor<64xf32>, tensor<64xf32>, tensor<64x8xf32>
// O / l, written into this block's slice of the result.
// CHECK: %[[DST:.+]] = tensor.extract_slice %[[OUT]][%[[B]], %[[Q0]], %[[H]], 0] [1, 64, 1, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<64x8xf32>
// CHECK-NEXT: %[[TILE:.+]] = linalg.generic {{.+}} ins(%[[LOOP]]#2, %[[LOOP]]#1 : tensor<64x8xf32>, tensor<64xf32>) outs(%[[DST]] : tensor<64x8xf32>)
// CHECK: arith.cmpf oeq
// CHECK: arith.divf
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %[[TILE]] into %[[OUT]][%[[B]], %[[Q0]], %[[H]], 0] [1, 64, 1, 8] [1, 1, 1, 1] : tensor<64x8xf32> into tensor<1x128x2x8xf32>
// No score matrix of the whole sequence.
// CHECK-NOT: 128x128
// CHECK: return %[[R]] : tensor<1x128x2x8xf32>

// block-q=32 block-kv=16: 4 query blocks per head, 32 x 16 score tiles, up
// to 8 key blocks.
// BLOCKS-LABEL: func.func @causal_mha(
// BLOCKS: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (1, 2, 4) shared_outs
// BLOCKS: tensor.extract_slice %{{.+}} [1, 32, 1, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<32x8xf32>
// BLOCKS: %[[N:.+]] = arith.minsi %{{.+}}, %c8{{(_[0-9]+)?}} : index
// BLOCKS: scf.for %{{.+}} = %{{.+}} to %[[N]] step %{{.+}} iter_args({{.+}}) -> (tensor<32xf32>, tensor<32xf32>, tensor<32x8xf32>)
// BLOCKS: tensor.extract_slice %{{.+}} [1, 16, 1, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<16x8xf32>
// BLOCKS: linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<32x16xf32>) -> tensor<32x16xf32>
// BLOCKS-NOT: tensor<64x64xf32>
// BLOCKS: tensor.parallel_insert_slice %{{.+}} [1, 32, 1, 8] [1, 1, 1, 1] : tensor<32x8xf32> into tensor<1x128x2x8xf32>
// BLOCKS: return
func.func @causal_mha(%q: tensor<1x128x2x8xf32>, %k: tensor<1x128x2x8xf32>, %v: tensor<1x128x2x8xf32>) -> tensor<1x128x2x8xf32> {
  %0 = xf.attention %q, %k, %v causal : (tensor<1x128x2x8xf32>, tensor<1x128x2x8xf32>, tensor<1x128x2x8xf32>) -> tensor<1x128x2x8xf32>
  return %0 : tensor<1x128x2x8xf32>
}

// -----

// Causal with a cache of earlier keys (Sq = 64, Skv = 128): the diagonal is
// shifted by Skv - Sq = 64, in the mask and in the number of key blocks.
// CHECK-LABEL: func.func @causal_with_cache(
// CHECK: %[[SHIFT:.+]] = arith.constant 64 : index
// CHECK: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (1, 2, 1) shared_outs
// CHECK: %[[LASTROW:.+]] = arith.minsi %{{.+}}, %c63{{(_[0-9]+)?}} : index
// CHECK-NEXT: arith.constant 0 : index
// CHECK-NEXT: %[[LASTVISIBLE:.+]] = arith.addi %[[LASTROW]], %[[SHIFT]] : index
// CHECK-NEXT: arith.maxsi %[[LASTVISIBLE]]
// CHECK: arith.minsi %{{.+}}, %c2{{(_[0-9]+)?}} : index
// CHECK: scf.for
// CHECK: %[[I:.+]] = linalg.index 0
// CHECK: arith.cmpi slt
// CHECK-NEXT: %[[ROW:.+]] = arith.addi %{{.+}}, %[[I]] : index
// CHECK-NEXT: %[[LIMIT:.+]] = arith.addi %[[ROW]], %[[SHIFT]] : index
// CHECK-NEXT: arith.cmpi sle, %{{.+}}, %[[LIMIT]] : index
func.func @causal_with_cache(%q: tensor<1x64x2x8xf32>, %k: tensor<1x128x2x8xf32>, %v: tensor<1x128x2x8xf32>) -> tensor<1x64x2x8xf32> {
  %0 = xf.attention %q, %k, %v causal : (tensor<1x64x2x8xf32>, tensor<1x128x2x8xf32>, tensor<1x128x2x8xf32>) -> tensor<1x64x2x8xf32>
  return %0 : tensor<1x64x2x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// S = 100 with 64-blocks, not causal: padding and its masks
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @padded_sequence(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<1x100x2x8xf32>, %[[K:[^:]+]]: tensor<1x100x2x8xf32>, %[[V:[^:]+]]: tensor<1x100x2x8xf32>
// CHECK: %[[QP:.+]] = tensor.pad %[[Q]] low[0, 0, 0, 0] high[0, 28, 0, 0]
// CHECK: } : tensor<1x100x2x8xf32> to tensor<1x128x2x8xf32>
// CHECK: %[[KP:.+]] = tensor.pad %[[K]] low[0, 0, 0, 0] high[0, 28, 0, 0]
// CHECK: } : tensor<1x100x2x8xf32> to tensor<1x128x2x8xf32>
// CHECK: %[[VP:.+]] = tensor.pad %[[V]] low[0, 0, 0, 0] high[0, 28, 0, 0]
// CHECK: } : tensor<1x100x2x8xf32> to tensor<1x128x2x8xf32>
// CHECK: %[[R:.+]] = scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (1, 2, 2) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x128x2x8xf32>) {
// CHECK: tensor.extract_slice %[[QP]]
// Not causal: every query block visits both key blocks.
// CHECK-NOT: arith.minsi
// CHECK: scf.for %{{.+}} = %{{.+}} to %c2{{(_[0-9]+)?}} step
// CHECK: tensor.extract_slice %[[KP]]
// CHECK: tensor.extract_slice %[[VP]]
// Keys at 100 and beyond are padding: masked out of the maximum ...
// CHECK: linalg.generic {{.+}}iterator_types = ["parallel", "reduction"]} ins(%{{.+}} : tensor<64x64xf32>) outs(%{{.+}} : tensor<64xf32>)
// CHECK: %[[J:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[KEY:.+]] = arith.addi %{{.+}}, %[[J]] : index
// CHECK-NEXT: %[[C100:.+]] = arith.constant 100 : index
// CHECK-NEXT: %[[IN:.+]] = arith.cmpi slt, %[[KEY]], %[[C100]] : index
// CHECK-NOT: arith.cmpi sle
// CHECK: arith.select %[[IN]]
// CHECK: arith.maximumf
// ... and out of P.
// CHECK: math.exp
// CHECK: linalg.index 1
// CHECK: arith.cmpi slt, %{{.+}}, %c100{{(_[0-9]+)?}} : index
// CHECK: scf.forall.in_parallel
// Padded query rows are dropped.
// CHECK: %[[RES:.+]] = tensor.extract_slice %[[R]][0, 0, 0, 0] [1, 100, 2, 8] [1, 1, 1, 1] : tensor<1x128x2x8xf32> to tensor<1x100x2x8xf32>
// CHECK-NEXT: return %[[RES]] : tensor<1x100x2x8xf32>
func.func @padded_sequence(%q: tensor<1x100x2x8xf32>, %k: tensor<1x100x2x8xf32>, %v: tensor<1x100x2x8xf32>) -> tensor<1x100x2x8xf32> {
  %0 = xf.attention %q, %k, %v : (tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>, tensor<1x100x2x8xf32>) -> tensor<1x100x2x8xf32>
  return %0 : tensor<1x100x2x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Grouped-query attention: Hq = 8, Hkv = 2
//===----------------------------------------------------------------------===//

// Query head h reads key/value head h / 4. Sequences of 16 clamp the blocks
// to 16 and need no mask.
// CHECK-LABEL: func.func @gqa(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<1x16x8x4xf32>, %[[K:[^:]+]]: tensor<1x16x2x4xf32>, %[[V:[^:]+]]: tensor<1x16x2x4xf32>
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]], %{{.+}}) in (1, 8, 1) shared_outs
// CHECK: %[[GROUP:.+]] = arith.constant 4 : index
// CHECK-NEXT: %[[KVH:.+]] = arith.divui %[[H]], %[[GROUP]] : index
// CHECK: tensor.extract_slice %[[Q]][%[[B]], %{{.+}}, %[[H]], 0] [1, 16, 1, 4] [1, 1, 1, 1] : tensor<1x16x8x4xf32> to tensor<16x4xf32>
// CHECK: scf.for
// CHECK: tensor.extract_slice %[[K]][%[[B]], %{{.+}}, %[[KVH]], 0] [1, 16, 1, 4] [1, 1, 1, 1] : tensor<1x16x2x4xf32> to tensor<16x4xf32>
// CHECK-NEXT: tensor.extract_slice %[[V]][%[[B]], %{{.+}}, %[[KVH]], 0] [1, 16, 1, 4] [1, 1, 1, 1] : tensor<1x16x2x4xf32> to tensor<16x4xf32>
// CHECK-NOT: arith.cmpi
// CHECK: scf.yield
func.func @gqa(%q: tensor<1x16x8x4xf32>, %k: tensor<1x16x2x4xf32>, %v: tensor<1x16x2x4xf32>) -> tensor<1x16x8x4xf32> {
  %0 = xf.attention %q, %k, %v : (tensor<1x16x8x4xf32>, tensor<1x16x2x4xf32>, tensor<1x16x2x4xf32>) -> tensor<1x16x8x4xf32>
  return %0 : tensor<1x16x8x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// f16 inputs: the nest runs in f32, the tile is rounded when stored
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @causal_f16(
// CHECK: %[[QT:.+]] = tensor.extract_slice %{{.+}} : tensor<1x32x2x8xf16> to tensor<32x8xf16>
// CHECK: linalg.generic {{.+}} ins(%[[QT]] : tensor<32x8xf16>) outs(%{{.+}} : tensor<32x8xf32>)
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: scf.for {{.+}} -> (tensor<32xf32>, tensor<32xf32>, tensor<32x8xf32>)
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<32x32xf32>) -> tensor<32x32xf32>
// CHECK-NOT: tensor<32x32xf16>
// CHECK: math.exp %{{.+}} : f32
// CHECK: scf.yield
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<32x8xf32>, tensor<32xf32>) outs(%{{.+}} : tensor<32x8xf16>)
// CHECK: %[[Q:.+]] = arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK-NEXT: %[[T:.+]] = arith.truncf %[[Q]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[T]] : f16
// CHECK: tensor.parallel_insert_slice %{{.+}} : tensor<32x8xf16> into tensor<1x32x2x8xf16>
func.func @causal_f16(%q: tensor<1x32x2x8xf16>, %k: tensor<1x32x2x8xf16>, %v: tensor<1x32x2x8xf16>) -> tensor<1x32x2x8xf16> {
  %0 = xf.attention %q, %k, %v causal : (tensor<1x32x2x8xf16>, tensor<1x32x2x8xf16>, tensor<1x32x2x8xf16>) -> tensor<1x32x2x8xf16>
  return %0 : tensor<1x32x2x8xf16>
}

// -----

//===----------------------------------------------------------------------===//
// Memory: S = 256 never forms the 256 x 256 score matrix
//===----------------------------------------------------------------------===//

// On tensors ...
// CHECK-LABEL: func.func @long_sequence(
// CHECK-NOT: 256x256
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<64x64xf32>) -> tensor<64x64xf32>
// CHECK-NOT: 256x256
// CHECK: return

// ... and after bufferization, where the only score buffers are 64 x 64.
// BUF-LABEL: func.func @long_sequence(
// BUF-NOT: 256x256
// BUF: memref.alloc() {{.*}}: memref<64x64xf32>
// BUF-NOT: 256x256
// BUF: return
func.func @long_sequence(%q: tensor<1x256x2x16xf32>, %k: tensor<1x256x2x16xf32>, %v: tensor<1x256x2x16xf32>) -> tensor<1x256x2x16xf32> {
  %0 = xf.attention %q, %k, %v causal : (tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>, tensor<1x256x2x16xf32>) -> tensor<1x256x2x16xf32>
  return %0 : tensor<1x256x2x16xf32>
}
