// RUN: weft-opt %s --weft-cuda-pipeline="chip=sm_90" | FileCheck %s
// RUN: weft-opt %s --weft-cuda-pipeline="chip=sm_90 attention-wgmma=false" | FileCheck %s --check-prefix=PLAIN

// A linear layer with GELU: three kernels (zero fill, contraction, GELU),
// all in one device image of PTX for sm_90a (sm_90 with its arch-specific
// instructions, which the Hopper attention kernel uses; plain sm_90 when
// that kernel is off); the host function takes the
// device table first and launches each kernel through its `launch` entry
// (offset 16), passing the device (offset 8), the kernel's index in
// weft.kernels, grid and block, no shared memory, and one slot per
// kernel argument. Each kernel's launch locations (one launch each) are
// kept for the kernel report.
// CHECK:      module attributes {gpu.container_module, weft.kernel_locations = {{\[}}[#{{[^]]+}}], [#{{[^]]+}}], [#{{[^]]+}}]], weft.kernels = ["f_kernel", "f_kernel_0", "f_kernel_1"]}
// CHECK-LABEL: func.func @f(
// CHECK-SAME:   %[[TABLE:[^:]*]]: !llvm.ptr, %{{.*}}: memref<4x300xf32>, %{{.*}}: memref<300x64xf32>, %{{.*}}: memref<4x64xf32>)
// CHECK-NOT:  gpu.launch_func
// CHECK:      %[[DEVICE_SLOT:.*]] = llvm.getelementptr %[[TABLE]][8] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:      %[[DEVICE:.*]] = llvm.load %[[DEVICE_SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:      %[[LAUNCH_SLOT:.*]] = llvm.getelementptr %[[TABLE]][16] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:      %[[LAUNCH:.*]] = llvm.load %[[LAUNCH_SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:      llvm.call %[[LAUNCH]](%[[DEVICE]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr, i64, !llvm.ptr) -> i32
// CHECK-COUNT-2: llvm.call %{{.*}} : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr, i64, !llvm.ptr) -> i32
// CHECK:      gpu.binary @f_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80"
// CHECK-SAME: assembly = "{{.*}}.target sm_90a{{.*}}.entry f_kernel({{.*}}.entry f_kernel_0({{.*}}.entry f_kernel_1(
// PLAIN:      gpu.binary @f_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80"
// CHECK-NOT:  gpu.binary
func.func @f(%x: tensor<4x300xf32>, %w: tensor<300x64xf32>) -> tensor<4x64xf32> {
  %y = xf.linear %x, %w : (tensor<4x300xf32>, tensor<300x64xf32>) -> tensor<4x64xf32>
  %g = xf.gelu %y : (tensor<4x64xf32>) -> tensor<4x64xf32>
  return %g : tensor<4x64xf32>
}
