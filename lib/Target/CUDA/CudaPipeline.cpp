//===- CudaPipeline.cpp - xf on tensors to NVVM kernels and host code -----===//
//
// The single definition of the CUDA pipeline, in stages:
//   1-2. as on the CPU: xf → linalg on tensors, collectives, bufferization
//        (the runtime passes device buffers the same way it passes host
//        ones);
//   3. top-level loop nests → gpu.launch (weft-cuda-map-to-gpu), kernels
//      outlined into a gpu.module;
//   4. the gpu.module → NVVM for the chip, serialized to PTX (ptxas turns it
//      into the cubin when the artifact is written);
//   5. host code launches and allocates through the runtime's device table.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/Passes.h"

#include "weft/Target/CPU/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

#ifndef WEFT_CUDA_LIBDEVICE
#define WEFT_CUDA_LIBDEVICE "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"
#endif

bool weft::cuda::isSupportedChip(llvm::StringRef chip) {
  return chip == "sm_80" || chip == "sm_90";
}

void weft::cuda::buildCudaPipeline(OpPassManager &pm,
                                   const CudaPipelineOptions &options) {
  // 1-2. Shared with the CPU.
  cpu::buildXfToLinalgStage(pm, options.attentionBlockQ,
                            options.attentionBlockKv);
  cpu::buildBufferizationStage(pm);

  // 3. Launches, outlined.
  CudaMapToGpuOptions map;
  map.threadsPerBlock = options.threadsPerBlock;
  pm.addNestedPass<func::FuncOp>(createCudaMapToGpu(map));
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCudaMergeKernelModules());

  // 4. NVVM for the chip; PTX 8.0 (CUDA 12.0+) covers sm_80 and sm_90.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = "+ptx80";
  target.optLevel = 3;
  target.linkLibs.push_back(WEFT_CUDA_LIBDEVICE);
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createSCFToControlFlowPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  device.addPass(arith::createArithExpandOpsPass(expand));
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  device.addPass(createConvertGpuOpsToNVVMOps(nvvm));
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
