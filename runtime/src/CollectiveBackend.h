//===- CollectiveBackend.h - The collectives back-end interface -*- C++ -*-===//
//
// The interface between the communicator (Communicator.cpp: argument checks,
// mesh groups, tensor layouts) and the back ends that move bytes: the single
// rank back end inside the runtime, and the MPI and NCCL plugins. Back ends
// see only flat buffers and groups formed MPI_Comm_split style; everything
// about meshes and tensor dimensions stays in the communicator, so it is
// written once.
//
// The plugins are built from this tree together with the runtime, so this
// is a C++ interface, not a stable ABI: the loader checks
// kCollectivePluginAbiVersion and refuses a plugin built against another.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_COLLECTIVEBACKEND_H
#define WEFT_RUNTIME_SRC_COLLECTIVEBACKEND_H

#include "Status.h"
#include "weft/collectives.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace weft::runtime {

/// Bumped whenever a class below or the plugin entry points change.
constexpr int kCollectivePluginAbiVersion = 1;

/// What a back end is created with.
struct CollectiveBackendOptions {
  /// Seconds any wait may take before it fails.
  double timeoutSeconds = 300;
  /// Where the timeout came from ("options", "WEFT_COLLECTIVE_TIMEOUT_S" or
  /// "the default"), for messages.
  const char *timeoutSource = "the default";
  /// NCCL: CUDA device ordinal, or -1 for the local rank modulo the count.
  int deviceOrdinal = -1;
};

/// A group of ranks and its collectives on flat buffers. `send == recv` is
/// allowed for allReduce only. Every call blocks until this rank's part is
/// done or the timeout passes. Counts are elements, sizes are bytes, both
/// per rank where the group has several buffers.
class CollectiveGroup {
public:
  virtual ~CollectiveGroup() = default;
  /// This rank's index in the group, and the group's size.
  virtual int rank() const = 0;
  virtual int size() const = 0;

  virtual Status allReduce(const void *send, void *recv, int64_t count,
                           weft_dtype_t dtype, weft_reduction_t reduction) = 0;
  /// recv = the group's `bytes`-byte sends, concatenated in group order.
  virtual Status allGather(const void *send, void *recv, int64_t bytes) = 0;
  /// send = size() blocks of `count` elements; block i of the reduction
  /// lands in group rank i's recv.
  virtual Status reduceScatter(const void *send, void *recv, int64_t count,
                               weft_dtype_t dtype,
                               weft_reduction_t reduction) = 0;
  /// Block j (`bytes` bytes) of send goes to group rank j; block i of recv
  /// comes from group rank i.
  virtual Status allToAll(const void *send, void *recv, int64_t bytes) = 0;
  /// In place: every rank's `buffer` becomes group rank `root`'s.
  virtual Status broadcast(void *buffer, int64_t bytes, int root) = 0;
};

/// One rank of a run: groups, point to point, and the memory its buffers
/// live in (host or device).
class CollectiveBackend {
public:
  virtual ~CollectiveBackend() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// The ranks passing the same `color` form a group, ordered by `key`
  /// (MPI_Comm_split). Collective over all ranks.
  virtual Status createGroup(int color, int key,
                             std::unique_ptr<CollectiveGroup> &out) = 0;
  /// Point to point with rank `peer` (never this rank).
  virtual Status send(const void *buffer, int64_t bytes, int peer) = 0;
  virtual Status recv(void *buffer, int64_t bytes, int peer) = 0;

  /// Scratch memory of the kind collectives take.
  virtual Status allocate(size_t bytes, void **out) = 0;
  virtual void deallocate(void *buffer) = 0;
  /// `height` rows of `width` bytes, `srcPitch` and `dstPitch` apart. May
  /// be asynchronous until synchronize().
  virtual Status copy2D(void *dst, size_t dstPitch, const void *src,
                        size_t srcPitch, size_t width, size_t height) = 0;
  /// Waits for every copy issued so far.
  virtual Status synchronize() = 0;

  /// Ends every rank of the run with `exitCode`; used after a failure.
  [[noreturn]] virtual void abort(int exitCode) = 0;
};

/// The memory half of a back end whose buffers are host memory (single
/// rank, MPI): malloc'd scratch and synchronous row copies.
class HostMemoryBackend : public CollectiveBackend {
public:
  Status allocate(size_t bytes, void **out) override {
    *out = std::malloc(bytes ? bytes : 1);
    if (!*out)
      return error("cannot allocate ", bytes, " bytes of scratch memory");
    return Status();
  }
  void deallocate(void *buffer) override { std::free(buffer); }
  Status copy2D(void *dst, size_t dstPitch, const void *src, size_t srcPitch,
                size_t width, size_t height) override {
    for (size_t row = 0; row < height; ++row)
      std::memcpy(static_cast<char *>(dst) + row * dstPitch,
                  static_cast<const char *>(src) + row * srcPitch, width);
    return Status();
  }
  Status synchronize() override { return Status(); }
};

/// The single-rank back end (CollectiveSingle.cpp).
std::unique_ptr<CollectiveBackend> createSingleBackend();

} // namespace weft::runtime

extern "C" {
/// The entry points every plugin exports (and nothing else).
/// weft_collective_plugin_abi_version() returns kCollectivePluginAbiVersion
/// of the tree it was built from. weft_collective_plugin_create creates the
/// back end; `bootstrap` is null except for NCCL, which then owns it (an
/// MPI back end to exchange unique ids over, or null for one device
/// without mpirun).
using WeftCollectivePluginAbiVersionFn = int (*)();
using WeftCollectivePluginCreateFn =
    weft_status_t (*)(const weft::runtime::CollectiveBackendOptions *options,
                      weft::runtime::CollectiveBackend *bootstrap,
                      weft::runtime::CollectiveBackend **out);
}

#endif // WEFT_RUNTIME_SRC_COLLECTIVEBACKEND_H
