//===- Passes.td - CUDA target passes -------------------------*- tablegen -*-===//
//
// Passes specific to generating NVIDIA GPU code.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_PASSES
#define WEFT_TARGET_CUDA_PASSES

include "mlir/Pass/PassBase.td"

def CudaMapToGpu : Pass<"weft-cuda-map-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Turn the top-level loop nests of a bufferized function into GPU launches";
  let description = [{
    The generic mapping every op of a bufferized entry function gets (the
    attention nest and the linear layers get dedicated kernels later in
    the pipeline when their patterns are recognized):

    * a top-level linalg op becomes parallel loops over its parallel
      dimensions around sequential loops over its reductions (a generic's
      reduction dimensions are first moved innermost), so one GPU thread
      computes one output element;
    * a top-level `scf.forall` (the FlashAttention nest) becomes parallel
      loops too;
    * each top-level `scf.parallel` becomes a `gpu.launch` over its
      iteration space linearized: `threads-per-block` threads per block,
      `ceil(iterations / threads-per-block)` blocks, a bounds check, and the
      indices recovered from the linear one;
    * a body that holds loop nests of its own (a tile, as in the attention
      nest) gets one block per iteration instead, when its threads can
      share the tile: its scratch buffers become shared memory (at most
      48 KiB, used by linalg ops and copies only), each of its linalg ops
      runs strided over the block's threads (reductions sequential within a
      thread) followed by a barrier, and nothing else in it writes memory
      or sits under a condition. Otherwise the tile runs in one thread per
      iteration, its loop nests sequential and its scratch buffers private
      arrays at the kernel's entry (each is freed within one iteration, so
      one array per allocation suffices).

    View-like ops, constants and globals the body uses are sunk into the
    launch so that kernels receive only whole buffers (identity layouts,
    passed as bare pointers).

    Before:
    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<4x64xf32>) outs(%y : memref<4x64xf32>) { ... }
    ```
    After:
    ```mlir
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, ...) threads(%tx, %ty, %tz) in (%sx = %c256, ...) {
      %id = ... %bx * 256 + %tx
      scf.if %id < 256 { %i = %id / 64; %j = %id % 64; ... }
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "int64_t", /*default=*/"256",
           "threads per block of an elementwise kernel">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::gpu::GPUDialect",
    "mlir::linalg::LinalgDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect"
  ];
}


def CudaMergeKernelModules : Pass<"weft-cuda-merge-kernel-modules", "mlir::ModuleOp"> {
  let summary = "Gather every outlined kernel into one gpu.module";
  let description = [{
    Kernel outlining gives each launch its own `gpu.module`; the artifact
    holds one device image (one PTX text, one cubin) per program, so the
    kernels and the symbols they use move into the first module, renamed
    where two modules used the same name, and every `gpu.launch_func`
    follows them.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def CudaLowerLaunches : Pass<"weft-cuda-lower-launches", "mlir::ModuleOp"> {
  let summary = "Host code launches kernels and allocates device memory through the runtime's device table";
  let description = [{
    Every public function gains a first argument,
    the runtime's `weft_device_table_t` (docs/artifact.md, "Entry ABI"),
    and uses it for everything that touches the device:

    * `gpu.launch_func` → `launch(device, kernel, grid, block, shared
      bytes, params)`, where `kernel` indexes the module attribute
      `weft.kernels` (the kernels' names in the device image, recorded in
      the manifest) and `params` points to one slot per kernel argument
      (a buffer's base pointer, an index as i64, a scalar as itself), as
      `cuLaunchKernel` takes them;
    * a host-level `memref.alloc` → `allocate(device, bytes)`, the buffer
      described over the returned pointer; `memref.dealloc` →
      `deallocate(device, pointer)`.

    Statuses are left in the device for the runtime to report when the
    entry returns. Runs after `gpu-module-to-binary`, on host code that
    still uses memrefs.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect"
  ];
}

#endif // WEFT_TARGET_CUDA_PASSES
