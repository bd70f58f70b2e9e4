//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The runtime reaches the GPU through the CUDA driver API (libcuda.so.1,
// installed with the NVIDIA driver) and never links it: the library is
// dlopen()ed on first use, so the same binaries load and run on machines
// without a driver and report its absence as a status. Nothing here comes
// from a CUDA header either: the few types and entry points used are
// declared below, with the values the driver ABI fixes, so the runtime
// builds without the CUDA toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_CUDADRIVER_H
#define WEFT_RUNTIME_SRC_CUDADRIVER_H

#include "Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::runtime {

//===----------------------------------------------------------------------===//
// Driver types, as cuda.h declares them
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = uint64_t;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using cuuint32_t = uint32_t;
using cuuint64_t = uint64_t;
/// Enums travel as int in the driver ABI.
using CUjit_option = int;
using CUdevice_attribute = int;
using CUfunction_attribute = int;
using CUtensorMapDataType = int;
using CUtensorMapInterleave = int;
using CUtensorMapSwizzle = int;
using CUtensorMapL2promotion = int;
using CUtensorMapFloatOOBfill = int;

/// A TMA descriptor: 128 opaque bytes. cuda.h asks the compiler for 128-byte
/// alignment; the driver requires 64 of the address it writes, which is
/// what callers of the runtime promise.
struct CUtensorMap {
  alignas(64) uint64_t opaque[16];
};

constexpr CUresult kCudaSuccess = 0;
constexpr CUresult kCudaErrorNoDevice = 100;
constexpr CUresult kCudaErrorStubLibrary = 34;
constexpr CUdevice_attribute kCudaComputeCapabilityMajor = 75;
constexpr CUdevice_attribute kCudaComputeCapabilityMinor = 76;
constexpr CUfunction_attribute kCudaMaxDynamicSharedSizeBytes = 8;
constexpr CUjit_option kCudaJitErrorLogBuffer = 5;
constexpr CUjit_option kCudaJitErrorLogBufferSizeBytes = 6;
/// Kernels may use this much dynamic shared memory without opting in.
constexpr uint32_t kCudaDefaultMaxDynamicShared = 48 * 1024;
constexpr CUtensorMapDataType kCudaTensorMapFloat16 = 6;
constexpr CUtensorMapDataType kCudaTensorMapFloat32 = 7;
constexpr CUtensorMapDataType kCudaTensorMapBfloat16 = 9;
constexpr CUtensorMapInterleave kCudaTensorMapInterleaveNone = 0;
constexpr CUtensorMapSwizzle kCudaTensorMapSwizzleNone = 0;
constexpr CUtensorMapSwizzle kCudaTensorMapSwizzle32B = 1;
constexpr CUtensorMapSwizzle kCudaTensorMapSwizzle64B = 2;
constexpr CUtensorMapSwizzle kCudaTensorMapSwizzle128B = 3;
constexpr CUtensorMapL2promotion kCudaTensorMapL2Promotion128B = 2;
/// Out-of-bounds elements read as zero (the other mode gives a NaN that
/// FMAs treat as zero).
constexpr CUtensorMapFloatOOBfill kCudaTensorMapFloatOobFillNone = 0;
/// The driver's limits on a tiled tensor map (cuTensorMapEncodeTiled).
constexpr int kCudaTensorMapMaxRank = 5;
constexpr uint32_t kCudaTensorMapMaxBox = 256;

//===----------------------------------------------------------------------===//
// The loaded driver
//===----------------------------------------------------------------------===//

/// The entry points the runtime uses, resolved by their ABI names: where
/// cuda.h maps a name to a versioned symbol (cuMemAlloc to cuMemAlloc_v2),
/// the field holds that symbol. Streams are the legacy default stream's
/// kind, never the per-thread (_ptsz) variants.
struct CudaDriver {
  /// What was dlopen()ed: "libcuda.so.1" or $WEFT_CUDA_DRIVER.
  std::string path;

  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, CUdevice_attribute, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice); // _v2
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice); // _v2
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t); // _v2
  CUresult (*cuMemFree)(CUdeviceptr);            // _v2
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t,
                                CUstream); // _v2
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t,
                                CUstream); // _v2
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t,
                                CUstream); // _v2
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream); // _v2
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent); // _v2
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent); // _v2 or not
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned,
                                 CUjit_option *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, CUfunction_attribute, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  // Optional (drivers since CUDA 12.4): only to list a module's kernels
  // when a name is not found. Null when absent.
  CUresult (*cuModuleGetFunctionCount)(unsigned *, CUmodule);
  CUresult (*cuModuleEnumerateFunctions)(CUfunction *, unsigned, CUmodule);
  CUresult (*cuFuncGetName)(const char **, CUfunction);
  // Optional (drivers since CUDA 12.0): TMA tensor maps, for kernels of
  // compute capability 9.0 and later. Null when absent; only the calls
  // that encode a tensor map fail then.
  CUresult (*cuTensorMapEncodeTiled)(
      CUtensorMap *, CUtensorMapDataType, cuuint32_t rank, void *address,
      const cuuint64_t *dims, const cuuint64_t *strides, const cuuint32_t *box,
      const cuuint32_t *elementStrides, CUtensorMapInterleave,
      CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

  /// The status of a failed call: "<call>: <CUDA_ERROR_NAME> (<the
  /// driver's description>)", with the names the driver gives
  /// (cuGetErrorName, cuGetErrorString). `call` may carry details:
  /// "cuMemAlloc (1024 bytes)".
  Status error(std::string_view call, CUresult result) const;
};

/// The driver named by $WEFT_CUDA_DRIVER (a path, for tests and unusual
/// installs) or else libcuda.so.1, loaded once per name per process and
/// never unloaded. Fails with "no CUDA driver found (<name>: <dlerror>)"
/// when it cannot be loaded, and names the missing entry points when it
/// lacks some (a driver too old, or not a driver). Thread-safe.
Status loadCudaDriver(const CudaDriver *&driver);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_CUDADRIVER_H
