// xf-auto-shard memory-budget: the plan changes exactly where the budget falls below the faster plan's hand-computed peak; every way of writing a size.
// RUN: weft-opt %s --xf-auto-shard="mesh=4xH100-NVLink plan-summary=-" -o /dev/null | FileCheck %s --check-prefixes=DP,DEFAULT
// RUN: weft-opt %s --xf-auto-shard="mesh=4xH100-NVLink memory-budget={512 MiB} plan-summary=-" -o /dev/null | FileCheck %s --check-prefixes=DP,HALF
// RUN: weft-opt %s --xf-auto-shard="mesh=4xH100-NVLink memory-budget=4.62e7 plan-summary=-" -o /dev/null | FileCheck %s --check-prefix=DP
// RUN: weft-opt %s --xf-auto-shard="mesh=4xH100-NVLink memory-budget=4.6e7 plan-summary=-" -o /dev/null | FileCheck %s --check-prefix=MEGATRON
// RUN: weft-opt %s --xf-auto-shard="mesh=4xH100-NVLink memory-budget=40MiB" | FileCheck %s --check-prefix=ANNOTATED

// 2048 tokens through a 1024 -> 4096 -> 1024 MLP, f32, on 4 H100s.
//
// Data parallel (the fastest, 151.187 us: see xf-auto-shard-plans.mlir)
// holds both 16 MiB weights, a quarter of x (2 MiB), and at its peak a
// quarter of h (8 MiB) and of y (2 MiB): 44 MiB = 46137344 bytes.
//
// Megatron (column- then row-parallel, 174.168 us) holds x whole (8 MiB),
// a quarter of each weight (8 MiB), and at its peak a quarter of h (8 MiB)
// and y as a partial sum, whole (8 MiB): 32 MiB = 33554432 bytes.
//
// 4.62e7 bytes admits data parallelism, 4.6e7 does not.

// DP:           sharding plan for @mlp on mesh @mesh (gpu=4, H100-SXM5-80GB)
// DP-NEXT:      solver: optimal, objective 0.151 ms
// DEFAULT-NEXT: per device: peak memory 44.00 MiB of 80.00 GiB (parameters 34.00 MiB)
// HALF-NEXT:    per device: peak memory 44.00 MiB of 512.00 MiB (parameters 34.00 MiB)
// DP:           xf.linear data-parallel(gpu) (x2)

// MEGATRON:      sharding plan for @mlp on mesh @mesh (gpu=4, H100-SXM5-80GB)
// MEGATRON-NEXT: solver: optimal, objective 0.174 ms
// MEGATRON-NEXT: per device: peak memory 32.00 MiB of 43.87 MiB (parameters 16.00 MiB)
// MEGATRON-NEXT: layer          compute ms      comm ms     params MiB
// MEGATRON-NEXT: other              0.1282       0.0460          16.00
// MEGATRON-NEXT:     xf.linear column-parallel(gpu)
// MEGATRON-NEXT:     xf.linear row-parallel(gpu)

// ANNOTATED-LABEL: func.func @mlp(
// ANNOTATED-NEXT: %[[XU:.+]] = mesh.shard %arg0 to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
// ANNOTATED-NEXT: %[[W1U:.+]] = mesh.shard %arg1 to <@mesh, {{\[\[}}], [0]]> annotate_for_users : tensor<1024x4096xf32>
// ANNOTATED-NEXT: %[[H:.+]] = xf.linear %[[XU]], %[[W1U]]
// ANNOTATED-NEXT: %[[HS:.+]] = mesh.shard %[[H]] to <@mesh, {{\[\[}}], [0]]> : tensor<2048x4096xf32>
// ANNOTATED-NEXT: %[[W2U:.+]] = mesh.shard %arg2 to <@mesh, {{\[\[}}0]]> annotate_for_users : tensor<4096x1024xf32>
// ANNOTATED-NEXT: %[[Y:.+]] = xf.linear %[[HS]], %[[W2U]]
// ANNOTATED-NEXT: %[[YS:.+]] = mesh.shard %[[Y]] to <@mesh, [], partial = sum[0]> : tensor<2048x1024xf32>
// ANNOTATED-NEXT: %[[YR:.+]] = mesh.shard %[[YS]] to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
// ANNOTATED-NEXT: return %[[YR]]

func.func @mlp(%x: tensor<2048x1024xf32>,
               %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %h = xf.linear %x, %w1 : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %y = xf.linear %h, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  return %y : tensor<2048x1024xf32>
}
