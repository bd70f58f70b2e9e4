// RUN: weft-opt %s --xf-simulate-spmd | FileCheck %s

// Two devices of a row-parallel linear layer and a gathered GELU: the
// arguments are whole again, each device's slices are cut from them, the
// all-reduce is a sum, the all-gather a concatenation, process_index each
// device's constant, and the result device 0's.
// CHECK-LABEL: func.func @two_devices
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x6xf32>) -> tensor<4x6xf32>
// CHECK-NOT: mesh.sharding
// CHECK-DAG: %[[X0:.*]] = tensor.extract_slice %[[X]][0, 0] [4, 4] [1, 1] : tensor<4x8xf32> to tensor<4x4xf32>
// CHECK-DAG: %[[X1:.*]] = tensor.extract_slice %[[X]][0, 4] [4, 4] [1, 1] : tensor<4x8xf32> to tensor<4x4xf32>
// CHECK-DAG: %[[W0:.*]] = tensor.extract_slice %[[W]][0, 0] [4, 6] [1, 1] : tensor<8x6xf32> to tensor<4x6xf32>
// CHECK-DAG: %[[W1:.*]] = tensor.extract_slice %[[W]][4, 0] [4, 6] [1, 1] : tensor<8x6xf32> to tensor<4x6xf32>
// CHECK: %[[Y0:.*]] = xf.linear %[[X0]], %[[W0]]
// CHECK: %[[Y1:.*]] = xf.linear %[[X1]], %[[W1]]
// CHECK: %[[S0:.*]] = xf.add %[[Y0]], %[[Y1]]
// CHECK: %[[S1:.*]] = xf.add %[[Y0]], %[[Y1]]
// CHECK: %[[I0:.*]] = arith.constant 0 : index
// CHECK: %[[I1:.*]] = arith.constant 1 : index
// CHECK: %[[P0:.*]] = tensor.extract_slice %[[S0]][%[[I0]], 0] [2, 6]
// CHECK: %[[P1:.*]] = tensor.extract_slice %[[S1]][%[[I1]], 0] [2, 6]
// CHECK: %[[G0:.*]] = xf.gelu %[[P0]]
// CHECK: %[[G1:.*]] = xf.gelu %[[P1]]
// CHECK: %[[C0:.*]] = xf.concat %[[G0]], %[[G1]] dim = 0
// CHECK: xf.concat %[[G0]], %[[G1]] dim = 0
// CHECK: return %[[C0]] : tensor<4x6xf32>
mesh.mesh @mesh(shape = 2)
func.func @two_devices(%x: tensor<4x4xf32> {mesh.sharding = #mesh.sharding<@mesh, [[], [0]]>},
                       %w: tensor<4x6xf32> {mesh.sharding = #mesh.sharding<@mesh, [[0]]>}) -> tensor<4x6xf32> {
  %y = xf.linear %x, %w : (tensor<4x4xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %s = mesh.all_reduce %y on @mesh mesh_axes = [0] : tensor<4x6xf32> -> tensor<4x6xf32>
  %i = mesh.process_index on @mesh mesh_axes = [0] : index
  %p = tensor.extract_slice %s[%i, 0] [2, 6] [1, 1] : tensor<4x6xf32> to tensor<2x6xf32>
  %g = xf.gelu %p : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %c = mesh.all_gather %g on @mesh mesh_axes = [0] gather_axis = 0 : tensor<2x6xf32> -> tensor<4x6xf32>
  return %c : tensor<4x6xf32>
}
