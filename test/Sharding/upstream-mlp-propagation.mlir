// Upstream MLIR 22 sharding-propagation + shard-partition on a two-layer MLP whose only annotation is w1 split by columns.
// RUN: %mlir_opt %s --pass-pipeline="builtin.module(func.func(sharding-propagation))" | FileCheck %s --check-prefix=PLAN
// RUN: %mlir_opt %s --pass-pipeline="builtin.module(func.func(sharding-propagation{traversal=forward-backward},shard-partition))" | FileCheck %s --check-prefix=SPMD --implicit-check-not=shard.all_gather --implicit-check-not=4096
// RUN: not --crash %mlir_opt %s --pass-pipeline="builtin.module(func.func(sharding-propagation,shard-partition))" -o /dev/null

// This test pins down the plan upstream's greedy propagation picks, which the
// docs and the other tests in test/Sharding compare Weft's ILP plan against
// (Inputs/mlp-two-layer-upstream-plan.mlir is the same plan in Weft's mesh
// syntax). Upstream does not all-gather the hidden activation: the column
// split of w1 leaves h split on its last dimension, the second matmul takes
// that dimension as its reduction dimension, so w2 is split by rows and each
// device computes 8x1024 · 1024x1024 followed by an all_reduce (the Megatron
// column/row pair). MLIR 22's !shard.sharding has no partial axes, so the
// pending sum shows up only after partitioning.
//
// The default traversal (backward-forward) leaves the init operand of the
// second layer's linalg.fill (its tensor.empty) without a sharding, and
// shard-partition then crashes in shard::shardShapedType (third RUN line);
// forward-backward annotates it and partitions cleanly. Both traversals
// choose the same shardings for every value the PLAN lines check.

// PLAN-LABEL: func.func @mlp(
// PLAN-SAME: %[[X:[^:]+]]: tensor<8x1024xf32>, %[[W1:[^:]+]]: tensor<1024x4096xf32>, %[[W2:[^:]+]]: tensor<4096x1024xf32>) -> tensor<8x1024xf32>
// w1: the one annotation of the input, kept as written.
// PLAN:      %[[SW1:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}], [0]] : !shard.sharding
// PLAN-NEXT: %[[W1U:[^ ]+]] = shard.shard %[[W1]] to %[[SW1]] annotate_for_users : tensor<1024x4096xf32>
// x: replicated.
// PLAN:      %[[SX:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}]] : !shard.sharding
// PLAN-NEXT: %[[XU:[^ ]+]] = shard.shard %[[X]] to %[[SX]] annotate_for_users : tensor<8x1024xf32>
// First matmul: h = x · w1 produced split on dimension 1.
// PLAN:      %[[H:[^ ]+]] = linalg.matmul ins(%[[XU]], %[[W1U]] : tensor<8x1024xf32>, tensor<1024x4096xf32>) outs(%{{[^ ]+}} : tensor<8x4096xf32>) -> tensor<8x4096xf32>
// PLAN-NEXT: %[[SH:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}], [0]] : !shard.sharding
// PLAN-NEXT: %[[HS:[^ ]+]] = shard.shard %[[H]] to %[[SH]] : tensor<8x4096xf32>
// h for the second matmul: still split on dimension 1, not gathered.
// PLAN:      %[[SHU:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}], [0]] : !shard.sharding
// PLAN-NEXT: %[[HU:[^ ]+]] = shard.shard %[[HS]] to %[[SHU]] annotate_for_users : tensor<8x4096xf32>
// w2: split on dimension 0 (rows), the reduction dimension of the second matmul.
// PLAN-NEXT: %[[SW2:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}0]] : !shard.sharding
// PLAN-NEXT: %[[W2U:[^ ]+]] = shard.shard %[[W2]] to %[[SW2]] annotate_for_users : tensor<4096x1024xf32>
// The second matmul's init: replicated.
// PLAN-NEXT: %[[SI:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}]] : !shard.sharding
// PLAN-NEXT: %[[IU:[^ ]+]] = shard.shard %{{[^ ]+}} to %[[SI]] annotate_for_users : tensor<8x1024xf32>
// y: replicated (the sum over the split reduction dimension is implied).
// PLAN-NEXT: %[[Y:[^ ]+]] = linalg.matmul ins(%[[HU]], %[[W2U]] : tensor<8x4096xf32>, tensor<4096x1024xf32>) outs(%[[IU]] : tensor<8x1024xf32>) -> tensor<8x1024xf32>
// PLAN-NEXT: %[[SY:[^ ]+]] = shard.sharding @mesh split_axes = {{\[\[}}]] : !shard.sharding
// PLAN-NEXT: %[[YS:[^ ]+]] = shard.shard %[[Y]] to %[[SY]] : tensor<8x1024xf32>
// PLAN-NEXT: return %[[YS]] : tensor<8x1024xf32>

// After partitioning every tensor is local; no value of 4096 elements along a
// dimension is left and nothing is gathered.
// SPMD-LABEL: func.func @mlp(
// SPMD-SAME: %[[X:[^:]+]]: tensor<8x1024xf32>, %[[W1:[^:]+]]: tensor<1024x1024xf32>, %[[W2:[^:]+]]: tensor<1024x1024xf32>) -> tensor<8x1024xf32>
// SPMD:      %[[H:[^ ]+]] = linalg.matmul ins(%[[X]], %[[W1]] : tensor<8x1024xf32>, tensor<1024x1024xf32>) outs(%{{[^ ]+}} : tensor<8x1024xf32>) -> tensor<8x1024xf32>
// Device 0 keeps the original init and the others start from zeros, so that
// the all_reduce adds the init once.
// SPMD:      %[[IDX:[^ ]+]] = shard.process_multi_index on @mesh axes = [0] : index
// SPMD:      %[[IS0:[^ ]+]] = arith.cmpi eq, %[[IDX]], %{{[^ ]+}} : index
// SPMD-NEXT: %[[INIT:[^ ]+]] = scf.if %[[IS0]] -> (tensor<8x1024xf32>) {
// SPMD:      %[[Y:[^ ]+]] = linalg.matmul ins(%[[H]], %[[W2]] : tensor<8x1024xf32>, tensor<1024x1024xf32>) outs(%[[INIT]] : tensor<8x1024xf32>) -> tensor<8x1024xf32>
// SPMD-NEXT: %[[R:[^ ]+]] = shard.all_reduce %[[Y]] on @mesh grid_axes = [0] : tensor<8x1024xf32> -> tensor<8x1024xf32>
// SPMD-NEXT: return %[[R]] : tensor<8x1024xf32>

shard.grid @mesh(shape = 4)

func.func @mlp(%x: tensor<8x1024xf32>, %w1: tensor<1024x4096xf32>, %w2: tensor<4096x1024xf32>) -> tensor<8x1024xf32> {
  %s_w1 = shard.sharding @mesh split_axes = [[], [0]] : !shard.sharding
  %w1_s = shard.shard %w1 to %s_w1 annotate_for_users : tensor<1024x4096xf32>
  %zero = arith.constant 0.0 : f32
  %h_empty = tensor.empty() : tensor<8x4096xf32>
  %h_init = linalg.fill ins(%zero : f32) outs(%h_empty : tensor<8x4096xf32>) -> tensor<8x4096xf32>
  %h = linalg.matmul ins(%x, %w1_s : tensor<8x1024xf32>, tensor<1024x4096xf32>)
                     outs(%h_init : tensor<8x4096xf32>) -> tensor<8x4096xf32>
  %y_empty = tensor.empty() : tensor<8x1024xf32>
  %y_init = linalg.fill ins(%zero : f32) outs(%y_empty : tensor<8x1024xf32>) -> tensor<8x1024xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<8x4096xf32>, tensor<4096x1024xf32>)
                     outs(%y_init : tensor<8x1024xf32>) -> tensor<8x1024xf32>
  return %y : tensor<8x1024xf32>
}
