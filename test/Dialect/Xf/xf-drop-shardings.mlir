// xf-drop-shardings: mesh.shard hints forwarded to their operands and meshes erased; partitioned programs rejected.
// RUN: weft-opt %s -split-input-file -verify-diagnostics --xf-drop-shardings | FileCheck %s

// CHECK-NOT: mesh.
// CHECK-LABEL: func.func @annotated(
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x16x768xf32>, %[[W:[^:]+]]: tensor<768x3072xf32>
// CHECK-NEXT: %[[Y:.+]] = xf.linear %[[X]], %[[W]] : (tensor<2x16x768xf32>, tensor<768x3072xf32>) -> tensor<2x16x3072xf32>
// CHECK-NEXT: %[[A:.+]] = xf.gelu %[[Y]] : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
// CHECK-NEXT: return %[[A]], %[[X]] : tensor<2x16x3072xf32>, tensor<2x16x768xf32>
// CHECK-NOT: mesh.
mesh.mesh @node(preset = "8xH100-NVLink")
mesh.mesh @unused(shape = 2x4)
func.func @annotated(%x: tensor<2x16x768xf32>, %w: tensor<768x3072xf32>) -> (tensor<2x16x3072xf32>, tensor<2x16x768xf32>) {
  %w_s = mesh.shard %w to <@node, [[], [0]]> annotate_for_users : tensor<768x3072xf32>
  %y = xf.linear %x, %w_s : (tensor<2x16x768xf32>, tensor<768x3072xf32>) -> tensor<2x16x3072xf32>
  // A chain of annotations collapses to the original value.
  %y_s = mesh.shard %y to <@node, [[], [], [0]]> : tensor<2x16x3072xf32>
  %y_u = mesh.shard %y_s to <@node, [[], [], [0]]> annotate_for_users : tensor<2x16x3072xf32>
  %a = xf.gelu %y_u : (tensor<2x16x3072xf32>) -> tensor<2x16x3072xf32>
  %x_r = mesh.shard %x to <@node, []> : tensor<2x16x768xf32>
  return %a, %x_r : tensor<2x16x3072xf32>, tensor<2x16x768xf32>
}

// -----

// A module without meshes is unchanged.
// CHECK-LABEL: func.func @plain(
// CHECK-SAME: %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK-NEXT: %[[R:.+]] = xf.silu %[[X]] : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @plain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = xf.silu %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Collectives only exist once a program is partitioned.
mesh.mesh @m(shape = 4)
func.func @partitioned(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %s = mesh.shard %x to <@m, [[0]]> : tensor<8x16xf32>
  // expected-error @+1 {{'mesh.all_reduce' op belongs to a partitioned program and cannot be compiled for a single device}}
  %0 = mesh.all_reduce %s on @m mesh_axes = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}
