//===- CudaDevice.h - The objects behind weft/cuda.h ------------*- C++ -*-===//
//
// The C API's opaque structs, shared by CudaDevice.cpp (devices, memory,
// streams, events) and CudaModule.cpp (modules, launches). Each object
// keeps its device, whose driver and context every call needs.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_CUDADEVICE_H
#define WEFT_RUNTIME_SRC_CUDADEVICE_H

#include "CudaDriver.h"
#include "weft/cuda.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

struct weft_cuda_device {
  const weft::runtime::CudaDriver *driver = nullptr;
  int32_t ordinal = 0;
  weft::runtime::CUdevice device = 0;
  weft::runtime::CUcontext context = nullptr; // retained primary context
  std::string name;
  int32_t major = 0, minor = 0;
  uint64_t totalMemory = 0;
};

struct weft_cuda_stream {
  weft_cuda_device *device;
  weft::runtime::CUstream stream;
};

struct weft_cuda_event {
  weft_cuda_device *device;
  weft::runtime::CUevent event;
};

struct weft_cuda_function {
  weft_cuda_module *module;
  weft::runtime::CUfunction function;
  std::string name;
  /// The dynamic shared memory limit set on the function so far; only
  /// raised, under the lock, so a concurrent launch never sees it lowered.
  std::mutex sharedMutex;
  uint32_t maxDynamicShared = weft::runtime::kCudaDefaultMaxDynamicShared;
};

struct weft_cuda_module {
  weft_cuda_device *device;
  weft::runtime::CUmodule module;
  std::mutex functionsMutex;
  std::map<std::string, std::unique_ptr<weft_cuda_function>> functions;
};

namespace weft::runtime {

/// Makes the device's primary context current on the calling thread, as
/// every driver call after open needs.
Status makeCurrent(const weft_cuda_device &device);

/// Makes the device's context current and makes the driver call
/// `invoke(driver)`, whose failure is reported as `call`'s.
template <typename Invoke>
Status callDriver(const weft_cuda_device &device, const char *call,
                  Invoke invoke) {
  WEFT_RETURN_IF_ERROR(makeCurrent(device));
  if (CUresult r = invoke(*device.driver))
    return device.driver->error(call, r);
  return Status();
}

/// Fails unless `a` and `b` are on the same CUDA device: "<call>: the
/// <aWhat> is on CUDA device 1 but the <bWhat> on CUDA device 0".
Status checkSameDevice(const char *call, const weft_cuda_device &a,
                       const char *aWhat, const weft_cuda_device &b,
                       const char *bWhat);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_CUDADEVICE_H
