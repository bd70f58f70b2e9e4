// RUN: weft-opt %s -split-input-file --xf-split-fused-projections | FileCheck %s

// GPT-2's fused QKV projection: one linear per piece, on the matching
// columns of the weight and the bias.
// CHECK-LABEL: func.func @qkv
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x64xf32>, %[[W:.*]]: tensor<64x192xf32>, %[[B:.*]]: tensor<192xf32>)
// CHECK-DAG: %[[WS:.*]]:3 = xf.split %[[W]] dim = 1 : tensor<64x192xf32> -> tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
// CHECK-DAG: %[[BS:.*]]:3 = xf.split %[[B]] dim = 0 : tensor<192xf32> -> tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
// CHECK-DAG: %[[Q:.*]] = xf.linear %[[X]], %[[WS]]#0, %[[BS]]#0 : (tensor<1x16x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<1x16x64xf32>
// CHECK-DAG: %[[K:.*]] = xf.linear %[[X]], %[[WS]]#1, %[[BS]]#1
// CHECK-DAG: %[[V:.*]] = xf.linear %[[X]], %[[WS]]#2, %[[BS]]#2
// CHECK: return %[[Q]], %[[K]], %[[V]]
// CHECK-NOT: xf.split %{{.*}} dim = 2
func.func @qkv(%x: tensor<1x16x64xf32>, %w: tensor<64x192xf32>, %b: tensor<192xf32>)
    -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  %qkv = xf.linear %x, %w, %b
      : (tensor<1x16x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<1x16x192xf32>
  %q, %k, %v = xf.split %qkv dim = 2
      : tensor<1x16x192xf32> -> tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  return %q, %k, %v : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// -----

// Unequal pieces (grouped-query: 4 query heads, 1 key/value head) and no
// bias.
// CHECK-LABEL: func.func @gqa_no_bias
// CHECK: %[[WS:.*]]:3 = xf.split %{{.*}} dim = 1 : tensor<32x48xf16> -> tensor<32x32xf16>, tensor<32x8xf16>, tensor<32x8xf16>
// CHECK-NOT: xf.split %{{.*}} dim = 0
// CHECK: xf.linear %{{.*}}, %[[WS]]#0 : (tensor<2x32xf16>, tensor<32x32xf16>) -> tensor<2x32xf16>
// CHECK: xf.linear %{{.*}}, %[[WS]]#1 : (tensor<2x32xf16>, tensor<32x8xf16>) -> tensor<2x8xf16>
// CHECK: xf.linear %{{.*}}, %[[WS]]#2 : (tensor<2x32xf16>, tensor<32x8xf16>) -> tensor<2x8xf16>
func.func @gqa_no_bias(%x: tensor<2x32xf16>, %w: tensor<32x48xf16>)
    -> (tensor<2x32xf16>, tensor<2x8xf16>, tensor<2x8xf16>) {
  %qkv = xf.linear %x, %w : (tensor<2x32xf16>, tensor<32x48xf16>) -> tensor<2x48xf16>
  %q, %k, %v = xf.split %qkv dim = 1
      : tensor<2x48xf16> -> tensor<2x32xf16>, tensor<2x8xf16>, tensor<2x8xf16>
  return %q, %k, %v : tensor<2x32xf16>, tensor<2x8xf16>, tensor<2x8xf16>
}

// -----

// Left alone: a split along another dimension than the features, and a
// fused output that has a second use.
// CHECK-LABEL: func.func @not_features
// CHECK: %[[Y:.*]] = xf.linear
// CHECK: xf.split %[[Y]] dim = 1
func.func @not_features(%x: tensor<1x16x64xf32>, %w: tensor<64x128xf32>)
    -> (tensor<1x8x128xf32>, tensor<1x8x128xf32>) {
  %y = xf.linear %x, %w : (tensor<1x16x64xf32>, tensor<64x128xf32>) -> tensor<1x16x128xf32>
  %a, %b = xf.split %y dim = 1 : tensor<1x16x128xf32> -> tensor<1x8x128xf32>, tensor<1x8x128xf32>
  return %a, %b : tensor<1x8x128xf32>, tensor<1x8x128xf32>
}

// CHECK-LABEL: func.func @second_use
// CHECK: %[[Y:.*]] = xf.linear
// CHECK: xf.split %[[Y]] dim = 2
func.func @second_use(%x: tensor<1x16x64xf32>, %w: tensor<64x128xf32>)
    -> (tensor<1x16x64xf32>, tensor<1x16x128xf32>) {
  %y = xf.linear %x, %w : (tensor<1x16x64xf32>, tensor<64x128xf32>) -> tensor<1x16x128xf32>
  %a, %b = xf.split %y dim = 2 : tensor<1x16x128xf32> -> tensor<1x16x64xf32>, tensor<1x16x64xf32>
  return %a, %y : tensor<1x16x64xf32>, tensor<1x16x128xf32>
}
