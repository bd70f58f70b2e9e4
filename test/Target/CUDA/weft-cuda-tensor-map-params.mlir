// RUN: weft-opt %s --pass-pipeline="builtin.module(gpu.module(weft-cuda-tensor-map-params))" | FileCheck %s --check-prefix=BEFORE
// RUN: weft-opt %s --pass-pipeline="builtin.module(gpu.module(weft-cuda-tensor-map-params, convert-nvgpu-to-nvvm, convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=1}, weft-cuda-tensor-map-params, reconcile-unrealized-casts))" | FileCheck %s --check-prefix=AFTER

// Before the GPU-to-NVVM conversion the kernel's tensor-map argument becomes
// a pointer, its position recorded; its uses see the descriptor through a
// cast. Other arguments and non-kernel functions are left alone.
// BEFORE:      gpu.func @copy(%arg0: memref<64x64xf16, #gpu.address_space<workgroup>>, %[[MAP:.*]]: !llvm.ptr, %arg2: index) kernel attributes {weft.tensor_map_args = array<i64: 1>}
// BEFORE-NEXT:   %[[CAST:.*]] = builtin.unrealized_conversion_cast %[[MAP]] : !llvm.ptr to !nvgpu.tensormap.descriptor
// BEFORE:        nvgpu.tma.prefetch.descriptor %[[CAST]]
// BEFORE:      gpu.func @helper(%arg0: index)
// BEFORE-NOT:  weft.tensor_map_args

// After it, the pointer is a 128-byte, 64-byte-aligned byval grid constant
// that the kernel addresses in place; the record is gone.
// AFTER:       llvm.func @copy(%arg0: !llvm.ptr<3>, %[[MAP:.*]]: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant}, %arg2: i64)
// AFTER-SAME:    attributes {gpu.kernel, nvvm.kernel}
// AFTER:         nvvm.prefetch{{.*}}%[[MAP]]
// AFTER-NOT:   weft.tensor_map_args
!map = !nvgpu.tensormap.descriptor<tensor = memref<64x64xf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @copy(%smem: memref<64x64xf16, #gpu.address_space<workgroup>>, %map: !map, %i: index) kernel {
      nvgpu.tma.prefetch.descriptor %map : !map
      gpu.return
    }
    gpu.func @helper(%i: index) {
      gpu.return
    }
  }
}
