// weft-cpu-pipeline: a GPT-2-like block (layer_norm, linear, attention, add, gelu) down to LLVM and OpenMP dialects only, with and without parallel loops.
// RUN: weft-opt %s --weft-cpu-pipeline | FileCheck %s
// RUN: weft-opt %s --weft-cpu-pipeline | FileCheck %s --check-prefix=ONLYLLVM
// RUN: weft-opt %s --weft-cpu-pipeline="parallel=false" | FileCheck %s --check-prefix=SERIAL
// RUN: weft-opt %s --weft-cpu-pipeline="parallel=false" | FileCheck %s --check-prefix=ONLYLLVM

// Nothing above the LLVM level survives, and no runtime helper is called.
// ONLYLLVM-NOT: xf.
// ONLYLLVM-NOT: tensor.
// ONLYLLVM-NOT: linalg.
// ONLYLLVM-NOT: scf.
// ONLYLLVM-NOT: memref.
// ONLYLLVM-NOT: bufferization.
// ONLYLLVM-NOT: affine.
// ONLYLLVM-NOT: arith.
// ONLYLLVM-NOT: math.
// ONLYLLVM-NOT: cf.
// ONLYLLVM-NOT: func.func
// ONLYLLVM-NOT: unrealized_conversion_cast
// ONLYLLVM-NOT: memrefCopy

// The entry takes its results as out-parameters: the C interface returns
// nothing; the loops over rows, heads and query blocks run on OpenMP threads.
// CHECK-LABEL: llvm.func @gpt2_block(
// CHECK: omp.parallel {
// CHECK: omp.wsloop {
// CHECK: omp.loop_nest
// CHECK: llvm.call @expf(
// CHECK: llvm.call @tanhf(
// CHECK-LABEL: llvm.func @_mlir_ciface_gpt2_block(
// CHECK-SAME: %{{[^:]+}}: !llvm.ptr
// CHECK-NOT: ->
// CHECK-SAME: ) attributes {llvm.emit_c_interface} {
// CHECK: llvm.call @gpt2_block(

// parallel=false: the same function, sequential.
// SERIAL-NOT: omp.
// SERIAL: llvm.func @gpt2_block(
// SERIAL-NOT: omp.
// SERIAL: llvm.call @expf(
// SERIAL-NOT: omp.
// SERIAL: llvm.func @_mlir_ciface_gpt2_block(
// SERIAL-NOT: omp.
func.func @gpt2_block(%x: tensor<1x32x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>,
                      %wqkv: tensor<64x192xf32>, %bqkv: tensor<192xf32>,
                      %wfc: tensor<64x256xf32>, %bfc: tensor<256xf32>)
    -> (tensor<1x32x64xf32>, tensor<1x32x256xf32>) {
  %h = xf.layer_norm %x, %g, %b epsilon = 1.0e-05
      : (tensor<1x32x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x32x64xf32>
  %qkv = xf.linear %h, %wqkv, %bqkv
      : (tensor<1x32x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<1x32x192xf32>
  %q, %k, %v = xf.split %qkv dim = 2
      : tensor<1x32x192xf32> -> tensor<1x32x64xf32>, tensor<1x32x64xf32>, tensor<1x32x64xf32>
  %q4 = xf.reshape %q : tensor<1x32x64xf32> -> tensor<1x32x4x16xf32>
  %k4 = xf.reshape %k : tensor<1x32x64xf32> -> tensor<1x32x4x16xf32>
  %v4 = xf.reshape %v : tensor<1x32x64xf32> -> tensor<1x32x4x16xf32>
  %a = xf.attention %q4, %k4, %v4 causal
      : (tensor<1x32x4x16xf32>, tensor<1x32x4x16xf32>, tensor<1x32x4x16xf32>) -> tensor<1x32x4x16xf32>
  %a3 = xf.reshape %a : tensor<1x32x4x16xf32> -> tensor<1x32x64xf32>
  %r = xf.add %x, %a3 : (tensor<1x32x64xf32>, tensor<1x32x64xf32>) -> tensor<1x32x64xf32>
  %fc = xf.linear %r, %wfc, %bfc
      : (tensor<1x32x64xf32>, tensor<64x256xf32>, tensor<256xf32>) -> tensor<1x32x256xf32>
  %act = xf.gelu %fc approximate = tanh : (tensor<1x32x256xf32>) -> tensor<1x32x256xf32>
  return %r, %act : tensor<1x32x64xf32>, tensor<1x32x256xf32>
}
