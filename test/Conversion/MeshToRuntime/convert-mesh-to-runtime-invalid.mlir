// RUN: weft-opt %s -split-input-file -verify-diagnostics --convert-mesh-to-runtime

mesh.mesh @mesh(shape = 2)
func.func @unpartitioned(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mesh.shard' op must be partitioned away before lowering collectives (run xf-partition first)}}
  %0 = mesh.shard %x to <@mesh, [[0]]> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

mesh.mesh @mesh(shape = 2)
func.func @bytes(%x: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'mesh.all_reduce' op moves elements of type 'i8', which the runtime's collectives do not support (f16, bf16, f32, f64, i32, i64)}}
  %0 = mesh.all_reduce %x on @mesh mesh_axes = [0] : tensor<4xi8> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

mesh.mesh @mesh(shape = 2)
// expected-error @+1 {{'func.func' op holds mesh ops but is not public; only entry functions receive the collective table}}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mesh.all_reduce %x on @mesh mesh_axes = [0] : tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
