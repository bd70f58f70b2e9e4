//===- CollectiveNccl.cpp - The NCCL collectives back end (plugin) --------===//
//
// libweft_runtime_nccl.so: collectives on CUDA device buffers. Only this
// plugin links libnccl and libcuda (the driver API, as the rest of the
// runtime uses CUDA).
//
// Bootstrap: NCCL needs every member of a communicator to hold the same
// ncclUniqueId. As nccl-tests does, the group's rank 0 creates it and
// broadcasts it over MPI: the NCCL back end owns an MPI back end (the other
// plugin, handed over by the runtime) and forms the MPI group first, then
// the NCCL communicator with the same ranks. A one-device mesh outside
// mpirun needs no exchange and no MPI.
//
// Failures: communicators are created nonblocking (ncclConfig_t::blocking
// = 0) so initialization can be polled; every operation is enqueued on the
// back end's stream and then polled: ncclCommGetAsyncError for errors a
// peer's failure causes, cuStreamQuery for completion, against the same
// deadline as the MPI back end. A failure or timeout aborts the NCCL
// communicators (ncclCommAbort), so no kernel keeps waiting for a dead
// peer, and returns a status with NCCL's own message and the failing call.
//
// Calls are synchronous to the host: each returns when its result is in
// device memory.
//
//===----------------------------------------------------------------------===//

#include "CollectiveBackend.h"

#include <cuda.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sched.h>
#include <thread>
#include <vector>

using namespace weft::runtime;

namespace {

Status cudaError(const char *call, CUresult result) {
  // The driver names its errors; a stub or broken driver may not.
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "CUDA error";
  if (cuGetErrorString(result, &text) != CUDA_SUCCESS || !text)
    text = result == CUDA_ERROR_STUB_LIBRARY
               ? "the CUDA driver library is the toolkit's stub: no driver "
                 "is installed"
               : "no description";
  return error(call, " failed: ", name, " (", static_cast<int>(result),
               "): ", text);
}

Status ncclError(const char *call, ncclResult_t result, ncclComm_t comm) {
  const char *detail = comm ? ncclGetLastError(comm) : nullptr;
  return error(call, " failed: ", ncclGetErrorString(result),
               detail && *detail ? concat(" (", detail, ")") : "");
}

ncclDataType_t ncclType(weft_dtype_t dtype) {
  switch (dtype) {
  case WEFT_DTYPE_F16:
    return ncclFloat16;
  case WEFT_DTYPE_BF16:
    return ncclBfloat16;
  case WEFT_DTYPE_F64:
    return ncclFloat64;
  case WEFT_DTYPE_I32:
    return ncclInt32;
  case WEFT_DTYPE_I64:
    return ncclInt64;
  default:
    return ncclFloat32;
  }
}

ncclRedOp_t ncclOp(weft_reduction_t reduction) {
  switch (reduction) {
  case WEFT_REDUCTION_MAX:
    return ncclMax;
  case WEFT_REDUCTION_MIN:
    return ncclMin;
  case WEFT_REDUCTION_PROD:
    return ncclProd;
  default:
    return ncclSum;
  }
}

/// The rank's index on its node, as the launcher reports it.
int localRank() {
  for (const char *name :
       {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char *value = std::getenv(name); value && *value)
      return std::atoi(value);
  return 0;
}

class NcclBackend;

class NcclGroup final : public CollectiveGroup {
public:
  NcclGroup(NcclBackend &backend, ncclComm_t comm, int rank, int size)
      : backend(backend), comm(comm), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  ncclComm_t get() const { return comm; }

  Status allReduce(const void *send, void *recv, int64_t count,
                   weft_dtype_t dtype, weft_reduction_t reduction) override;
  Status allGather(const void *send, void *recv, int64_t bytes) override;
  Status reduceScatter(const void *send, void *recv, int64_t count,
                       weft_dtype_t dtype, weft_reduction_t reduction) override;
  Status allToAll(const void *send, void *recv, int64_t bytes) override;
  Status broadcast(void *buffer, int64_t bytes, int root) override;

private:
  NcclBackend &backend;
  ncclComm_t comm;
  int rank_;
  int size_;
};

class NcclBackend final : public CollectiveBackend {
public:
  NcclBackend(const CollectiveBackendOptions &options,
              std::unique_ptr<CollectiveBackend> bootstrap)
      : options(options), bootstrap(std::move(bootstrap)) {}

  ~NcclBackend() override {
    for (ncclComm_t comm : comms)
      ncclCommDestroy(comm);
    if (stream)
      cuStreamDestroy(stream);
    if (context)
      cuDevicePrimaryCtxRelease(device);
  }

  Status initialize() {
    if (CUresult r = cuInit(0); r != CUDA_SUCCESS)
      return cudaError("cuInit", r);
    int count = 0;
    if (CUresult r = cuDeviceGetCount(&count); r != CUDA_SUCCESS)
      return cudaError("cuDeviceGetCount", r);
    if (count == 0)
      return error("no CUDA device is visible");
    int ordinal = options.deviceOrdinal >= 0 ? options.deviceOrdinal
                                             : localRank() % count;
    if (ordinal >= count)
      return error("device_ordinal ", ordinal, " is outside [0, ", count,
                   ") (the visible CUDA devices)");
    if (CUresult r = cuDeviceGet(&device, ordinal); r != CUDA_SUCCESS)
      return cudaError("cuDeviceGet", r);
    // NCCL uses the CUDA runtime, which uses the primary context.
    if (CUresult r = cuDevicePrimaryCtxRetain(&context, device);
        r != CUDA_SUCCESS)
      return cudaError("cuDevicePrimaryCtxRetain", r);
    WEFT_RETURN_IF_ERROR(activate());
    if (CUresult r = cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
        r != CUDA_SUCCESS)
      return cudaError("cuStreamCreate", r);
    int pitch = 0;
    cuDeviceGetAttribute(&pitch, CU_DEVICE_ATTRIBUTE_MAX_PITCH, device);
    maxPitch = pitch > 0 ? static_cast<size_t>(pitch) : 0;
    rank_ = bootstrap ? bootstrap->rank() : 0;
    size_ = bootstrap ? bootstrap->size() : 1;
    std::unique_ptr<CollectiveGroup> all;
    WEFT_RETURN_IF_ERROR(createGroup(0, rank_, all));
    world = static_cast<NcclGroup *>(all.get())->get();
    return Status();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Status createGroup(int color, int key,
                     std::unique_ptr<CollectiveGroup> &out) override {
    std::unique_ptr<CollectiveGroup> ids;
    int rank = 0, size = 1;
    if (bootstrap) {
      WEFT_RETURN_IF_ERROR(bootstrap->createGroup(color, key, ids));
      rank = ids->rank();
      size = ids->size();
    }
    ncclUniqueId id;
    if (rank == 0)
      if (ncclResult_t r = ncclGetUniqueId(&id); r != ncclSuccess)
        return ncclError("ncclGetUniqueId", r, nullptr);
    if (ids)
      WEFT_RETURN_IF_ERROR(
          ids->broadcast(&id, sizeof(id), 0)
              .withPrefix("exchanging the NCCL unique id over MPI: "));
    WEFT_RETURN_IF_ERROR(activate());
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm = nullptr;
    ncclResult_t r = ncclCommInitRankConfig(&comm, size, id, rank, &config);
    if (comm)
      comms.push_back(comm);
    WEFT_RETURN_IF_ERROR(complete(comm, r, "ncclCommInitRankConfig",
                                  /*waitForStream=*/false));
    out = std::make_unique<NcclGroup>(*this, comm, rank, size);
    return Status();
  }

  Status send(const void *buffer, int64_t bytes, int peer) override {
    WEFT_RETURN_IF_ERROR(activate());
    return complete(world,
                    ncclSend(buffer, static_cast<size_t>(bytes), ncclInt8, peer,
                             world, stream),
                    "ncclSend");
  }
  Status recv(void *buffer, int64_t bytes, int peer) override {
    WEFT_RETURN_IF_ERROR(activate());
    return complete(world,
                    ncclRecv(buffer, static_cast<size_t>(bytes), ncclInt8, peer,
                             world, stream),
                    "ncclRecv");
  }

  Status allocate(size_t bytes, void **out) override {
    WEFT_RETURN_IF_ERROR(activate());
    CUdeviceptr pointer = 0;
    if (CUresult r = cuMemAlloc(&pointer, bytes ? bytes : 1); r != CUDA_SUCCESS)
      return cudaError("cuMemAlloc", r);
    *out = reinterpret_cast<void *>(pointer);
    return Status();
  }
  void deallocate(void *buffer) override {
    cuCtxSetCurrent(context);
    cuMemFree(reinterpret_cast<CUdeviceptr>(buffer));
  }

  Status copy2D(void *dst, size_t dstPitch, const void *src, size_t srcPitch,
                size_t width, size_t height) override {
    WEFT_RETURN_IF_ERROR(activate());
    // cuMemcpy2D limits pitches to the device's maximum; wider rows go one
    // by one.
    if (height > 1 && (dstPitch > maxPitch || srcPitch > maxPitch)) {
      for (size_t row = 0; row < height; ++row)
        WEFT_RETURN_IF_ERROR(copy2D(
            static_cast<char *>(dst) + row * dstPitch, width,
            static_cast<const char *>(src) + row * srcPitch, width, width, 1));
      return Status();
    }
    CUDA_MEMCPY2D copy = {};
    copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.srcDevice = reinterpret_cast<CUdeviceptr>(src);
    copy.srcPitch = height > 1 ? srcPitch : width;
    copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.dstDevice = reinterpret_cast<CUdeviceptr>(dst);
    copy.dstPitch = height > 1 ? dstPitch : width;
    copy.WidthInBytes = width;
    copy.Height = height;
    if (CUresult r = cuMemcpy2DAsync(&copy, stream); r != CUDA_SUCCESS)
      return cudaError("cuMemcpy2DAsync", r);
    return Status();
  }

  Status synchronize() override {
    WEFT_RETURN_IF_ERROR(activate());
    return complete(nullptr, ncclSuccess, "cuMemcpy2DAsync");
  }

  [[noreturn]] void abort(int exitCode) override {
    abortCommunicators();
    if (bootstrap)
      bootstrap->abort(exitCode);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(exitCode);
  }

  /// After enqueuing `call` (which returned `result`): waits for `comm` to
  /// leave ncclInProgress and, with `waitForStream`, for the stream to
  /// drain, polling NCCL's asynchronous error all along.
  Status complete(ncclComm_t comm, ncclResult_t result, const char *call,
                  bool waitForStream = true) {
    if (result != ncclSuccess && result != ncclInProgress)
      return fail(ncclError(call, result, comm));
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    for (long polls = 0;; ++polls) {
      ncclResult_t state = ncclSuccess;
      if (comm) {
        if (ncclResult_t r = ncclCommGetAsyncError(comm, &state);
            r != ncclSuccess)
          return fail(ncclError("ncclCommGetAsyncError", r, comm));
        if (state != ncclSuccess && state != ncclInProgress)
          return fail(
              ncclError(call, state, comm).withPrefix("asynchronously: "));
      }
      if (state == ncclSuccess) {
        if (!waitForStream)
          return Status();
        CUresult q = cuStreamQuery(stream);
        if (q == CUDA_SUCCESS)
          return Status();
        if (q != CUDA_ERROR_NOT_READY)
          return fail(cudaError("cuStreamQuery", q)
                          .withPrefix(concat("after ", call, ": ")));
      }
      if (polls < 64)
        continue;
      double elapsed =
          std::chrono::duration<double>(Clock::now() - start).count();
      if (elapsed >= options.timeoutSeconds) {
        char seconds[32];
        std::snprintf(seconds, sizeof(seconds), "%.1f", elapsed);
        return fail(error("timed out after ", seconds, " s waiting for ", call,
                          " (timeout ", options.timeoutSeconds, " s from ",
                          options.timeoutSource,
                          "): a rank of the group failed, exited or never "
                          "made the matching call"));
      }
      if (elapsed < 1.0)
        sched_yield();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  CUstream getStream() const { return stream; }
  Status activate() {
    if (CUresult r = cuCtxSetCurrent(context); r != CUDA_SUCCESS)
      return cudaError("cuCtxSetCurrent", r);
    return Status();
  }

private:
  /// Stops every NCCL kernel, which could otherwise spin on a dead peer.
  void abortCommunicators() {
    for (ncclComm_t comm : comms)
      ncclCommAbort(comm);
    comms.clear();
  }

  Status fail(Status status) {
    abortCommunicators();
    return status;
  }

  CollectiveBackendOptions options;
  std::unique_ptr<CollectiveBackend> bootstrap;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  size_t maxPitch = 0;
  ncclComm_t world = nullptr;
  // Every communicator, the world's and the groups': the back end owns
  // them (groups only borrow) so that abort reaches all.
  std::vector<ncclComm_t> comms;
  int rank_ = 0;
  int size_ = 1;
};

Status NcclGroup::allReduce(const void *send, void *recv, int64_t count,
                            weft_dtype_t dtype, weft_reduction_t reduction) {
  WEFT_RETURN_IF_ERROR(backend.activate());
  return backend.complete(comm,
                          ncclAllReduce(send, recv, static_cast<size_t>(count),
                                        ncclType(dtype), ncclOp(reduction),
                                        comm, backend.getStream()),
                          "ncclAllReduce");
}

Status NcclGroup::allGather(const void *send, void *recv, int64_t bytes) {
  WEFT_RETURN_IF_ERROR(backend.activate());
  return backend.complete(comm,
                          ncclAllGather(send, recv, static_cast<size_t>(bytes),
                                        ncclInt8, comm, backend.getStream()),
                          "ncclAllGather");
}

Status NcclGroup::reduceScatter(const void *send, void *recv, int64_t count,
                                weft_dtype_t dtype,
                                weft_reduction_t reduction) {
  WEFT_RETURN_IF_ERROR(backend.activate());
  return backend.complete(
      comm,
      ncclReduceScatter(send, recv, static_cast<size_t>(count), ncclType(dtype),
                        ncclOp(reduction), comm, backend.getStream()),
      "ncclReduceScatter");
}

Status NcclGroup::allToAll(const void *send, void *recv, int64_t bytes) {
  // Grouped sends and receives: ncclAlltoAll exists only from NCCL 2.28.
  WEFT_RETURN_IF_ERROR(backend.activate());
  const size_t block = static_cast<size_t>(bytes);
  ncclResult_t result = ncclGroupStart();
  for (int peer = 0; peer < size_ && result == ncclSuccess; ++peer) {
    result = ncclSend(static_cast<const char *>(send) + peer * block, block,
                      ncclInt8, peer, comm, backend.getStream());
    if (result == ncclSuccess)
      result = ncclRecv(static_cast<char *>(recv) + peer * block, block,
                        ncclInt8, peer, comm, backend.getStream());
  }
  ncclResult_t ended = ncclGroupEnd();
  return backend.complete(comm, result != ncclSuccess ? result : ended,
                          "ncclSend/ncclRecv (all_to_all)");
}

Status NcclGroup::broadcast(void *buffer, int64_t bytes, int root) {
  WEFT_RETURN_IF_ERROR(backend.activate());
  return backend.complete(comm,
                          ncclBroadcast(buffer, buffer,
                                        static_cast<size_t>(bytes), ncclInt8,
                                        root, comm, backend.getStream()),
                          "ncclBroadcast");
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) int
weft_collective_plugin_abi_version() {
  return kCollectivePluginAbiVersion;
}

__attribute__((visibility("default"))) weft_status_t
weft_collective_plugin_create(const CollectiveBackendOptions *options,
                              CollectiveBackend *bootstrap,
                              CollectiveBackend **out) {
  auto backend = std::make_unique<NcclBackend>(
      *options, std::unique_ptr<CollectiveBackend>(bootstrap));
  if (Status s = backend->initialize(); !s.ok())
    return std::move(s).withPrefix("NCCL back end: ").release();
  *out = backend.release();
  return nullptr;
}

} // extern "C"
