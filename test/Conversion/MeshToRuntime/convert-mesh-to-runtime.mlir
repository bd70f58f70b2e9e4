// RUN: weft-opt %s -split-input-file --convert-mesh-to-runtime | FileCheck %s

// A reduction and a gather: each reads its operand as a buffer, allocates
// its result and calls a helper that calls the table entry with the
// communicator, the axes, the dtype (f32 = 2) and the buffers' pointers.
// The table is the function's new last argument; the mesh is gone.
// CHECK-NOT:  mesh.mesh
// CHECK-DAG:  llvm.mlir.global internal constant @[[AXIS1:.*]](dense<1> : tensor<1xi64>)
// CHECK-DAG:  llvm.mlir.global internal constant @[[AXIS0:.*]](dense<0> : tensor<1xi64>)
// CHECK-DAG:  llvm.mlir.global internal constant @[[SHAPE:.*]](dense<[8, 64]> : tensor<2xi64>)
// CHECK-LABEL: func.func @partitioned
// CHECK-SAME:   (%[[X:.*]]: tensor<8x64xf32>, %[[TABLE:.*]]: !llvm.ptr)
// CHECK:        %[[IN:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<8x64xf32> to memref<8x64xf32>
// CHECK:        %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x64xf32>
// CHECK:        call @[[REDUCE:__weft_all_reduce.*]](%[[TABLE]], %[[IN]], %[[OUT]])
// CHECK:        %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:        %[[IN2:.*]] = bufferization.to_buffer %[[R]] read_only
// CHECK:        %[[OUT2:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x64xf32>
// CHECK:        call @[[GATHER:__weft_all_gather.*]](%[[TABLE]], %[[IN2]], %[[OUT2]])
// CHECK:        %[[G:.*]] = bufferization.to_tensor %[[OUT2]] restrict writable
// CHECK:        return %[[G]]
//
// all_reduce(communicator, axes, 1, max = 1, f32 = 2, 512 elements, send, recv)
// CHECK:      func.func private @[[REDUCE]](%[[T:.*]]: !llvm.ptr, %[[A:.*]]: memref<8x64xf32>, %[[B:.*]]: memref<8x64xf32>)
// CHECK-DAG:    %[[MAX:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-DAG:    %[[F32:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK-DAG:    %[[COUNT:.*]] = llvm.mlir.constant(512 : i64) : i64
// CHECK-DAG:    %[[COMM_SLOT:.*]] = llvm.getelementptr %[[T]][8] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-DAG:    %[[COMM:.*]] = llvm.load %[[COMM_SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK-DAG:    %[[AXES:.*]] = llvm.mlir.addressof @[[AXIS1]]
// CHECK-DAG:    %[[FN_SLOT:.*]] = llvm.getelementptr %[[T]][56] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-DAG:    %[[FN:.*]] = llvm.load %[[FN_SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:        llvm.call %[[FN]](%[[COMM]], %[[AXES]], %{{.*}}, %[[MAX]], %[[F32]], %[[COUNT]], %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, i32, i32, i64, !llvm.ptr, !llvm.ptr) -> i32
//
// all_gather(communicator, axes, 1, f32, rank 2, shape, gather dim 0, send, recv)
// CHECK:      func.func private @[[GATHER]]
// CHECK-DAG:    llvm.mlir.addressof @[[AXIS0]]
// CHECK-DAG:    llvm.mlir.addressof @[[SHAPE]]
// CHECK-DAG:    llvm.getelementptr %{{.*}}[64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:        llvm.call %{{.*}} : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, i32, i64, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> i32
mesh.mesh @mesh(shape = 2x2)
func.func @partitioned(%x: tensor<8x64xf32>) -> tensor<16x64xf32> {
  %r = mesh.all_reduce %x on @mesh mesh_axes = [1] reduction = max : tensor<8x64xf32> -> tensor<8x64xf32>
  %g = mesh.all_gather %r on @mesh mesh_axes = [0] gather_axis = 0 : tensor<8x64xf32> -> tensor<16x64xf32>
  return %g : tensor<16x64xf32>
}

// -----

// Two collectives of one signature share a helper; other kinds get theirs.
// The table offsets are those of weft_collective_table_t: reduce_scatter
// 72, all_to_all 80, broadcast 88, send 96, recv 104.
// CHECK-LABEL: func.func @every_kind
// CHECK-COUNT-2: call @__weft_reduce_scatter(
// CHECK:         call @__weft_all_to_all(
// CHECK:         call @__weft_broadcast(
// CHECK:         call @__weft_send(%{{.*}}, %{{.*}}) : (!llvm.ptr, memref<4x8xbf16>) -> ()
// CHECK:         call @__weft_recv(%{{.*}}, %{{.*}}) : (!llvm.ptr, memref<4x8xbf16>) -> ()
// CHECK:      func.func private @__weft_reduce_scatter
// CHECK:        llvm.getelementptr %{{.*}}[72]
// CHECK:        llvm.call {{.*}} : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, i32, i32, i64, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> i32
// CHECK:      func.func private @__weft_all_to_all
// CHECK:        llvm.getelementptr %{{.*}}[80]
// CHECK:        llvm.call {{.*}} : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, i32, i64, !llvm.ptr, i64, i64, !llvm.ptr, !llvm.ptr) -> i32
// CHECK:      func.func private @__weft_broadcast
// CHECK:        llvm.getelementptr %{{.*}}[88]
// CHECK:      func.func private @__weft_send
// bf16 = 1
// CHECK:        llvm.mlir.constant(1 : i32) : i32
// CHECK:        llvm.getelementptr %{{.*}}[96]
// CHECK:        llvm.call {{.*}} : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, !llvm.ptr, i32, i64, !llvm.ptr) -> i32
// CHECK:      func.func private @__weft_recv
// CHECK:        llvm.getelementptr %{{.*}}[104]
mesh.mesh @mesh(shape = 4)
func.func @every_kind(%x: tensor<8x8xf32>, %y: tensor<4x8xbf16>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<32x2xf32>, tensor<4x8xbf16>) {
  %a = mesh.reduce_scatter %x on @mesh mesh_axes = [0] scatter_axis = 0 : tensor<8x8xf32> -> tensor<2x8xf32>
  %b = mesh.reduce_scatter %x on @mesh mesh_axes = [0] scatter_axis = 0 : tensor<8x8xf32> -> tensor<2x8xf32>
  %c = mesh.all_to_all %x on @mesh mesh_axes = [0] split_axis = 1 concat_axis = 0 : tensor<8x8xf32> -> tensor<32x2xf32>
  %d = mesh.broadcast %y on @mesh mesh_axes = [0] root = [0] : tensor<4x8xbf16> -> tensor<4x8xbf16>
  mesh.send %d on @mesh mesh_axes = [0] destination = [1] : tensor<4x8xbf16>
  %e = mesh.recv on @mesh mesh_axes = [0] source = [3] : tensor<4x8xbf16>
  return %a, %b, %c, %e : tensor<2x8xf32>, tensor<2x8xf32>, tensor<32x2xf32>, tensor<4x8xbf16>
}

// -----

// process_index over axes [1, 0] of a 2x3 mesh: coordinates[1] * 2 +
// coordinates[0], read from the table's coordinates (offset 32).
// CHECK-LABEL: func.func @index
// CHECK-SAME:   %[[TABLE:[^:]*]]: !llvm.ptr
// CHECK:        %[[SLOT:.*]] = llvm.getelementptr %[[TABLE]][32] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:        %[[COORDS:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:        %[[P1:.*]] = llvm.getelementptr %[[COORDS]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:        %[[C1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> i64
// CHECK:        %[[S1:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK:        %[[M1:.*]] = llvm.mul %{{.*}}, %[[S1]] : i64
// CHECK:        %[[A1:.*]] = llvm.add %[[M1]], %[[C1]] : i64
// CHECK:        %[[P0:.*]] = llvm.getelementptr %[[COORDS]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:        %[[C0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> i64
// CHECK:        %[[S0:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK:        %[[M0:.*]] = llvm.mul %[[A1]], %[[S0]] : i64
// CHECK:        %[[A0:.*]] = llvm.add %[[M0]], %[[C0]] : i64
// CHECK:        %[[I:.*]] = arith.index_cast %[[A0]] : i64 to index
// CHECK:        tensor.extract_slice %{{.*}}[%[[I]]] [1] [1]
mesh.mesh @mesh(shape = 2x3)
func.func @index(%x: tensor<6xf32>) -> tensor<1xf32> {
  %i = mesh.process_index on @mesh mesh_axes = [1, 0] : index
  %s = tensor.extract_slice %x[%i] [1] [1] : tensor<6xf32> to tensor<1xf32>
  return %s : tensor<1xf32>
}

// -----

// A function without mesh ops keeps its signature.
// CHECK-LABEL: func.func @single(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
mesh.mesh @mesh(shape = 2)
func.func @single(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
