//===- CudaPipeline.cpp - xf on tensors to NVVM kernels and host code -----===//
//
// The single definition of the CUDA pipeline, in stages:
//   0. attention with 16-bit inputs → a call of the tensor-core
//      FlashAttention kernel on buffers (weft-cuda-outline-attention; on
//      sm_90 the Hopper kernel's);
//      16-bit linear layers with their epilogues → a call of the
//      tensor-core GEMM (weft-cuda-outline-linear);
//   1-2. as on the CPU: xf → linalg on tensors, row groups
//        (weft-fuse-rows), collectives, bufferization
//        (the runtime passes device buffers the same way it passes host
//        ones);
//   3. the attention and GEMM kernels (weft-cuda-attention-to-mma or
//      -to-wgmma, weft-cuda-linear-to-mma) and every other
//      top-level loop nest (weft-cuda-map-to-gpu) → gpu.launch, kernels
//      outlined into a gpu.module;
//   4. the gpu.module → NVVM for the chip, serialized to PTX (ptxas turns it
//      into the cubin when the artifact is written);
//   5. host code launches and allocates through the runtime's device table.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Target/CPU/Passes.h"
#include "weft/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/CommandLine.h"

using namespace mlir;

#ifndef WEFT_CUDA_LIBDEVICE
#define WEFT_CUDA_LIBDEVICE "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"
#endif

bool weft::cuda::isSupportedChip(llvm::StringRef chip) {
  return chip == "sm_80" || chip == "sm_90";
}

/// Shared (and local and constant) memory addressed with 32-bit pointers,
/// as those windows are: kernels then keep half the registers for shared
/// addresses. The NVPTX back end takes this as a process-wide option that
/// also sets the data layout it gives the module.
static void useShortSharedPointers() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("nvptx-short-ptr");
  if (it != options.end())
    if (auto *flag = static_cast<llvm::cl::opt<bool> *>(it->second))
      flag->setValue(true);
}

void weft::cuda::buildCudaPipeline(OpPassManager &pm,
                                   const CudaPipelineOptions &options) {
  useShortSharedPointers();
  // 0. Attention on tensor cores where the kernel takes it: a kernel call
  //    on buffers for now, the kernel once buffers are settled.
  //    On sm_90 the kernel is Hopper's (TMA, wgmma: sm_90a code).
  bool wgmma = options.chip == "sm_90" && options.attentionWgmma;
  if (options.tensorCoreAttention) {
    CudaOutlineAttentionOptions attention;
    attention.warps = options.attentionWarps;
    attention.blockQ = options.attentionBlockQ;
    attention.blockKv = options.attentionBlockKv;
    attention.wgmma = wgmma;
    pm.addPass(createCudaOutlineAttention(attention));
  }
  // Linear layers and their epilogues likewise (weft-cuda-outline-linear).
  if (options.tensorCoreLinear)
    pm.addPass(createCudaOutlineLinear());

  // 1-2. Shared with the CPU.
  cpu::buildXfToLinalgStage(
      pm, options.attentionBlockQ ? options.attentionBlockQ : 32,
      options.attentionBlockKv ? options.attentionBlockKv : 16);
  // Each norm or softmax with its neighbours as one loop nest over row
  // tiles (one kernel below); a tile's scratch within the shared memory a
  // block has without opting in.
  if (options.fuseRows) {
    FuseRowsOptions rows;
    rows.maxScratchBytes = 48 * 1024;
    pm.addNestedPass<func::FuncOp>(createFuseRows(rows));
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  }
  cpu::buildBufferizationStage(pm);

  // 3. Launches, outlined.
  pm.addPass(createCudaAttentionToMma());
  pm.addPass(createCudaAttentionToWgmma());
  pm.addPass(createCudaLinearToMma());
  CudaMapToGpuOptions map;
  map.threadsPerBlock = options.threadsPerBlock;
  pm.addNestedPass<func::FuncOp>(createCudaMapToGpu(map));
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  // The canonicalizer hoists constants out of the launches; outlining would
  // make each a kernel parameter (ptxas then divides and shifts by unknown
  // values), so they go back in first.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCudaMergeKernelModules());

  // 4. NVVM for the chip; PTX 8.0 (CUDA 12.0+) covers sm_80 and sm_90(a).
  GpuNVVMAttachTargetOptions target;
  target.chip = wgmma ? std::string("sm_90a") : std::string(options.chip);
  target.features = "+ptx80";
  target.optLevel = 3;
  target.linkLibs.push_back(WEFT_CUDA_LIBDEVICE);
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createSCFToControlFlowPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  device.addPass(arith::createArithExpandOpsPass(expand));
  // Tensor maps around the conversion: pointers for it, by-value
  // grid-constant parameters after it.
  device.addPass(createCudaTensorMapParams());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  device.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  device.addPass(createCudaTensorMapParams());
  device.addPass(createConvertNVVMToLLVMPass());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));

  // 5. Host code: launches and device memory through the device table.
  pm.addPass(createCudaLowerLaunches());
}

void weft::cuda::registerCudaPipeline() {
  PassPipelineRegistration<CudaPipelineOptions>(
      "weft-cuda-pipeline",
      "Lower an xf program on tensors to NVVM kernels (PTX) and the host "
      "code that launches them",
      buildCudaPipeline);
}
