//===- Module.h - Opened artifacts and the checks before a call -*- C++ -*-===//
//
// The object behind weft_module_t and what both call paths share:
// Module.cpp runs host code on host tensors (weft_module_invoke, _on),
// CudaInvoke.cpp runs it on a CUDA device (weft_module_invoke_on_device).
// Both check a call the same way (prepareCall: the function, its target,
// its communicator, every tensor) and pass the same memref descriptors,
// over host or device buffers.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_MODULE_H
#define WEFT_RUNTIME_SRC_MODULE_H

#include "HostLibrary.h"
#include "Manifest.h"
#include "Tensor.h"

#include "weft/collectives.h"
#include "weft/cuda.h"
#include "weft/device_table.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weft::runtime {

/// `void weft_entry_<name>(void **args, const weft_collective_table_t *,
/// const weft_device_table_t *)`, the ABI of docs/artifact.md: the
/// collective table is null without a mesh, the device table null for
/// target cpu.
using EntryFunction = void (*)(void **, const weft_collective_table_t *,
                               const weft_device_table_t *);

/// The targets this runtime runs.
constexpr const char *kCpuTarget = "cpu";
constexpr const char *kCudaTarget = "cuda";

/// The compute capability a chip name stands for, as major * 10 + minor:
/// "sm_90" and "sm_90a" are 90, "sm_100" is 100. False for anything else.
bool parseChip(const std::string &chip, int64_t &capability);

/// A cuda module's kernels loaded on one device (CudaInvoke.cpp): the
/// cubin when the device is the manifest's chip, else the JIT-compiled PTX.
struct DeviceImage {
  struct Unloader {
    void operator()(weft_cuda_module_t *m) const { weft_cuda_module_unload(m); }
  };
  std::unique_ptr<weft_cuda_module_t, Unloader> module;
  bool jit = false;
  /// Parallel to the manifest's device.kernels: the launch index.
  std::vector<weft_cuda_function_t *> kernels;
};

} // namespace weft::runtime

struct weft_module {
  std::string path;
  std::string manifestText;
  weft::runtime::Manifest manifest;
  weft::runtime::HostLibrary library;
  /// Parallel to manifest.functions.
  std::vector<weft::runtime::EntryFunction> entries;
  /// Target cuda: the ptx section (NUL-terminated here) and the cubin
  /// section, kept for loading on each device the module runs on.
  std::string ptx;
  std::string cubin;
  /// Images loaded so far, one per device handle; unloaded on close, so
  /// every device a module ran on must stay open until it is closed.
  mutable std::mutex imagesMutex;
  std::map<const weft_cuda_device_t *,
           std::unique_ptr<weft::runtime::DeviceImage>>
      images;
};

namespace weft::runtime {

struct CommunicatorDeleter {
  void operator()(weft_communicator_t *c) const {
    weft_communicator_release(c);
  }
};
using CommunicatorPtr =
    std::unique_ptr<weft_communicator_t, CommunicatorDeleter>;

/// Where a call runs, for prepareCall's checks.
struct CallPlace {
  /// kCpuTarget or kCudaTarget: the module's target must be this one.
  const char *target;
  /// The CUDA device's ordinal, for a communicator the runtime creates
  /// itself (a one-device mesh); -1 on the host.
  int32_t deviceOrdinal;
};

/// A call that passed every check, ready for its entry: the function, and
/// the communicator and collective table when the module has a mesh.
class PreparedCall {
public:
  const FunctionSpec *function = nullptr;
  EntryFunction entry = nullptr;
  /// "function 'NAME': ", which every failure of the call starts with.
  std::string prefix;

  /// The table to pass to the entry, null without a mesh.
  const weft_collective_table_t *collectives() const {
    return communicator ? &table : nullptr;
  }
  /// The first failure of the entry's collectives (prefixed), which it
  /// takes out of the communicator; success without a mesh.
  Status takeCollectiveStatus();

private:
  friend Status prepareCall(weft_module &, size_t, const CallPlace &,
                            weft_communicator_t *, weft_tensor_t *const *,
                            size_t, weft_tensor_t *const *, size_t,
                            PreparedCall &);
  CommunicatorPtr owned;
  weft_communicator_t *communicator = nullptr;
  weft_collective_table_t table;
};

/// Everything a call checks before running, in this order: the function
/// index; the module's target against `place`; the communicator (the
/// module's mesh, a back end taking the target's buffers; on a one-device
/// mesh without one, a communicator of its own); the argument and result
/// counts, every tensor's dtype and local shape, aliasing and index
/// bounds; a failure left in the communicator by an earlier caller. Then
/// initializes the collective table. Messages name the function.
Status prepareCall(weft_module &module, size_t fn, const CallPlace &place,
                   weft_communicator_t *given, weft_tensor_t *const *args,
                   size_t numArgs, weft_tensor_t *const *results,
                   size_t numResults, PreparedCall &out);

/// Strided memref descriptors, {allocated, aligned, offset, sizes[r],
/// strides[r]}, all 8-byte fields, for each argument then each result:
/// dense and row-major over `data`, host or device memory.
class Descriptors {
public:
  void add(const weft_tensor &tensor, void *data) {
    values.push_back({data, tensor.rank, tensor.shape});
    words += 3 + 2 * static_cast<size_t>(tensor.rank);
  }

  /// Fills the descriptors and returns the pointer array the entry takes.
  void **build();

private:
  struct Value {
    void *data;
    int64_t rank;
    const int64_t *shape;
  };
  std::vector<Value> values;
  size_t words = 0;
  std::vector<int64_t> storage;
  std::vector<void *> pointers;
};

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_MODULE_H
