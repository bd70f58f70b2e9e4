//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//
//
// Loading libcuda.so.1 (or $WEFT_CUDA_DRIVER) with dlopen, resolving its
// entry points by their versioned ABI names, and turning its error codes
// into messages.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <cstdlib>
#include <dlfcn.h>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

using namespace weft::runtime;

namespace {

/// Points `slot` at the first of `names` the library exports. Otherwise
/// leaves it null and, for a required entry point (`missing` not null),
/// records the names.
template <typename Fn>
void resolve(void *handle, std::initializer_list<const char *> names, Fn *&slot,
             std::vector<std::string> *missing) {
  slot = nullptr;
  for (const char *name : names)
    if (void *symbol = dlsym(handle, name)) {
      slot = reinterpret_cast<Fn *>(symbol);
      return;
    }
  if (!missing)
    return;
  std::string entry;
  for (const char *name : names)
    entry += entry.empty() ? name : concat(" or ", name);
  missing->push_back(std::move(entry));
}

/// Resolves every entry point of `driver`; the names of required ones the
/// library lacks go to `missing`.
void resolveAll(void *handle, CudaDriver &d,
                std::vector<std::string> &missing) {
  auto *m = &missing;
  resolve(handle, {"cuGetErrorName"}, d.cuGetErrorName, m);
  resolve(handle, {"cuGetErrorString"}, d.cuGetErrorString, m);
  resolve(handle, {"cuInit"}, d.cuInit, m);
  resolve(handle, {"cuDeviceGetCount"}, d.cuDeviceGetCount, m);
  resolve(handle, {"cuDeviceGet"}, d.cuDeviceGet, m);
  resolve(handle, {"cuDeviceGetName"}, d.cuDeviceGetName, m);
  resolve(handle, {"cuDeviceGetAttribute"}, d.cuDeviceGetAttribute, m);
  resolve(handle, {"cuDeviceTotalMem_v2"}, d.cuDeviceTotalMem, m);
  resolve(handle, {"cuDevicePrimaryCtxRetain"}, d.cuDevicePrimaryCtxRetain, m);
  resolve(handle, {"cuDevicePrimaryCtxRelease_v2"}, d.cuDevicePrimaryCtxRelease,
          m);
  resolve(handle, {"cuCtxSetCurrent"}, d.cuCtxSetCurrent, m);
  resolve(handle, {"cuCtxSynchronize"}, d.cuCtxSynchronize, m);
  resolve(handle, {"cuMemAlloc_v2"}, d.cuMemAlloc, m);
  resolve(handle, {"cuMemFree_v2"}, d.cuMemFree, m);
  resolve(handle, {"cuMemcpyHtoDAsync_v2"}, d.cuMemcpyHtoDAsync, m);
  resolve(handle, {"cuMemcpyDtoHAsync_v2"}, d.cuMemcpyDtoHAsync, m);
  resolve(handle, {"cuMemcpyDtoDAsync_v2"}, d.cuMemcpyDtoDAsync, m);
  resolve(handle, {"cuMemsetD8Async"}, d.cuMemsetD8Async, m);
  resolve(handle, {"cuStreamCreate"}, d.cuStreamCreate, m);
  resolve(handle, {"cuStreamDestroy_v2"}, d.cuStreamDestroy, m);
  resolve(handle, {"cuStreamSynchronize"}, d.cuStreamSynchronize, m);
  resolve(handle, {"cuEventCreate"}, d.cuEventCreate, m);
  resolve(handle, {"cuEventDestroy_v2"}, d.cuEventDestroy, m);
  resolve(handle, {"cuEventRecord"}, d.cuEventRecord, m);
  resolve(handle, {"cuEventSynchronize"}, d.cuEventSynchronize, m);
  // CUDA 12.8 added _v2, which CUDA 13's cuda.h maps the name to; older
  // drivers have only the original, with the same signature.
  resolve(handle, {"cuEventElapsedTime_v2", "cuEventElapsedTime"},
          d.cuEventElapsedTime, m);
  resolve(handle, {"cuModuleLoadDataEx"}, d.cuModuleLoadDataEx, m);
  resolve(handle, {"cuModuleUnload"}, d.cuModuleUnload, m);
  resolve(handle, {"cuModuleGetFunction"}, d.cuModuleGetFunction, m);
  resolve(handle, {"cuFuncSetAttribute"}, d.cuFuncSetAttribute, m);
  resolve(handle, {"cuLaunchKernel"}, d.cuLaunchKernel, m);
  resolve(handle, {"cuModuleGetFunctionCount"}, d.cuModuleGetFunctionCount,
          nullptr);
  resolve(handle, {"cuModuleEnumerateFunctions"}, d.cuModuleEnumerateFunctions,
          nullptr);
  resolve(handle, {"cuFuncGetName"}, d.cuFuncGetName, nullptr);
  resolve(handle, {"cuTensorMapEncodeTiled"}, d.cuTensorMapEncodeTiled,
          nullptr);
}

/// Loads and resolves the driver at `path` (`origin` says where the name
/// came from, for messages).
Status openDriver(const std::string &path, const char *origin,
                  std::unique_ptr<CudaDriver> &out) {
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = dlerror();
    return error("no CUDA driver found (", path, origin, ": ",
                 message ? message : "unknown dlopen error", ")");
  }
  auto driver = std::make_unique<CudaDriver>();
  driver->path = path;
  std::vector<std::string> missing;
  resolveAll(handle, *driver, missing);
  if (!missing.empty()) {
    dlclose(handle);
    std::string list;
    for (const std::string &name : missing)
      list += list.empty() ? name : ", " + name;
    return error("the CUDA driver ", path, origin, " lacks ", list,
                 ": it is older than the runtime supports or not a CUDA "
                 "driver");
  }
  out = std::move(driver);
  return Status();
}

} // namespace

Status CudaDriver::error(std::string_view call, CUresult result) const {
  // The toolkit's stub answers every call, cuGetErrorName included, with
  // this code; it is what a build machine without a driver finds when the
  // stub directory is on the library path.
  if (result == kCudaErrorStubLibrary)
    return ::weft::runtime::error(
        call, ": CUDA_ERROR_STUB_LIBRARY (", path,
        " is the CUDA toolkit's stub library: no CUDA driver is installed)");
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(result, &name) != kCudaSuccess || !name)
    return ::weft::runtime::error(call, ": CUDA error ", result,
                                  " (unknown to the driver)");
  if (cuGetErrorString(result, &text) != kCudaSuccess || !text)
    text = "no description";
  return ::weft::runtime::error(call, ": ", name, " (", text, ")");
}

Status weft::runtime::loadCudaDriver(const CudaDriver *&driver) {
  // Drivers stay loaded: devices, modules and streams hold their handles.
  // A failure is not remembered, so a driver installed later is found.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<CudaDriver>> loaded;
  const char *fromEnvironment = std::getenv("WEFT_CUDA_DRIVER");
  bool overridden = fromEnvironment && *fromEnvironment;
  std::string path = overridden ? fromEnvironment : "libcuda.so.1";
  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(path);
  if (it == loaded.end()) {
    std::unique_ptr<CudaDriver> fresh;
    WEFT_RETURN_IF_ERROR(
        openDriver(path, overridden ? " from $WEFT_CUDA_DRIVER" : "", fresh));
    it = loaded.emplace(path, std::move(fresh)).first;
  }
  driver = it->second.get();
  return Status();
}
