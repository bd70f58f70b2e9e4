//===- CudaInvoke.cpp - Running cuda modules on a CUDA device -------------===//
//
// weft_module_invoke_on_device runs a function of a module compiled for
// target cuda on one device, through weft/cuda.h only:
//
//   1. the checks every call makes (prepareCall: target, communicator,
//      tensors against the manifest);
//   2. the kernels, loaded once per (module, device) and cached in the
//      module: the cubin when the device's compute capability is the
//      manifest's chip, else the PTX, which the driver JIT-compiles; every
//      kernel resolved by name in manifest order, its launch index;
//   3. per call, a stream, a device buffer per argument and result, the
//      arguments copied in asynchronously, memref descriptors over the
//      device pointers, and a device table for the entry: launches on the
//      cached kernels, temporaries allocated on the device and freed only
//      once the stream has finished (a queued kernel may still read them),
//      tensor maps encoded by the device's driver;
//   4. the entry between two timing events, a wait for the stream, the
//      table's first failure, the results copied out;
//   5. everything freed on every path, after the stream is idle.
//
// A module with a mesh gets the communicator's collective table with each
// collective first waiting for the call's stream: the NCCL back end runs
// on a stream of its own, so a collective must not start before the
// kernels computing its input have finished. It returns once its result
// is in device memory, which orders it before the kernels queued after.
//
//===----------------------------------------------------------------------===//

#include "Module.h"

#include <limits>
#include <set>

using namespace weft::runtime;

namespace {

/// "CUDA device 0 (sm_80)".
std::string describeDevice(const weft_cuda_device_t *device) {
  int32_t major = 0, minor = 0;
  weft_cuda_device_compute_capability(device, &major, &minor);
  return concat("CUDA device ", weft_cuda_device_ordinal(device), " (sm_",
                major * 10 + minor, ")");
}

/// Loads the module's kernels on `device`: the cubin when the device is
/// the chip it was assembled for, the PTX otherwise.
Status loadImage(const weft_module &module, weft_cuda_device_t *device,
                 DeviceImage &image) {
  const DeviceSpec &spec = module.manifest.device;
  if (spec.kernels.empty())
    return Status();
  int32_t major = 0, minor = 0;
  weft_cuda_device_compute_capability(device, &major, &minor);
  int64_t chip = 0;
  parseChip(spec.chip, chip); // Checked at open.
  image.jit = chip != major * 10 + minor;
  std::string what =
      image.jit
          ? concat("the PTX for ", spec.chip, ", JIT-compiled for ",
                   describeDevice(device))
          : concat("the cubin for ", spec.chip, " on ", describeDevice(device));
  weft_cuda_module_t *loaded = nullptr;
  Status s = Status::adopt(
      image.jit ? weft_cuda_module_load_ptx(device, module.ptx.c_str(), &loaded)
                : weft_cuda_module_load_cubin(device, module.cubin.data(),
                                              module.cubin.size(), &loaded));
  if (!s.ok())
    return std::move(s).withPrefix(concat("loading ", what, ": "));
  image.module.reset(loaded);
  for (size_t i = 0; i < spec.kernels.size(); ++i) {
    weft_cuda_function_t *function = nullptr;
    s = Status::adopt(weft_cuda_module_function(
        loaded, spec.kernels[i].name.c_str(), &function));
    if (!s.ok())
      return std::move(s).withPrefix(
          concat("device.kernels[", i, "] in ", what, ": "));
    image.kernels.push_back(function);
  }
  return Status();
}

/// The module's kernels on `device`, loaded by the first call there. The
/// lock is held while loading, so concurrent first calls load once; a
/// failed load is not kept and the next call tries again.
Status deviceImage(weft_module &module, weft_cuda_device_t *device,
                   const DeviceImage *&out) {
  std::lock_guard<std::mutex> lock(module.imagesMutex);
  auto it = module.images.find(device);
  if (it == module.images.end()) {
    auto image = std::make_unique<DeviceImage>();
    WEFT_RETURN_IF_ERROR(loadImage(module, device, *image));
    it = module.images.emplace(device, std::move(image)).first;
  }
  out = it->second.get();
  return Status();
}

class DeviceCall;

/// The call whose entry is running on this thread, for the collectives,
/// which receive the communicator but not the call.
thread_local DeviceCall *runningCall = nullptr;

/// One call on a device: its stream, buffers, events and temporaries,
/// released on every path once the stream is idle, and the state behind
/// the device table, which keeps the table's first failure. The table is
/// used by the thread running the entry only.
class DeviceCall {
public:
  DeviceCall(weft_cuda_device_t *device, const DeviceImage &image,
             const DeviceSpec &spec)
      : device(device), image(image), spec(spec) {}
  DeviceCall(const DeviceCall &) = delete;
  DeviceCall &operator=(const DeviceCall &) = delete;
  ~DeviceCall();

  /// Steps 3 and 4 for `call`; `outMs`, when not null, receives the
  /// entry's device time on success. Messages are not prefixed.
  Status run(const PreparedCall &call, weft_tensor_t *const *args,
             size_t numArgs, weft_tensor_t *const *results, size_t numResults,
             double *outMs);

  /// Before a collective: waits for the work queued so far. False (the
  /// failure kept) when the stream failed.
  bool waitForStream() {
    return keep(Status::adopt(weft_cuda_stream_synchronize(stream))) == 0;
  }
  /// The communicator's own table.
  const weft_collective_table_t &communicatorTable() const {
    return *collectives;
  }

private:
  static int32_t launch(void *state, int64_t kernel, const int64_t *grid,
                        const int64_t *block, int64_t sharedBytes,
                        void **params);
  static int32_t allocate(void *state, int64_t bytes, void **outBuffer);
  static int32_t deallocate(void *state, void *buffer);
  static int32_t encodeTensorMap(void *state, void *map, int32_t elementType,
                                 int32_t rank, void *address,
                                 const int64_t *dims,
                                 const int64_t *stridesBytes,
                                 const int32_t *box, int32_t swizzleBytes);

  /// Keeps `s` when it is the table's first failure; 0 on success, else 1
  /// (the table's return values).
  int32_t keep(Status s) {
    if (s.ok())
      return 0;
    if (failure.ok())
      failure = std::move(s);
    return 1;
  }
  /// A device buffer for `tensor`, freed with the call.
  Status buffer(const weft_tensor &tensor, uint64_t &out);
  Status launchKernel(int64_t kernel, const int64_t *grid, const int64_t *block,
                      int64_t sharedBytes, void **params);

  weft_cuda_device_t *device;
  const DeviceImage &image;
  const DeviceSpec &spec;
  weft_cuda_stream_t *stream = nullptr;
  weft_cuda_event_t *started = nullptr;
  weft_cuda_event_t *ended = nullptr;
  std::vector<uint64_t> buffers;  // Arguments, then results.
  std::set<uint64_t> temporaries; // Allocated, not yet deallocated.
  std::vector<uint64_t> released; // Deallocated, freed after the stream.
  Status failure;                 // The table's first failure.
  const weft_collective_table_t *collectives = nullptr;
};

/// Collective `Field` of the communicator's table, once the call's stream
/// has finished the work queued before it.
template <typename Function, Function weft_collective_table_t::*Field>
struct AfterStream;
template <typename... Args, int32_t (*weft_collective_table_t::*Field)(Args...)>
struct AfterStream<int32_t (*)(Args...), Field> {
  static int32_t call(Args... args) {
    DeviceCall &running = *runningCall;
    if (!running.waitForStream())
      return 1;
    return (running.communicatorTable().*Field)(args...);
  }
};

#define WEFT_AFTER_STREAM(field)                                               \
  &AfterStream<decltype(weft_collective_table_t::field),                       \
               &weft_collective_table_t::field>::call

/// The communicator's table with every collective ordered after the
/// call's stream.
weft_collective_table_t orderedAfterStream(const weft_collective_table_t &t) {
  weft_collective_table_t ordered = t;
  ordered.all_reduce = WEFT_AFTER_STREAM(all_reduce);
  ordered.all_gather = WEFT_AFTER_STREAM(all_gather);
  ordered.reduce_scatter = WEFT_AFTER_STREAM(reduce_scatter);
  ordered.all_to_all = WEFT_AFTER_STREAM(all_to_all);
  ordered.broadcast = WEFT_AFTER_STREAM(broadcast);
  ordered.send = WEFT_AFTER_STREAM(send);
  ordered.recv = WEFT_AFTER_STREAM(recv);
  return ordered;
}

#undef WEFT_AFTER_STREAM

/// Drops the status of a release during cleanup, which no one could act
/// on any more.
void ignore(weft_status_t status) { weft_status_free(status); }

DeviceCall::~DeviceCall() {
  // Nothing is freed while queued work may still use it.
  if (stream)
    ignore(weft_cuda_stream_synchronize(stream));
  for (const std::vector<uint64_t> *list : {&released, &buffers})
    for (uint64_t ptr : *list)
      ignore(weft_cuda_free(device, ptr));
  // Temporaries the entry never deallocated.
  for (uint64_t ptr : temporaries)
    ignore(weft_cuda_free(device, ptr));
  weft_cuda_event_destroy(started);
  weft_cuda_event_destroy(ended);
  weft_cuda_stream_destroy(stream);
}

Status DeviceCall::buffer(const weft_tensor &tensor, uint64_t &out) {
  WEFT_RETURN_IF_ERROR(
      Status::adopt(weft_cuda_alloc(device, tensor.numBytes, &out)));
  buffers.push_back(out);
  return Status();
}

Status DeviceCall::run(const PreparedCall &call, weft_tensor_t *const *args,
                       size_t numArgs, weft_tensor_t *const *results,
                       size_t numResults, double *outMs) {
  WEFT_RETURN_IF_ERROR(Status::adopt(weft_cuda_stream_create(device, &stream)));
  Descriptors descriptors;
  for (size_t i = 0; i < numArgs; ++i) {
    uint64_t ptr = 0;
    WEFT_RETURN_IF_ERROR(buffer(*args[i], ptr));
    WEFT_RETURN_IF_ERROR(Status::adopt(weft_cuda_copy_to_device_async(
        stream, ptr, args[i]->data, args[i]->numBytes)));
    descriptors.add(*args[i], reinterpret_cast<void *>(ptr));
  }
  for (size_t i = 0; i < numResults; ++i) {
    uint64_t ptr = 0;
    WEFT_RETURN_IF_ERROR(buffer(*results[i], ptr));
    descriptors.add(*results[i], reinterpret_cast<void *>(ptr));
  }
  if (outMs) {
    WEFT_RETURN_IF_ERROR(
        Status::adopt(weft_cuda_event_create(device, &started)));
    WEFT_RETURN_IF_ERROR(Status::adopt(weft_cuda_event_create(device, &ended)));
    WEFT_RETURN_IF_ERROR(
        Status::adopt(weft_cuda_event_record(started, stream)));
  }

  weft_device_table_t table = {WEFT_DEVICE_TABLE_VERSION,
                               sizeof(weft_device_table_t),
                               this,
                               &DeviceCall::launch,
                               &DeviceCall::allocate,
                               &DeviceCall::deallocate,
                               &DeviceCall::encodeTensorMap};
  collectives = call.collectives();
  weft_collective_table_t ordered;
  if (collectives)
    ordered = orderedAfterStream(*collectives);
  DeviceCall *outer = runningCall;
  runningCall = this;
  call.entry(descriptors.build(), collectives ? &ordered : nullptr, &table);
  runningCall = outer;

  Status recorded =
      outMs ? Status::adopt(weft_cuda_event_record(ended, stream)) : Status();
  Status finished = Status::adopt(weft_cuda_stream_synchronize(stream));
  // The table's failure is the cause of any that follows it.
  WEFT_RETURN_IF_ERROR(std::move(failure));
  WEFT_RETURN_IF_ERROR(std::move(finished));
  WEFT_RETURN_IF_ERROR(std::move(recorded));

  for (size_t i = 0; i < numResults; ++i)
    WEFT_RETURN_IF_ERROR(Status::adopt(weft_cuda_copy_to_host_async(
        stream, results[i]->data, buffers[numArgs + i], results[i]->numBytes)));
  WEFT_RETURN_IF_ERROR(Status::adopt(weft_cuda_stream_synchronize(stream)));
  if (outMs) {
    float ms = 0;
    WEFT_RETURN_IF_ERROR(
        Status::adopt(weft_cuda_event_elapsed_ms(started, ended, &ms)));
    *outMs = ms;
  }
  return Status();
}

Status DeviceCall::launchKernel(int64_t kernel, const int64_t *grid,
                                const int64_t *block, int64_t sharedBytes,
                                void **params) {
  const int64_t count = static_cast<int64_t>(image.kernels.size());
  if (kernel < 0 || kernel >= count)
    return error("launch: kernel ", kernel, " is outside the ", count,
                 " kernels of the manifest's device");
  std::string what = concat("launch of kernel ", kernel, " (",
                            quote(spec.kernels[kernel].name), ")");
  if (!grid || !block)
    return error(what, ": the ", grid ? "block" : "grid", " is null");
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  uint32_t grid32[3], block32[3];
  for (int d = 0; d < 3; ++d) {
    if (grid[d] < 1 || grid[d] > kMax || block[d] < 1 || block[d] > kMax)
      return error(what, ": grid ", formatShape(grid, 3), " and block ",
                   formatShape(block, 3), " must be sizes in [1, ", kMax, "]");
    grid32[d] = static_cast<uint32_t>(grid[d]);
    block32[d] = static_cast<uint32_t>(block[d]);
  }
  if (sharedBytes < 0 || sharedBytes > kMax)
    return error(what, ": ", sharedBytes,
                 " bytes of shared memory are outside [0, ", kMax, "]");
  return Status::adopt(weft_cuda_launch(image.kernels[kernel], grid32, block32,
                                        static_cast<uint32_t>(sharedBytes),
                                        stream, params));
}

int32_t DeviceCall::launch(void *state, int64_t kernel, const int64_t *grid,
                           const int64_t *block, int64_t sharedBytes,
                           void **params) {
  auto &call = *static_cast<DeviceCall *>(state);
  // After a failure, later kernels would only read what it left undone.
  if (!call.failure.ok())
    return 1;
  return call.keep(call.launchKernel(kernel, grid, block, sharedBytes, params));
}

int32_t DeviceCall::allocate(void *state, int64_t bytes, void **outBuffer) {
  auto &call = *static_cast<DeviceCall *>(state);
  if (!outBuffer)
    return call.keep(error("allocate: the result pointer is null"));
  *outBuffer = nullptr;
  if (!call.failure.ok())
    return 1;
  if (bytes <= 0)
    return call.keep(
        error("allocate: expected a positive size, found ", bytes, " bytes"));
  uint64_t ptr = 0;
  if (int32_t failed = call.keep(Status::adopt(
          weft_cuda_alloc(call.device, static_cast<size_t>(bytes), &ptr))))
    return failed;
  call.temporaries.insert(ptr);
  *outBuffer = reinterpret_cast<void *>(ptr);
  return 0;
}

int32_t DeviceCall::deallocate(void *state, void *buffer) {
  auto &call = *static_cast<DeviceCall *>(state);
  if (!buffer) // As free(NULL); also what a failed allocate returned.
    return 0;
  auto it = call.temporaries.find(reinterpret_cast<uint64_t>(buffer));
  if (it == call.temporaries.end())
    return call.keep(error("deallocate: ", buffer,
                           " is not a buffer that allocate returned in this "
                           "call, or was deallocated already"));
  call.released.push_back(*it);
  call.temporaries.erase(it);
  return 0;
}

int32_t DeviceCall::encodeTensorMap(void *state, void *map, int32_t elementType,
                                    int32_t rank, void *address,
                                    const int64_t *dims,
                                    const int64_t *stridesBytes,
                                    const int32_t *box, int32_t swizzleBytes) {
  auto &call = *static_cast<DeviceCall *>(state);
  // Host work that depends on nothing queued: it does not fail fast after
  // an earlier failure, whose status is kept all the same.
  return call.keep(Status::adopt(weft_cuda_tensor_map_encode(
      call.device, map, elementType, rank, reinterpret_cast<uintptr_t>(address),
      dims, stridesBytes, box, swizzleBytes)));
}

Status invokeOnDevice(weft_module &module, size_t fn,
                      weft_cuda_device_t *device, weft_communicator_t *given,
                      weft_tensor_t *const *args, size_t numArgs,
                      weft_tensor_t *const *results, size_t numResults,
                      double *outMs) {
  PreparedCall call;
  WEFT_RETURN_IF_ERROR(prepareCall(
      module, fn, CallPlace{kCudaTarget, weft_cuda_device_ordinal(device)},
      given, args, numArgs, results, numResults, call));
  const DeviceImage *image = nullptr;
  Status s = deviceImage(module, device, image);
  if (s.ok()) {
    DeviceCall deviceCall(device, *image, module.manifest.device);
    s = deviceCall.run(call, args, numArgs, results, numResults, outMs);
  }
  // Taken whatever happened, so that it is not blamed on a later call.
  Status collectives = call.takeCollectiveStatus();
  if (!s.ok())
    return std::move(s).withPrefix(call.prefix);
  return collectives;
}

} // namespace

extern "C" {

weft_status_t weft_module_invoke_on_device(
    weft_module_t *module, size_t fn, weft_cuda_device_t *device,
    weft_communicator_t *communicator, weft_tensor_t *const *args,
    size_t num_args, weft_tensor_t *const *results, size_t num_results,
    double *out_device_ms) {
  WEFT_CHECK_ARG(module);
  WEFT_CHECK_ARG(device);
  return invokeOnDevice(*module, fn, device, communicator, args, num_args,
                        results, num_results, out_device_ms)
      .release();
}

const char *weft_module_device_image(const weft_module_t *module,
                                     const weft_cuda_device_t *device) {
  std::lock_guard<std::mutex> lock(module->imagesMutex);
  auto it = module->images.find(device);
  if (it == module->images.end() || !it->second->module)
    return nullptr;
  return it->second->jit ? "ptx" : "cubin";
}

} // extern "C"
