//===- CollectiveMpi.cpp - The MPI collectives back end (plugin) ----------===//
//
// libweft_runtime_mpi.so: collectives on host buffers between the processes
// of an mpirun job, one per device. Only this plugin links libmpi.
//
// No call may wait for ever: a rank that died or never arrives would hang
// the others in a blocking MPI call, and MPI offers no timeout. So every
// operation is the nonblocking MPI_I* form, polled with MPI_Test against a
// deadline; even the blocking MPI_Comm_split is preceded by a polled
// MPI_Ibarrier, so that it starts only once every rank has arrived. A
// timeout returns a status; weft_communicator_abort then ends the job.
//
// f16 and bf16 have no MPI type. They are converted to f32, reduced in f32
// and rounded once on the way back, which is also more accurate than any
// 16-bit pairwise reduction.
//
//===----------------------------------------------------------------------===//

#include "CollectiveBackend.h"
#include "Float16.h"

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sched.h>
#include <thread>
#include <vector>

using namespace weft::runtime;

namespace {

/// Any failure in this process. MPI_Finalize at exit is then skipped: it
/// would wait for ranks that will not come, and mpirun ends a job whose
/// rank exits unfinalized anyway.
std::atomic<bool> anyFailure{false};

/// Matches the point-to-point messages of the runtime and nothing else on
/// its duplicate of MPI_COMM_WORLD.
constexpr int kTag = 0x5746;

void finalizeAtExit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && !anyFailure.load())
    MPI_Finalize();
}

Status failed(Status status) {
  anyFailure = true;
  return status;
}

Status mpiError(const char *call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    length = std::snprintf(text, sizeof(text), "MPI error code %d", code);
  return failed(error(call, " failed: ", std::string(text, length)));
}

std::string formatSeconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", seconds);
  return text;
}

MPI_Datatype mpiType(weft_dtype_t dtype) {
  switch (dtype) {
  case WEFT_DTYPE_F64:
    return MPI_DOUBLE;
  case WEFT_DTYPE_I32:
    return MPI_INT32_T;
  case WEFT_DTYPE_I64:
    return MPI_INT64_T;
  default: // f32, and f16/bf16 once converted.
    return MPI_FLOAT;
  }
}

MPI_Op mpiOp(weft_reduction_t reduction) {
  switch (reduction) {
  case WEFT_REDUCTION_MAX:
    return MPI_MAX;
  case WEFT_REDUCTION_MIN:
    return MPI_MIN;
  case WEFT_REDUCTION_PROD:
    return MPI_PROD;
  default:
    return MPI_SUM;
  }
}

bool isHalf(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_F16 || dtype == WEFT_DTYPE_BF16;
}

Status checkCount(int64_t count, const char *what) {
  if (count > INT_MAX)
    return error("a message of ", count, " ", what,
                 " exceeds MPI's count limit (2^31 - 1)");
  return Status();
}

/// MPI counts are int: bytes travel in the widest unit dividing them.
Status byteUnits(int64_t bytes, MPI_Datatype &type, int &count) {
  static const struct {
    int64_t size;
    MPI_Datatype type;
  } units[] = {
      {8, MPI_INT64_T}, {4, MPI_INT32_T}, {2, MPI_INT16_T}, {1, MPI_BYTE}};
  for (const auto &unit : units) {
    if (bytes % unit.size)
      continue;
    WEFT_RETURN_IF_ERROR(checkCount(bytes / unit.size, "units"));
    type = unit.type;
    count = static_cast<int>(bytes / unit.size);
    return Status();
  }
  return Status(); // Unreachable: 1 divides everything.
}

/// f16/bf16 buffers converted to f32. Freed unless a wait failed: MPI may
/// then still write into them, so they stay allocated (and reachable) until
/// the process ends.
class FloatBuffer {
public:
  explicit FloatBuffer(int64_t count) : data(new float[count ? count : 1]) {}
  FloatBuffer(const FloatBuffer &) = delete;
  FloatBuffer &operator=(const FloatBuffer &) = delete;
  ~FloatBuffer() {
    if (!anyFailure.load()) {
      delete[] data;
      return;
    }
    static std::mutex mutex;
    static auto *kept = new std::vector<float *>(); // Never destroyed.
    std::lock_guard<std::mutex> lock(mutex);
    kept->push_back(data);
  }
  float *get() { return data; }

private:
  float *data;
};

void toFloat(weft_dtype_t dtype, const void *source, float *out,
             int64_t count) {
  const auto *bits = static_cast<const uint16_t *>(source);
  for (int64_t i = 0; i < count; ++i)
    out[i] =
        static_cast<float>(dtype == WEFT_DTYPE_F16 ? halfToDouble(bits[i])
                                                   : bfloat16ToDouble(bits[i]));
}

/// Rounds once: float to double is exact.
void fromFloat(weft_dtype_t dtype, const float *values, void *out,
               int64_t count) {
  auto *bits = static_cast<uint16_t *>(out);
  for (int64_t i = 0; i < count; ++i)
    bits[i] = dtype == WEFT_DTYPE_F16 ? doubleToHalf(values[i])
                                      : doubleToBFloat16(values[i]);
}

/// Polls `request` until it completes or the timeout passes. Spins first
/// (latency), then yields (ranks may share cores), and after a second
/// sleeps between polls so a rank waiting for a dead one does not burn a
/// core. Open MPI progresses only inside MPI calls, so the poll continues
/// throughout.
Status wait(MPI_Request &request, const char *call,
            const CollectiveBackendOptions &options,
            MPI_Status *status = MPI_STATUS_IGNORE) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  for (long polls = 0;; ++polls) {
    int done = 0;
    if (int rc = MPI_Test(&request, &done, status); rc != MPI_SUCCESS)
      return mpiError(call, rc);
    if (done)
      return Status();
    if (polls < 64)
      continue;
    double elapsed =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed >= options.timeoutSeconds)
      return failed(error("timed out after ", formatSeconds(elapsed),
                          " s waiting for ", call, " (timeout ",
                          options.timeoutSeconds, " s from ",
                          options.timeoutSource,
                          "): a rank of the group failed, exited or never "
                          "made the matching call"));
    if (elapsed < 1.0)
      sched_yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

/// Starts a nonblocking call (`start` returns its MPI code) and waits.
template <typename Start>
Status startAndWait(const char *call, const CollectiveBackendOptions &options,
                    Start &&start) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (int rc = start(&request); rc != MPI_SUCCESS)
    return mpiError(call, rc);
  return wait(request, call, options);
}

class MpiGroup final : public CollectiveGroup {
public:
  MpiGroup(MPI_Comm comm, const CollectiveBackendOptions &options)
      : comm(comm), options(options) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
  }
  ~MpiGroup() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
      MPI_Comm_free(&comm);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Status allReduce(const void *send, void *recv, int64_t count,
                   weft_dtype_t dtype, weft_reduction_t reduction) override {
    WEFT_RETURN_IF_ERROR(checkCount(count, "elements"));
    const int n = static_cast<int>(count);
    if (isHalf(dtype)) {
      FloatBuffer values(count);
      toFloat(dtype, send, values.get(), count);
      WEFT_RETURN_IF_ERROR(
          startAndWait("MPI_Iallreduce", options, [&](MPI_Request *r) {
            return MPI_Iallreduce(MPI_IN_PLACE, values.get(), n, MPI_FLOAT,
                                  mpiOp(reduction), comm, r);
          }));
      fromFloat(dtype, values.get(), recv, count);
      return Status();
    }
    return startAndWait("MPI_Iallreduce", options, [&](MPI_Request *r) {
      return MPI_Iallreduce(send == recv ? MPI_IN_PLACE : send, recv, n,
                            mpiType(dtype), mpiOp(reduction), comm, r);
    });
  }

  Status allGather(const void *send, void *recv, int64_t bytes) override {
    MPI_Datatype type;
    int n = 0;
    WEFT_RETURN_IF_ERROR(byteUnits(bytes, type, n));
    return startAndWait("MPI_Iallgather", options, [&](MPI_Request *r) {
      return MPI_Iallgather(send, n, type, recv, n, type, comm, r);
    });
  }

  Status reduceScatter(const void *send, void *recv, int64_t count,
                       weft_dtype_t dtype,
                       weft_reduction_t reduction) override {
    WEFT_RETURN_IF_ERROR(checkCount(count, "elements"));
    const int n = static_cast<int>(count);
    if (isHalf(dtype)) {
      FloatBuffer values(count * size_), result(count);
      toFloat(dtype, send, values.get(), count * size_);
      WEFT_RETURN_IF_ERROR(startAndWait(
          "MPI_Ireduce_scatter_block", options, [&](MPI_Request *r) {
            return MPI_Ireduce_scatter_block(values.get(), result.get(), n,
                                             MPI_FLOAT, mpiOp(reduction), comm,
                                             r);
          }));
      fromFloat(dtype, result.get(), recv, count);
      return Status();
    }
    return startAndWait(
        "MPI_Ireduce_scatter_block", options, [&](MPI_Request *r) {
          return MPI_Ireduce_scatter_block(send, recv, n, mpiType(dtype),
                                           mpiOp(reduction), comm, r);
        });
  }

  Status allToAll(const void *send, void *recv, int64_t bytes) override {
    MPI_Datatype type;
    int n = 0;
    WEFT_RETURN_IF_ERROR(byteUnits(bytes, type, n));
    return startAndWait("MPI_Ialltoall", options, [&](MPI_Request *r) {
      return MPI_Ialltoall(send, n, type, recv, n, type, comm, r);
    });
  }

  Status broadcast(void *buffer, int64_t bytes, int root) override {
    MPI_Datatype type;
    int n = 0;
    WEFT_RETURN_IF_ERROR(byteUnits(bytes, type, n));
    return startAndWait("MPI_Ibcast", options, [&](MPI_Request *r) {
      return MPI_Ibcast(buffer, n, type, root, comm, r);
    });
  }

private:
  MPI_Comm comm;
  const CollectiveBackendOptions &options;
  int rank_ = 0;
  int size_ = 1;
};

class MpiBackend final : public HostMemoryBackend {
public:
  static Status create(const CollectiveBackendOptions &options,
                       std::unique_ptr<CollectiveBackend> &out) {
    auto backend = std::unique_ptr<MpiBackend>(new MpiBackend(options));
    WEFT_RETURN_IF_ERROR(backend->initialize());
    out = std::move(backend);
    return Status();
  }

  ~MpiBackend() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && world != MPI_COMM_NULL)
      MPI_Comm_free(&world);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Status createGroup(int color, int key,
                     std::unique_ptr<CollectiveGroup> &out) override {
    // MPI_Comm_split blocks until every rank calls it; make sure they all
    // have, under the timeout, first.
    WEFT_RETURN_IF_ERROR(
        startAndWait("MPI_Ibarrier", options,
                     [&](MPI_Request *r) { return MPI_Ibarrier(world, r); }));
    MPI_Comm comm = MPI_COMM_NULL;
    if (int rc = MPI_Comm_split(world, color, key, &comm); rc != MPI_SUCCESS)
      return mpiError("MPI_Comm_split", rc);
    out = std::make_unique<MpiGroup>(comm, options);
    return Status();
  }

  Status send(const void *buffer, int64_t bytes, int peer) override {
    MPI_Datatype type;
    int n = 0;
    WEFT_RETURN_IF_ERROR(byteUnits(bytes, type, n));
    return startAndWait("MPI_Isend", options, [&](MPI_Request *r) {
      return MPI_Isend(buffer, n, type, peer, kTag, world, r);
    });
  }

  Status recv(void *buffer, int64_t bytes, int peer) override {
    MPI_Datatype type;
    int n = 0;
    WEFT_RETURN_IF_ERROR(byteUnits(bytes, type, n));
    MPI_Request request = MPI_REQUEST_NULL;
    if (int rc = MPI_Irecv(buffer, n, type, peer, kTag, world, &request);
        rc != MPI_SUCCESS)
      return mpiError("MPI_Irecv", rc);
    MPI_Status status;
    WEFT_RETURN_IF_ERROR(wait(request, "MPI_Irecv", options, &status));
    // A longer message fails the wait (MPI_ERR_TRUNCATE); a shorter one
    // would leave the tail of the buffer stale.
    int received = 0, unit = 1;
    MPI_Get_count(&status, type, &received);
    MPI_Type_size(type, &unit);
    if (received != n)
      return failed(error("received ", static_cast<int64_t>(received) * unit,
                          " bytes, expected ", bytes));
    return Status();
  }


  [[noreturn]] void abort(int exitCode) override {
    anyFailure = true;
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode); // MPI_Abort should not return.
  }

private:
  explicit MpiBackend(const CollectiveBackendOptions &options)
      : options(options) {}

  Status initialize() {
    static std::mutex mutex;
    {
      std::lock_guard<std::mutex> lock(mutex);
      int finalized = 0, initialized = 0;
      MPI_Finalized(&finalized);
      if (finalized)
        return error("MPI back end: MPI was already finalized in this "
                     "process");
      MPI_Initialized(&initialized);
      if (!initialized) {
        // Communicators are used by one thread at a time, possibly not
        // the one that created them.
        int provided = 0;
        if (int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED,
                                     &provided);
            rc != MPI_SUCCESS)
          return mpiError("MPI_Init_thread", rc).withPrefix("MPI back end: ");
        std::atexit(finalizeAtExit);
      }
    }
    // Our own communicator, so that the application's errors handler and
    // messages on MPI_COMM_WORLD are left alone; errors come back as codes.
    WEFT_RETURN_IF_ERROR(
        startAndWait("MPI_Comm_idup", options, [&](MPI_Request *r) {
          return MPI_Comm_idup(MPI_COMM_WORLD, &world, r);
        }).withPrefix("MPI back end: "));
    MPI_Comm_set_errhandler(world, MPI_ERRORS_RETURN);
    MPI_Comm_rank(world, &rank_);
    MPI_Comm_size(world, &size_);
    return Status();
  }

  CollectiveBackendOptions options;
  MPI_Comm world = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

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
  std::unique_ptr<CollectiveBackend> unused(bootstrap);
  std::unique_ptr<CollectiveBackend> backend;
  if (Status s = MpiBackend::create(*options, backend); !s.ok())
    return s.release();
  *out = backend.release();
  return nullptr;
}

} // extern "C"
