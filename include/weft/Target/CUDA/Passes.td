//===- Passes.td - CUDA target passes -------------------------*- tablegen -*-===//
//
// Passes specific to generating NVIDIA GPU code.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_PASSES
#define WEFT_TARGET_CUDA_PASSES

include "mlir/Pass/PassBase.td"

def CudaOutlineAttention : Pass<"weft-cuda-outline-attention", "mlir::ModuleOp"> {
  let summary = "Attention ops the tensor-core kernel takes become calls of kernel declarations on buffers";
  let description = [{
    Each `xf.attention` with f16 or bf16 inputs and head dimension 64 or 128
    (queries, keys and values alike) gets the tensor-core FlashAttention
    kernel: this pass decides its tiling and replaces the op by a call of a
    private declaration `@attention_mma_<type>_d<D>[_causal]` on buffers
    (`bufferization.to_buffer` of the operands, a fresh result buffer, the
    causal diagonal as an index), which carries the kernel's configuration
    in `weft.attention_mma = {causal, scale, warps, block_q, block_kv}`.
    Bufferization and deallocation see an opaque call that reads three
    buffers and writes one; `weft-cuda-attention-to-mma` builds the kernel
    in its place after them. Other attention ops stay for
    `xf-lower-attention`.

    Tiling: `warps` warps per block, each owning 16 or 32 of the block's
    `block-q` query rows (default 16: with 32, where each K and V fragment
    serves twice the rows, the kernel at head dimension 64 needs every
    register and spills), `block-kv` keys per block (a multiple of 16).
    Both tiles must divide into 16-byte copies among the block's threads.
  }];
  let options = [
    Option<"warps", "warps", "int64_t", /*default=*/"4",
           "warps per block">,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"0",
           "query rows per block, 16 or 32 per warp (0: 16 per warp)">,
    Option<"blockKv", "block-kv", "int64_t", /*default=*/"64",
           "keys per block, a multiple of 16">,
  ];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect", "mlir::func::FuncDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def CudaAttentionToMma : Pass<"weft-cuda-attention-to-mma", "mlir::ModuleOp"> {
  let summary = "FlashAttention-2 on tensor cores in place of each attention kernel call";
  let description = [{
    Replaces each call of a declaration carrying `weft.attention_mma` (from
    `weft-cuda-outline-attention`) by a `gpu.launch` of the FlashAttention-2
    forward kernel for sm_80+ tensor cores (`mma.sync.m16n8k16`, f16 or
    bf16 in, f32 accumulation), and erases the declarations. The kernel is
    the `xf-lower-attention` loop nest on the hardware:

    * one block of `warps` warps per (query block, head, batch); causal
      query blocks are scheduled longest first;
    * the query tile is copied to shared memory once (`cp.async`) and held
      as A fragments (`ldmatrix`); key and value tiles of `block_kv` rows
      are double-buffered in shared memory, the next block copied while
      the current one is computed; 16-byte chunks are XOR-swizzled by row so
      that neither the copies nor `ldmatrix` conflict on banks;
    * per key block: S = Q·Kᵀ on tensor cores, the online softmax on S's
      accumulator registers (row max and sum across each group of four
      lanes by shuffles, `exp2` with the scale folded in, causal and
      sequence-end masking), P rounded to 16 bits and reused from registers
      as the A operand of O += P·V (V through `ldmatrix.trans`);
    * causal key blocks past the diagonal are never visited (the loop
      nest's rule), grouped-query heads read their shared key/value head,
      rows past a sequence are zero-filled on copy and never stored.

    Shared memory is (block_q + 4·block_kv)·D·2 bytes of dynamic shared
    memory (40 KiB at D = 64, 80 KiB at D = 128 with the default tiling).
    The launch is named after the declaration, so the kernel keeps that
    name in the device image.

    bf16 goes through `nvvm.mma.sync` (and f16 with it, so that both share
    one path): `nvgpu.mma.sync` does not lower bf16.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::gpu::GPUDialect",
    "mlir::LLVM::LLVMDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::NVVM::NVVMDialect",
    "mlir::nvgpu::NVGPUDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
}

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
