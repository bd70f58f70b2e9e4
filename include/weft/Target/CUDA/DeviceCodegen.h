//===- DeviceCodegen.h - The device image of a GPU program ------*- C++ -*-===//
//
// Takes the PTX that weft-cuda-pipeline serialized out of the module,
// assembles it for the chip with ptxas, and reports what each kernel uses
// (registers, stack, spills, shared memory), as ptxas states it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_DEVICECODEGEN_H
#define WEFT_TARGET_CUDA_DEVICECODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace weft::cuda {

struct DeviceCodegenOptions {
  std::string chip = "sm_80";
  /// The CUDA toolkit holding bin/ptxas; empty: ptxas from PATH, else
  /// the toolkit this build was configured with.
  std::string cudaPath;
};

/// One kernel of the image as ptxas reports it.
struct KernelResources {
  std::string name;
  int64_t registers = 0;
  int64_t stackBytes = 0;
  int64_t spillStoreBytes = 0;
  int64_t spillLoadBytes = 0;
  int64_t sharedBytes = 0;
  /// Where the kernel is launched from: one location per launch, naming the
  /// model ops that launch computes.
  std::vector<mlir::LocationAttr> launches;
};

struct DeviceImage {
  std::string ptx;
  std::string cubin;
  /// In the order of the module's weft.kernels (the launch indices).
  std::vector<KernelResources> kernels;
};

/// Removes the gpu.binary (and the kernel list) from `module`, leaving host
/// code only, and returns the assembled image. Fails with ptxas's own
/// message when it rejects the PTX.
mlir::FailureOr<DeviceImage> emitDeviceImage(mlir::ModuleOp module,
                                             const DeviceCodegenOptions &options);

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_DEVICECODEGEN_H
