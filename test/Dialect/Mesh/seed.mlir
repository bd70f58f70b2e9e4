// RUN: weft-opt %s | weft-opt | FileCheck %s

// The sharding example from the study notes: a batched matmul whose operands
// are annotated for their users and whose result holds partial sums.

// CHECK-LABEL: module @sharding_test {
// CHECK-NEXT:   mesh.mesh @mesh_2d(shape = 4x8){{$}}
// CHECK-NEXT:   func.func @matmul_on_operand_shard_batch_and_k(%[[ARG0:[^:]+]]: tensor<32x1000x4096xf32>, %[[ARG1:[^:]+]]: tensor<32x4096x8192xf32>) -> tensor<32x1000x8192xf32> {
// CHECK-NEXT:     %[[LHS:.*]] = mesh.shard %[[ARG0]] to <@mesh_2d, {{\[\[}}0], [], [1]]> annotate_for_users : tensor<32x1000x4096xf32>
// CHECK-NEXT:     %[[RHS:.*]] = mesh.shard %[[ARG1]] to <@mesh_2d, {{\[\[}}0], [1]]> annotate_for_users : tensor<32x4096x8192xf32>
// CHECK-NEXT:     %[[A_ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT:     %[[B_ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT:     %[[MM:.*]] = tosa.matmul %[[LHS]], %[[RHS]], %[[A_ZP]], %[[B_ZP]] : (tensor<32x1000x4096xf32>, tensor<32x4096x8192xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<32x1000x8192xf32>
// CHECK-NEXT:     %[[RES:.*]] = mesh.shard %[[MM]] to <@mesh_2d, {{\[\[}}0]], partial = sum[1]> : tensor<32x1000x8192xf32>
// CHECK-NEXT:     return %[[RES]] : tensor<32x1000x8192xf32>
// CHECK-NEXT:   }
// CHECK-NEXT: }

module @sharding_test {
  mesh.mesh @mesh_2d(shape = 4x8)
  func.func @matmul_on_operand_shard_batch_and_k(%arg0: tensor<32x1000x4096xf32>, %arg1: tensor<32x4096x8192xf32>) -> tensor<32x1000x8192xf32> {
    %sharding_annotated = mesh.shard %arg0 to <@mesh_2d, [[0], [], [1]]> annotate_for_users : tensor<32x1000x4096xf32>
    %sharding_annotated_0 = mesh.shard %arg1 to <@mesh_2d, [[0], [1]]> annotate_for_users : tensor<32x4096x8192xf32>
    %a_zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %b_zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %0 = tosa.matmul %sharding_annotated, %sharding_annotated_0, %a_zp, %b_zp : (tensor<32x1000x4096xf32>, tensor<32x4096x8192xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<32x1000x8192xf32>
    %sharding_annotated_1 = mesh.shard %0 to <@mesh_2d, [[0]], partial = sum[1]> : tensor<32x1000x8192xf32>
    return %sharding_annotated_1 : tensor<32x1000x8192xf32>
  }
}
