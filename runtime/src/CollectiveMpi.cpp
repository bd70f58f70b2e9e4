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
// Large reduce-scatters and all-reduces take a ring of our own over
// nonblocking point to point (MpiGroup::ringReduceScatter), polled like
// everything else: Open MPI 4.1's MPI_Ireduce_scatter_block (libnbc)
// reduces whole buffers before scattering them and runs several times
// slower than a ring from a few hundred KiB on. The thresholds and the
// timings they come from are at kRingReduceScatterBytes.
//
//===----------------------------------------------------------------------===//

#include "CollectiveBackend.h"
#include "Float16.h"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sched.h>
#include <thread>
#include <type_traits>
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
/// The ring collectives' messages, on a group's communicator (which
/// carries no other point to point).
constexpr int kRingTag = 0x5747;

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

/// Memory that MPI may still write into after a failed wait: it stays
/// allocated (and reachable) until the process ends.
void keepForEver(void *data) {
  static std::mutex mutex;
  static auto *kept = new std::vector<void *>(); // Never destroyed.
  std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(data);
}

/// f16/bf16 buffers converted to f32. Freed unless a wait failed.
class FloatBuffer {
public:
  explicit FloatBuffer(int64_t count) : data(new float[count ? count : 1]) {}
  FloatBuffer(const FloatBuffer &) = delete;
  FloatBuffer &operator=(const FloatBuffer &) = delete;
  ~FloatBuffer() {
    if (!anyFailure.load())
      delete[] data;
    else
      keepForEver(data);
  }
  float *get() { return data; }
  char *bytes() { return reinterpret_cast<char *>(data); }

private:
  float *data;
};

/// Scratch a group keeps from call to call (the ring's partial blocks):
/// fresh pages on every call would add a page fault per 4 KiB to every
/// large collective. Freed unless a wait failed, like FloatBuffer.
class GroupScratch {
public:
  GroupScratch() = default;
  GroupScratch(const GroupScratch &) = delete;
  GroupScratch &operator=(const GroupScratch &) = delete;
  ~GroupScratch() { release(); }

  /// At least `bytes` bytes, contents undefined.
  Status reserve(size_t bytes) {
    if (bytes <= capacity)
      return Status();
    release();
    data = static_cast<char *>(std::malloc(bytes));
    if (!data)
      return error("cannot allocate ", bytes,
                   " bytes of scratch memory for a ring collective");
    capacity = bytes;
    return Status();
  }
  char *get() { return data; }

private:
  void release() {
    if (data && anyFailure.load())
      keepForEver(data);
    else
      std::free(data);
    data = nullptr;
    capacity = 0;
  }

  char *data = nullptr;
  size_t capacity = 0;
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

//===----------------------------------------------------------------------===//
// The ring collectives' reductions and settings
//===----------------------------------------------------------------------===//

/// acc[i] = acc[i] op x[i] for `count` elements of non-overlapping buffers.
using ReduceFn = void (*)(void *acc, const void *x, int64_t count);

/// Integer sums and products wrap, as MPI's do on two's complement
/// machines, instead of overflowing into undefined behaviour.
struct Sum {
  template <typename T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }
};
struct Prod {
  template <typename T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    } else {
      return a * b;
    }
  }
};
/// As Open MPI's MPI_MAX and MPI_MIN kernels.
struct Max {
  template <typename T> T operator()(T a, T b) const { return a > b ? a : b; }
};
struct Min {
  template <typename T> T operator()(T a, T b) const { return a < b ? a : b; }
};

template <typename T, typename Op>
void reduceElements(void *acc, const void *x, int64_t count) {
  T *__restrict a = static_cast<T *>(acc);
  const T *__restrict b = static_cast<const T *>(x);
  const Op op;
  for (int64_t i = 0; i < count; ++i)
    a[i] = op(a[i], b[i]);
}

template <typename T> ReduceFn reduceFunction(weft_reduction_t reduction) {
  switch (reduction) {
  case WEFT_REDUCTION_MAX:
    return &reduceElements<T, Max>;
  case WEFT_REDUCTION_MIN:
    return &reduceElements<T, Min>;
  case WEFT_REDUCTION_PROD:
    return &reduceElements<T, Prod>;
  default:
    return &reduceElements<T, Sum>;
  }
}

/// The kernel for the elements the ring moves: f16 and bf16 as f32.
ReduceFn reduceFunction(weft_dtype_t dtype, weft_reduction_t reduction) {
  switch (dtype) {
  case WEFT_DTYPE_F64:
    return reduceFunction<double>(reduction);
  case WEFT_DTYPE_I32:
    return reduceFunction<int32_t>(reduction);
  case WEFT_DTYPE_I64:
    return reduceFunction<int64_t>(reduction);
  default:
    return reduceFunction<float>(reduction);
  }
}

/// Bytes per element the ring moves (f16 and bf16 as f32).
size_t ringElementSize(weft_dtype_t dtype) {
  return isHalf(dtype) ? sizeof(float) : weft_dtype_size(dtype);
}

/// Where the ring takes over, in bytes of the whole buffer (reduce-scatter:
/// the send, all-reduce: the buffer). Measured on the 2-core development
/// machine (Open MPI 4.1.4 over shared memory, launched by `python3 -m
/// weft.mpi`, so without single-copy transfers; f32 sum; median of calls
/// interleaved with Open MPI's in one process, slowest rank, in us; the
/// machine was shared, so single figures move by 10-20% between runs):
///
///                       reduce-scatter           all-reduce
///   ranks  size      Open MPI      ring      Open MPI      ring
///     2    16 KiB        12.8       8.7          15.7      15.6
///     2    64 KiB        32.1      17.1          34.7      28.9
///     2   256 KiB        74.7      46.7          88.2      84.2
///     2     1 MiB         298       153           341       287
///     2     4 MiB        1450       768          1538      1379
///     2    16 MiB       16165      4890          9408      8475
///     2    64 MiB       68532     19966         38571     33987
///     4    16 KiB        64.0      98.3          65.0       115
///     4    64 KiB        91.0       124           123       146
///     4   256 KiB         157       141           258       310
///     4     1 MiB         957       658          1105      1045
///     4     4 MiB        5887      4750          6370      6513
///     4    16 MiB       62738     18231         48806     43428
///     4    64 MiB      228384     72318        282210    165665
///
/// Over repeated runs (ring / Open MPI): reduce-scatter on 2 ranks gains
/// at every size; on 4 ranks 0.89-1.68 at 64 KiB, 0.69-1.07 at 256 KiB,
/// 0.61-0.90 at 512 KiB. All-reduce on 4 ranks loses up to 2x below 1 MiB,
/// 0.82-1.03 at 2 and 4 MiB, 0.77-0.86 at 8 MiB; on 2 ranks it gains
/// 10-15% from 64 KiB on. With Open MPI's default single-copy transfers
/// (CMA, as benchmarks/collectives_cpu.py launches) the ring gains more:
/// at 64 MiB reduce-scatter 84.9 -> 23.3 ms (2 ranks) and 159 -> 71 ms
/// (4), all-reduce 57.5 -> 33.2 ms and 156 -> 85 ms.
constexpr int64_t kRingReduceScatterBytes = 256 << 10;
constexpr int64_t kRingAllReduceBytes = 4 << 20;
/// Blocks move in chunks of this many bytes, so that one chunk's transfer
/// overlaps the reduction of the one before. Within noise from 256 KiB to
/// 4 MiB (windows of 2 to 8 chunks, polling MPI during reductions or not).
constexpr int64_t kRingChunkBytes = 1 << 20;

/// When the ring replaces Open MPI's algorithms, and its chunk size.
struct RingOptions {
  /// Whole buffers of at least this many bytes (the caller's dtype: the
  /// reduce-scatter's send, the all-reduce's buffer) take the ring.
  int64_t reduceScatterBytes = kRingReduceScatterBytes;
  int64_t allReduceBytes = kRingAllReduceBytes;
  int64_t chunkBytes = kRingChunkBytes;
};

/// The defaults, or $WEFT_MPI_RING_THRESHOLD_BYTES (both thresholds; 0
/// sends every reduce-scatter and all-reduce through the ring) and
/// $WEFT_MPI_RING_CHUNK_BYTES (tests: several chunks in small buffers).
/// Every rank must see the same values, as mpirun's environment gives them.
Status readRingOptions(RingOptions &out) {
  auto read = [](const char *name, int64_t minimum, int64_t maximum,
                 const char *expected, int64_t &value) -> Status {
    const char *text = std::getenv(name);
    if (!text || !*text)
      return Status();
    char *end = nullptr;
    errno = 0;
    const long long parsed = std::strtoll(text, &end, 10);
    if (end == text || *end || errno || parsed < minimum || parsed > maximum)
      return error(name, ": expected ", expected, ", found ", quote(text));
    value = parsed;
    return Status();
  };
  int64_t threshold = -1;
  WEFT_RETURN_IF_ERROR(read("WEFT_MPI_RING_THRESHOLD_BYTES", 0, INT64_MAX,
                            "a number of bytes, 0 or more", threshold));
  if (threshold >= 0)
    out.reduceScatterBytes = out.allReduceBytes = threshold;
  // Chunks are counted in bytes, and MPI counts are int.
  return read("WEFT_MPI_RING_CHUNK_BYTES", 1, 1 << 30,
              "a number of bytes from 1 to 2^30", out.chunkBytes);
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
  MpiGroup(MPI_Comm comm, const CollectiveBackendOptions &options,
           const RingOptions &ring)
      : comm(comm), options(options), ring(ring) {
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
    if (count * static_cast<int64_t>(weft_dtype_size(dtype)) >=
        ring.allReduceBytes)
      return ringAllReduce(send, recv, count, dtype, reduction);
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
    if (count * size_ * static_cast<int64_t>(weft_dtype_size(dtype)) >=
        ring.reduceScatterBytes) {
      std::vector<int64_t> offsets(size_ + 1);
      for (int j = 0; j <= size_; ++j)
        offsets[j] = j * count;
      const ReduceFn reduce = reduceFunction(dtype, reduction);
      if (!isHalf(dtype))
        return ringReduceScatter(
            static_cast<const char *>(send), static_cast<char *>(recv), offsets,
            ringElementSize(dtype), reduce, "reduce-scatter");
      FloatBuffer values(count * size_), result(count);
      toFloat(dtype, send, values.get(), count * size_);
      WEFT_RETURN_IF_ERROR(ringReduceScatter(values.bytes(), result.bytes(),
                                             offsets, sizeof(float), reduce,
                                             "reduce-scatter"));
      fromFloat(dtype, result.get(), recv, count);
      return Status();
    }
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
  /// Ring reduce-scatter into this rank's block of the result (blocks as
  /// even as `count` allows), then Open MPI's all-gather of the blocks in
  /// place: as fast as passing them on around the ring ourselves.
  Status ringAllReduce(const void *send, void *recv, int64_t count,
                       weft_dtype_t dtype, weft_reduction_t reduction) {
    std::vector<int64_t> offsets(size_ + 1);
    for (int j = 0; j <= size_; ++j)
      offsets[j] = count * j / size_;
    std::vector<int> counts(size_), displacements(size_);
    for (int j = 0; j < size_; ++j) {
      counts[j] = static_cast<int>(offsets[j + 1] - offsets[j]);
      displacements[j] = static_cast<int>(offsets[j]);
    }
    auto gather = [&](void *buffer, MPI_Datatype type) {
      return startAndWait("MPI_Iallgatherv", options, [&](MPI_Request *r) {
        return MPI_Iallgatherv(MPI_IN_PLACE, 0, type, buffer, counts.data(),
                               displacements.data(), type, comm, r);
      });
    };
    const ReduceFn reduce = reduceFunction(dtype, reduction);
    if (isHalf(dtype)) {
      // In place in the f32 copy.
      FloatBuffer values(count);
      toFloat(dtype, send, values.get(), count);
      WEFT_RETURN_IF_ERROR(ringReduceScatter(
          values.bytes(), values.bytes() + offsets[rank_] * sizeof(float),
          offsets, sizeof(float), reduce, "all-reduce"));
      WEFT_RETURN_IF_ERROR(gather(values.get(), MPI_FLOAT));
      fromFloat(dtype, values.get(), recv, count);
      return Status();
    }
    const size_t size = ringElementSize(dtype);
    WEFT_RETURN_IF_ERROR(
        ringReduceScatter(static_cast<const char *>(send),
                          static_cast<char *>(recv) + offsets[rank_] * size,
                          offsets, size, reduce, "all-reduce"));
    return gather(recv, mpiType(dtype));
  }

  /// Ring reduce-scatter over point to point. Block j of `input` is
  /// elements [offsets[j], offsets[j + 1]) of `size` bytes; `output`
  /// receives block rank_ reduced over the group, and may be that block of
  /// `input` itself. `collective` names the ring in timeouts.
  ///
  /// n - 1 steps: at step k rank r sends block (r - k - 1) mod n, reduced
  /// so far (its own input at step 0), to rank r + 1 and receives block
  /// (r - k - 2) mod n from rank r - 1, which it reduces with its own
  /// input block; after step n - 2 it holds block r reduced over every
  /// rank. Blocks move in chunks: item j = k * chunks + c is step k's chunk
  /// c. Item i + 1's receive and send are posted before item i is reduced,
  /// so that they run meanwhile; item j's send needs only item j - chunks
  /// (the same chunk one step earlier) reduced, so steps overlap too.
  Status ringReduceScatter(const char *input, char *output,
                           const std::vector<int64_t> &offsets, size_t size,
                           ReduceFn reduce, const char *collective) {
    constexpr int64_t kWindow = 2; // Items posted and not yet reduced.
    const std::string recvCall = concat("MPI_Irecv (ring ", collective, ")");
    const std::string sendCall = concat("MPI_Isend (ring ", collective, ")");
    const int n = size_, r = rank_;
    const int right = (r + 1) % n, left = (r + n - 1) % n;
    int64_t longest = 0;
    for (int j = 0; j < n; ++j)
      longest = std::max(longest, offsets[j + 1] - offsets[j]);
    if (longest == 0)
      return Status();
    const int64_t chunk =
        std::max<int64_t>(1, ring.chunkBytes / static_cast<int64_t>(size));
    const int64_t chunks = (longest + chunk - 1) / chunk;
    const int steps = n - 1;
    const int64_t items = steps * chunks;
    auto sentBlock = [&](int k) { return ((r - k - 1) % n + n) % n; };
    const bool inPlace = output == input + offsets[r] * size;
    if (n == 1) {
      if (!inPlace)
        std::memcpy(output, input, longest * size);
      return Status();
    }

    // partial[k % 2] holds step k's partial block from its reduction until
    // step k + 1 has sent it. The last step reduces into output, receiving
    // there directly unless output is still this rank's input block.
    const size_t partialBytes = static_cast<size_t>(longest) * size;
    int partials = 0;
    for (int k = 0; k < steps; ++k)
      if (k < steps - 1 || inPlace)
        partials = std::max(partials, k % 2 + 1);
    WEFT_RETURN_IF_ERROR(scratch.reserve(partials * partialBytes));
    char *partial[2] = {scratch.get(),
                        partials == 2 ? scratch.get() + partialBytes : nullptr};
    auto receivesIntoPartial = [&](int k) { return k < steps - 1 || inPlace; };

    // Chunk c of block b: elements [begin, begin + length) of the block.
    auto chunkOf = [&](int b, int64_t c, int64_t &begin, int64_t &length) {
      const int64_t blockLength = offsets[b + 1] - offsets[b];
      begin = std::min(c * chunk, blockLength);
      length = std::min(chunk, blockLength - begin);
    };
    std::vector<MPI_Request> recvs(items, MPI_REQUEST_NULL);
    std::vector<MPI_Request> sends(items, MPI_REQUEST_NULL);
    auto post = [&](int64_t j) -> Status {
      const int k = static_cast<int>(j / chunks);
      const int64_t c = j % chunks;
      int64_t begin = 0, length = 0;
      chunkOf(sentBlock(k + 1), c, begin, length);
      char *target =
          (receivesIntoPartial(k) ? partial[k % 2] : output) + begin * size;
      // Step k - 1 sent this chunk of partial[k % 2] (from step 1 on).
      if (receivesIntoPartial(k) && k >= 2)
        WEFT_RETURN_IF_ERROR(
            wait(sends[j - chunks], sendCall.c_str(), options));
      if (int rc = MPI_Irecv(target, static_cast<int>(length * size), MPI_BYTE,
                             left, kRingTag, comm, &recvs[j]);
          rc != MPI_SUCCESS)
        return mpiError("MPI_Irecv", rc);
      const int to = sentBlock(k);
      chunkOf(to, c, begin, length);
      const char *source = k == 0 ? input + (offsets[to] + begin) * size
                                  : partial[(k - 1) % 2] + begin * size;
      if (int rc = MPI_Isend(source, static_cast<int>(length * size), MPI_BYTE,
                             right, kRingTag, comm, &sends[j]);
          rc != MPI_SUCCESS)
        return mpiError("MPI_Isend", rc);
      return Status();
    };

    int64_t posted = 0;
    for (int64_t i = 0; i < items; ++i) {
      while (posted < items && posted < i + kWindow && posted < i + chunks)
        WEFT_RETURN_IF_ERROR(post(posted++));
      WEFT_RETURN_IF_ERROR(wait(recvs[i], recvCall.c_str(), options));
      const int k = static_cast<int>(i / chunks);
      const int b = sentBlock(k + 1);
      int64_t begin = 0, length = 0;
      chunkOf(b, i % chunks, begin, length);
      const char *mine = input + (offsets[b] + begin) * size;
      if (k < steps - 1)
        reduce(partial[k % 2] + begin * size, mine, length);
      else if (!inPlace)
        reduce(output + begin * size, mine, length);
      else // mine is output.
        reduce(output + begin * size, partial[k % 2] + begin * size, length);
    }
    for (MPI_Request &request : sends)
      WEFT_RETURN_IF_ERROR(wait(request, sendCall.c_str(), options));
    return Status();
  }

  MPI_Comm comm;
  const CollectiveBackendOptions &options;
  const RingOptions &ring;
  GroupScratch scratch;
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
    out = std::make_unique<MpiGroup>(comm, options, ring);
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
    WEFT_RETURN_IF_ERROR(readRingOptions(ring).withPrefix("MPI back end: "));
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
  RingOptions ring;
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
