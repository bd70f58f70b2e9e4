// xf-auto-shard: the plan, the annotations it writes and its summary.
// RUN: weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink" | FileCheck %s
// RUN: weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink plan-summary=-" -o /dev/null | FileCheck %s --check-prefix=SUMMARY

// Unannotated, 2048 tokens: data parallel. Every device holds both weights,
// computes its quarter of the rows, and the result is gathered whole.
// CHECK: mesh.mesh @mesh(preset = "4xH100-NVLink")
// CHECK-LABEL: func.func @mlp_2048
// CHECK: %[[X:.*]] = mesh.shard %arg0 to <@mesh, {{\[\[}}0]]> annotate_for_users : tensor<2048x1024xf32>
// CHECK: %[[W1:.*]] = mesh.shard %arg1 to <@mesh, []> annotate_for_users : tensor<1024x4096xf32>
// CHECK: %[[H:.*]] = xf.linear %[[X]], %[[W1]]
// CHECK: %[[HS:.*]] = mesh.shard %[[H]] to <@mesh, {{\[\[}}0]]> : tensor<2048x4096xf32>
// CHECK: %[[W2:.*]] = mesh.shard %arg2 to <@mesh, []> annotate_for_users : tensor<4096x1024xf32>
// CHECK: %[[Y:.*]] = xf.linear %[[HS]], %[[W2]]
// CHECK: %[[YS:.*]] = mesh.shard %[[Y]] to <@mesh, {{\[\[}}0]]> : tensor<2048x1024xf32>
// CHECK: %[[YR:.*]] = mesh.shard %[[YS]] to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
// CHECK: return %[[YR]]
// SUMMARY: sharding plan for @mlp_2048 on mesh @mesh (gpu=4, H100-SXM5-80GB)
// SUMMARY-NEXT: solver: optimal
// SUMMARY: xf.linear data-parallel(gpu) (x2)
func.func @mlp_2048(%x: tensor<2048x1024xf32>,
                    %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
                    %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %h = xf.linear %x, %w1 : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %y = xf.linear %h, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  return %y : tensor<2048x1024xf32>
}

// -----

// Grouped-query attention, 8 query heads over 2 KV heads on 4 devices: the
// query heads split 4 ways, the 2 KV heads cannot and stay whole.
// CHECK-LABEL: func.func @gqa
// CHECK-DAG: mesh.shard %arg0 to <@mesh, {{\[\[}}], [], [0]]> annotate_for_users : tensor<1x4096x8x128xf16>
// CHECK-DAG: mesh.shard %arg1 to <@mesh, []> annotate_for_users : tensor<1x4096x2x128xf16>
// CHECK-DAG: mesh.shard %arg2 to <@mesh, []> annotate_for_users : tensor<1x4096x2x128xf16>
// CHECK: xf.attention
// CHECK-NEXT: mesh.shard %{{.*}} to <@mesh, {{\[\[}}], [], [0]]> : tensor<1x4096x8x128xf16>
// SUMMARY: sharding plan for @gqa
// SUMMARY: xf.attention head-parallel(gpu)
func.func @gqa(%q: tensor<1x4096x8x128xf16>, %k: tensor<1x4096x2x128xf16>,
               %v: tensor<1x4096x2x128xf16>) -> tensor<1x4096x8x128xf16> {
  %o = xf.attention %q, %k, %v
      : (tensor<1x4096x8x128xf16>, tensor<1x4096x2x128xf16>, tensor<1x4096x2x128xf16>)
        -> tensor<1x4096x8x128xf16>
  return %o : tensor<1x4096x8x128xf16>
}

// -----

// A user annotation pins w1 by columns (on the mesh the preset names):
// the Megatron pair, w2 by rows and one all-reduce of the partial result.
// CHECK: mesh.mesh @mesh(preset = "4xH100-NVLink")
// CHECK-NOT: mesh.mesh
// CHECK-LABEL: func.func @pinned
// CHECK: %[[W1:.*]] = mesh.shard %arg1 to <@mesh, {{\[\[}}], [0]]> annotate_for_users : tensor<1024x4096xf32>
// CHECK: %[[H:.*]] = xf.linear %{{.*}}, %[[W1]]
// CHECK: %[[HS:.*]] = mesh.shard %[[H]] to <@mesh, {{\[\[}}], [0]]> : tensor<2048x4096xf32>
// CHECK: %[[W2:.*]] = mesh.shard %arg2 to <@mesh, {{\[\[}}0]]> annotate_for_users : tensor<4096x1024xf32>
// CHECK: %[[Y:.*]] = xf.linear %[[HS]], %[[W2]]
// CHECK: %[[YS:.*]] = mesh.shard %[[Y]] to <@mesh, [], partial = sum[0]> : tensor<2048x1024xf32>
// CHECK: mesh.shard %[[YS]] to <@mesh, []> annotate_for_users
// SUMMARY: sharding plan for @pinned
// SUMMARY-NEXT: solver: optimal, objective 0.174 ms
// SUMMARY: xf.linear column-parallel(gpu)
// SUMMARY-NEXT: xf.linear row-parallel(gpu)
mesh.mesh @mesh(preset = "4xH100-NVLink")
func.func @pinned(%x: tensor<2048x1024xf32>,
                  %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
                  %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %w1s = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<1024x4096xf32>
  %h = xf.linear %x, %w1s : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %y = xf.linear %h, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  return %y : tensor<2048x1024xf32>
}
