// RUN: weft-opt %s -split-input-file -verify-diagnostics --weft-cuda-lower-launches | FileCheck %s

// A tensor map is encoded by the device table's encode_tensor_map (offset
// 40) into 128 bytes on the stack, 64-byte aligned: f16 (1), rank 4, the
// buffer's address, dims and byte strides innermost first, the box
// innermost first, 128-byte swizzle. The launch passes it by value: its
// parameter slot is the map itself, where a buffer's slot holds a pointer.
// CHECK-LABEL: func.func @encode(
// CHECK-SAME:    %[[TABLE:[^:]*]]: !llvm.ptr, %[[BUF:.*]]: memref<2x300x4x64xf16>)
// CHECK:         %[[MAP:.*]] = llvm.alloca %{{.*}} x i8 {alignment = 64 : i64}
// CHECK:         %[[ENCODE_SLOT:.*]] = llvm.getelementptr %[[TABLE]][40] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:         %[[ENCODE:.*]] = llvm.load %[[ENCODE_SLOT]]
// CHECK:         llvm.call %[[ENCODE]](%{{.*}}, %[[MAP]], %{{.*}}, %{{.*}}, %{{.*}}, %[[DIMS:.*]], %[[STRIDES:.*]], %[[BOX:.*]], %{{.*}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i32, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i32) -> i32
// CHECK:         %[[PARAM1:.*]] = llvm.getelementptr %{{.*}}[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         llvm.store %[[MAP]], %[[PARAM1]]
// CHECK-NOT:     nvgpu.tma.create.descriptor
// CHECK-NOT:     memref.cast
module attributes {gpu.container_module} {
func.func @encode(%buf: memref<2x300x4x64xf16>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %u = memref.cast %buf : memref<2x300x4x64xf16> to memref<*xf16>
  %map = nvgpu.tma.create.descriptor %u box[%c1, %c128, %c1, %c64] : memref<*xf16> -> !nvgpu.tensormap.descriptor<tensor = memref<1x128x1x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>
  gpu.launch_func @kernels::@copy blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) args(%buf : memref<2x300x4x64xf16>, %map : !nvgpu.tensormap.descriptor<tensor = memref<1x128x1x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>)
  return
}
gpu.binary @kernels [#gpu.object<#nvvm.target, "">]
}

// -----

// The arrays the table reads: dims (64, 4, 300, 2), byte strides (128,
// 512, 153600) and box (64, 1, 128, 1).
// CHECK-LABEL: func.func @arrays(
// CHECK:         %[[C64:.*]] = arith.constant 64 : i64
// CHECK-NEXT:    llvm.store %[[C64]]
// CHECK:         %[[C4:.*]] = arith.constant 4 : i64
// CHECK-NEXT:    llvm.store %[[C4]]
// CHECK:         %[[C300:.*]] = arith.constant 300 : i64
// CHECK-NEXT:    llvm.store %[[C300]]
// CHECK:         %[[C2:.*]] = arith.constant 2 : i64
// CHECK-NEXT:    llvm.store %[[C2]]
// CHECK:         %[[S0:.*]] = arith.constant 128 : i64
// CHECK-NEXT:    llvm.store %[[S0]]
// CHECK:         %[[S1:.*]] = arith.constant 512 : i64
// CHECK-NEXT:    llvm.store %[[S1]]
// CHECK:         %[[S2:.*]] = arith.constant 153600 : i64
// CHECK-NEXT:    llvm.store %[[S2]]
// CHECK:         %[[B0:.*]] = arith.constant 64 : i32
// CHECK-NEXT:    llvm.store %[[B0]]
// CHECK:         %[[B1:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    llvm.store %[[B1]]
// CHECK:         %[[B2:.*]] = arith.constant 128 : i32
// CHECK-NEXT:    llvm.store %[[B2]]
module attributes {gpu.container_module} {
func.func @arrays(%buf: memref<2x300x4x64xf16>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %u = memref.cast %buf : memref<2x300x4x64xf16> to memref<*xf16>
  %map = nvgpu.tma.create.descriptor %u box[%c1, %c128, %c1, %c64] : memref<*xf16> -> !nvgpu.tensormap.descriptor<tensor = memref<1x128x1x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>
  gpu.launch_func @kernels::@copy blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) args(%map : !nvgpu.tensormap.descriptor<tensor = memref<1x128x1x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>)
  return
}
gpu.binary @kernels [#gpu.object<#nvvm.target, "">]
}

// -----

module attributes {gpu.container_module} {
func.func @unknown_shape(%u: memref<*xf16>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // expected-error @below {{'nvgpu.tma.create.descriptor' op on the host of a GPU program needs a static, row-major buffer (cast to an unranked memref)}}
  %map = nvgpu.tma.create.descriptor %u box[%c1, %c64] : memref<*xf16> -> !nvgpu.tensormap.descriptor<tensor = memref<1x64xf16, 3>, swizzle = swizzle_128b, l2promo = none, oob = zero, interleave = none>
  gpu.launch_func @kernels::@copy blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%map : !nvgpu.tensormap.descriptor<tensor = memref<1x64xf16, 3>, swizzle = swizzle_128b, l2promo = none, oob = zero, interleave = none>)
  return
}
gpu.binary @kernels [#gpu.object<#nvvm.target, "">]
}

// -----

module attributes {gpu.container_module} {
func.func @other_promotion(%buf: memref<64x64xf16>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %u = memref.cast %buf : memref<64x64xf16> to memref<*xf16>
  // expected-error @below {{'nvgpu.tma.create.descriptor' op tensor maps are encoded without interleaving, with zeros outside the tensor and 128-byte L2 promotion}}
  %map = nvgpu.tma.create.descriptor %u box[%c64, %c64] : memref<*xf16> -> !nvgpu.tensormap.descriptor<tensor = memref<64x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_256b, oob = zero, interleave = none>
  gpu.launch_func @kernels::@copy blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%map : !nvgpu.tensormap.descriptor<tensor = memref<64x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_256b, oob = zero, interleave = none>)
  return
}
gpu.binary @kernels [#gpu.object<#nvvm.target, "">]
}
