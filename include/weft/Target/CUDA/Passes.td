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
    `xf-lower-attention`. Ops of one signature and configuration (the
    layers of a model) share one declaration, hence one kernel.

    Tiling: `warps` warps per block (default 4), each owning 16 or 32 of
    the block's `block-q` query rows (default 16: with 32, where each K and
    V fragment serves twice the rows, the kernel at head dimension 64 needs
    every register and spills), `block-kv` keys per block (a multiple of
    16, default 64). Both tiles must divide into 16-byte copies among the
    block's threads.

    With `wgmma` (sm_90) the declarations are
    `@attention_wgmma_<type>_d<D>[_causal]` carrying
    `weft.attention_wgmma`, for `weft-cuda-attention-to-wgmma`: warps come
    in warpgroups of four, each owning 64 query rows (default 8 warps:
    128 rows, at most 256), and `block-kv` is at most 256 (default 128, or
    the keys rounded up to 64 when fewer); the tiles must fit sm_90's 227
    KiB of shared memory per block.
  }];
  let options = [
    Option<"warps", "warps", "int64_t", /*default=*/"0",
           "warps per block (0: 4, or 8 with wgmma)">,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"0",
           "query rows per block, 16 or 32 per warp (0: 16 per warp)">,
    Option<"blockKv", "block-kv", "int64_t", /*default=*/"0",
           "keys per block, a multiple of 16 (0: 64, or 128 with wgmma)">,
    Option<"wgmma", "wgmma", "bool", /*default=*/"false",
           "declare the sm_90 kernel (TMA, warpgroup MMA)">,
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
    `weft-cuda-outline-attention`) by a launch of the FlashAttention-2
    forward kernel for sm_80+ tensor cores (`mma.sync.m16n8k16`, f16 or
    bf16 in, f32 accumulation): each declaration becomes one `gpu.func`
    kernel of that name in the `gpu.module` `@weft_attention_kernels`, each
    call a `gpu.launch_func` of it, and the declarations are erased. The
    kernel is the `xf-lower-attention` loop nest on the hardware:

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
    The kernel declares its block size (`known_block_size`).

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

def CudaAttentionToWgmma : Pass<"weft-cuda-attention-to-wgmma", "mlir::ModuleOp"> {
  let summary = "FlashAttention on Hopper tensor cores (TMA, warpgroup MMA) in place of each sm_90 attention kernel call";
  let description = [{
    Replaces each call of a declaration carrying `weft.attention_wgmma`
    (from `weft-cuda-outline-attention` with `wgmma`) by a launch of the
    FlashAttention forward kernel for sm_90a: each declaration becomes one
    `gpu.func` in `@weft_attention_kernels`, each call a `gpu.launch_func`
    preceded, on the host, by the query, key and value tensor maps
    (`nvgpu.tma.create.descriptor`, boxes of one 64-column panel of
    `block_q` or `block_kv` rows, 128-byte swizzle, zeros outside the
    tensor), which the launch passes after the call's operands. The loop
    nest is `weft-cuda-attention-to-mma`'s; on Hopper:

    * thread 0 issues the tiles as TMA copies (`nvgpu.tma.async.load`), an
      mbarrier per buffer counting their bytes; the query tile once, the
      key and value tiles of each block double-buffered (block k+1
      requested before block k is computed); a block that visits no key
      requests none;
    * tiles lie in shared memory as TMA writes them with 128-byte
      swizzling (64-column panels, 1024-byte aligned), which wgmma reads
      through matrix descriptors;
    * each warpgroup owns 64 query rows: S = Q·Kᵀ is a chain of
      `wgmma.mma_async` m64nBk16 (B = block_kv) over the head dimension
      with both operands in shared memory; the online softmax and masking
      run on S's accumulator registers as in the mma.sync kernel; P,
      rounded to 16 bits, is the A operand of O += P·V from registers
      (inline PTX: NVVM's wgmma op takes A only from shared memory), V is
      read transposed (N-major) from shared memory.

    Shared memory is (block_q + 4·block_kv)·D·2 bytes of tiles, 24 of
    mbarriers and 1024 to align the tiles (161 KiB at D = 128 with the
    default 128 x 128 tiles). The mbarriers live in the dynamic shared
    memory too: a static shared variable could land after the dynamic
    region's symbol, inside the tiles.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::gpu::GPUDialect",
    "mlir::LLVM::LLVMDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::NVVM::NVVMDialect",
    "mlir::nvgpu::NVGPUDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
}

def CudaTensorMapParams : Pass<"weft-cuda-tensor-map-params", "mlir::gpu::GPUModuleOp"> {
  let summary = "Kernels take TMA tensor maps by value, as grid-constant parameters";
  let description = [{
    A TMA copy reads its tensor map (128 bytes, encoded by the host) from
    kernel parameter, constant or global memory. Weft passes each map by
    value: the launch's parameter slot holds the 128 bytes, and the kernel
    addresses its parameter in place, which needs the parameter to be
    `byval` and `nvvm.grid_constant` (otherwise the back end copies it to
    local memory, where TMA cannot read it). The GPU-to-NVVM conversion
    can neither convert a tensor-map argument nor keep those attributes,
    so this pass runs twice around it:

    * on `gpu.func` kernels (before `convert-gpu-to-nvvm`): each
      `!nvgpu.tensormap.descriptor` argument becomes an `!llvm.ptr` (the
      type the descriptor lowers to), its positions recorded in the
      kernel's `weft.tensor_map_args`;
    * on the `llvm.func` kernels it became: those arguments get `llvm.byval
      = !llvm.array<128 x i8>`, `llvm.align = 64` and `nvvm.grid_constant`.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::NVVM::NVVMDialect"];
}

def CudaOutlineLinear : Pass<"weft-cuda-outline-linear", "mlir::ModuleOp"> {
  let summary = "Linear layers the tensor-core GEMM takes, with their epilogues, become calls of kernel declarations on buffers";
  let description = [{
    Each `xf.linear` and `xf.matmul` with f16 or bf16 operands of static
    shape whose K and N are multiples of 8 (every row of both operands then
    starts on a 16-byte boundary, the unit of `cp.async`) gets the
    tensor-core GEMM, together with the elementwise chain it feeds while
    each link is the single user of the value before it, in this order:

    * a bias add: `xf.add` with a row of N elements (`[N]`, `[1, N]`, ...),
      unless the linear layer has a bias of its own;
    * an activation: `xf.gelu` (either approximation) or `xf.silu`;
    * a residual add: `xf.add` with a tensor of the result's shape.

    Product and chain are replaced by a call of a private declaration
    `@linear_mma_<type>[_<step>...]` (`@matmul_mma_...` for `xf.matmul`) on
    buffers: A as `[batch, M, K]` (a linear layer's leading dimensions
    folded into M, batch 1), the right operand as stored (`[batch, K, N]`,
    or `[batch, N, K]` with `transpose_rhs`), the bias as `[N]`, the
    residual and the fresh result buffer as `[batch, M, N]`, each a view of
    its tensor. The declaration carries the configuration in
    `weft.linear_mma = {block_m, block_n, block_k, warps_m, warps_n,
    stages, transpose_rhs, epilogue}`; `epilogue` lists the steps on the
    f32 accumulators, with a `round` wherever the op chain stored an
    intermediate tensor in the element type (the bias of `xf.linear` is
    added before its rounding, a separate bias add after it), so the kernel
    computes what the chain computes. Other products stay for
    `xf-to-linalg`, as does a chain link with a second user.

    Tiling: `block-m` x `block-n` outputs per block, `block-k` deep per
    stage (a multiple of 64: a swizzled tile row holds eight 16-byte
    chunks), `warps-m` x `warps-n` warps each owning a 16-row- and
    16-column-aligned part, `stages` shared-memory stages. The defaults
    (128 x 128 x 64, 2 x 4 warps, 3 stages: 96 KiB of shared memory)
    assemble without spilling for sm_80 and sm_90.

    Before:
    ```mlir
    %h = xf.linear %x, %w, %b : (tensor<2x64x768xf16>, tensor<768x3072xf16>, tensor<3072xf16>) -> tensor<2x64x3072xf16>
    %g = xf.gelu %h approximate = tanh : (tensor<2x64x3072xf16>) -> tensor<2x64x3072xf16>
    ```
    After:
    ```mlir
    %a = bufferization.to_buffer %x2 read_only : tensor<1x128x768xf16> to memref<1x128x768xf16>
    %w3 = bufferization.to_buffer %wv read_only : tensor<1x768x3072xf16> to memref<1x768x3072xf16>
    %bias = bufferization.to_buffer %b read_only : tensor<3072xf16> to memref<3072xf16>
    %out = memref.alloc() : memref<1x128x3072xf16>
    call @linear_mma_f16_bias_gelu_tanh(%a, %w3, %bias, %out) : (...) -> ()
    %t = bufferization.to_tensor %out restrict writable : memref<1x128x3072xf16> to tensor<1x128x3072xf16>
    %g = tensor.expand_shape ... : tensor<2x64x3072xf16>
    ...
    func.func private @linear_mma_f16_bias_gelu_tanh(memref<1x128x768xf16>, memref<1x768x3072xf16>, memref<3072xf16>, memref<1x128x3072xf16>)
        attributes {weft.linear_mma = {block_k = 64 : i64, block_m = 128 : i64, block_n = 128 : i64,
                    epilogue = ["bias", "round", "gelu_tanh"], stages = 3 : i64,
                    transpose_rhs = false, warps_m = 2 : i64, warps_n = 4 : i64}}
    ```
  }];
  let options = [
    Option<"blockM", "block-m", "int64_t", /*default=*/"128",
           "output rows per block">,
    Option<"blockN", "block-n", "int64_t", /*default=*/"128",
           "output columns per block">,
    Option<"blockK", "block-k", "int64_t", /*default=*/"64",
           "reduction depth per pipeline stage, a multiple of 64">,
    Option<"warpsM", "warps-m", "int64_t", /*default=*/"2",
           "warps along the block's rows">,
    Option<"warpsN", "warps-n", "int64_t", /*default=*/"4",
           "warps along the block's columns">,
    Option<"stages", "stages", "int64_t", /*default=*/"3",
           "shared-memory stages of the copy pipeline over K (at least 2)">,
  ];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect", "mlir::func::FuncDialect",
    "mlir::memref::MemRefDialect", "mlir::tensor::TensorDialect"
  ];
}

def CudaLinearToMma : Pass<"weft-cuda-linear-to-mma", "mlir::ModuleOp"> {
  let summary = "A tiled tensor-core GEMM with its epilogue in place of each linear kernel call";
  let description = [{
    Replaces each call of a declaration carrying `weft.linear_mma` (from
    `weft-cuda-outline-linear`) by a launch of a tiled GEMM for sm_80+
    tensor cores (`mma.sync.m16n8k16`, f16 or bf16 in, f32 accumulation):
    each declaration becomes one `gpu.func` kernel of that name in the
    `gpu.module` `@weft_linear_kernels` (layers of one shape share it), each
    call a `gpu.launch_func` of it, and the declarations are erased:

    * one block of `warps_m · warps_n` warps per (N tile, M tile, batch)
      of `block_m` x `block_n` outputs; each warp owns a
      `block_m / warps_m` x `block_n / warps_n` part as f32 accumulators
      in registers;
    * K is walked in steps of `block_k` through a `stages`-deep pipeline in
      shared memory: A and B tiles are copied with `cp.async` (16-byte
      chunks, XOR-swizzled by row so that neither the copies nor `ldmatrix`
      conflict on banks) `stages - 1` steps ahead of the one computed; one
      barrier per step both publishes a stage and frees the one to refill;
    * A fragments come through `ldmatrix`, B fragments through
      `ldmatrix.trans` from a `[K, N]` weight and through `ldmatrix` from
      an `[N, K]` one (`transpose_rhs`);
    * ragged edges: rows of A past M and columns of B past N are
      zero-filled by `cp.async` with a source size of 0, as are the
      columns (or rows) past K, so a partial last K step adds zeros; output
      rows and columns past M and N are neither computed into memory nor
      stored;
    * the epilogue runs on the accumulators in f32 with the formulas of
      `xf-to-linalg` (bias and residual widened from the element type,
      `erf`/`tanh`/`exp` from libdevice), rounding where `epilogue` says,
      and stores the result rounded to nearest even in the element type.

    Shared memory is `stages · (block_m + block_n) · block_k · 2` bytes of
    dynamic shared memory (96 KiB by default). The kernel declares its
    block size (`known_block_size`).

    Before:
    ```mlir
    call @linear_mma_f16_bias_gelu_tanh(%a, %w, %bias, %out)
        : (memref<1x128x768xf16>, memref<1x768x3072xf16>, memref<3072xf16>, memref<1x128x3072xf16>) -> ()
    ```
    After:
    ```mlir
    gpu.launch_func @weft_linear_kernels::@linear_mma_f16_bias_gelu_tanh
        blocks in (%c24, %c1, %c1) threads in (%c256, %c1, %c1)
        dynamic_shared_memory_size %c98304_i32 args(%a : ..., %w : ..., %bias : ..., %out : ...)
    gpu.module @weft_linear_kernels {
    gpu.func @linear_mma_f16_bias_gelu_tanh(%a: memref<1x128x768xf16>, ...) kernel
        attributes {known_block_size = array<i32: 256, 1, 1>} {
      %smem = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      nvgpu.device_async_copy %a[...], %aTiles[...], 8, %n {bypassL1} : ...
      nvvm.cp.async.commit.group
      %acc:64 = scf.for %kb = %c0 to %c12 step %c1 iter_args(...) {
        nvvm.cp.async.wait.group 1
        gpu.barrier
        ...
        %f = nvgpu.ldmatrix %aTiles[...] {numTiles = 4 : i32, transpose = false} : ...
        %d = nvvm.mma.sync A[...] B[...] C[...] {shape = #nvvm.shape<m = 16, n = 8, k = 16>, ...}
      }
      ... bias, GELU, rounding; vector.store under row/column bounds ...
      gpu.return
    }
    }
    ```
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
    The generic mapping every op of a bufferized entry function gets that
    no dedicated kernel took (f16/bf16 attention and linear layers become
    tensor-core kernels through `weft-cuda-outline-attention` /
    `weft-cuda-outline-linear` and their kernel passes, and reach this pass
    as `gpu.launch_func`s, which it leaves alone):

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
    passed as bare pointers). Each launch is located at the op it runs,
    fused with the locations of the linalg ops nested in it (a fused row
    group's members), so that every kernel names the model ops it computes.

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
      `cuLaunchKernel` takes them; `weft.kernel_locations` gives, in the
      same order, each kernel's launch locations (the model ops it
      computes, for the artifact's kernel report);
    * a host-level `memref.alloc` → `allocate(device, bytes)`, the buffer
      described over the returned pointer; `memref.dealloc` →
      `deallocate(device, pointer)`;
    * `nvgpu.tma.create.descriptor` of a (cast) static row-major buffer →
      `encode_tensor_map(device, map, element type, rank, address, dims,
      byte strides, box, swizzle)` into 128 bytes on the stack, which a
      launch passes by value (its parameter slot is the map itself).

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
