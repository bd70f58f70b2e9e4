//===- CollectiveSingle.cpp - The single-rank collectives back end --------===//
//
// One process holding the only device: every group has one member, so every
// collective is a copy (or nothing, in place). It needs no library and is
// what a run outside mpirun gets.
//
//===----------------------------------------------------------------------===//

#include "CollectiveBackend.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace weft::runtime;

namespace {

void copyBytes(const void *send, void *recv, int64_t bytes) {
  if (send != recv && bytes > 0)
    std::memmove(recv, send, static_cast<size_t>(bytes));
}

class SingleGroup final : public CollectiveGroup {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }

  Status allReduce(const void *send, void *recv, int64_t count,
                   weft_dtype_t dtype, weft_reduction_t) override {
    copyBytes(send, recv, count * static_cast<int64_t>(weft_dtype_size(dtype)));
    return Status();
  }
  Status allGather(const void *send, void *recv, int64_t bytes) override {
    copyBytes(send, recv, bytes);
    return Status();
  }
  Status reduceScatter(const void *send, void *recv, int64_t count,
                       weft_dtype_t dtype, weft_reduction_t) override {
    copyBytes(send, recv, count * static_cast<int64_t>(weft_dtype_size(dtype)));
    return Status();
  }
  Status allToAll(const void *send, void *recv, int64_t bytes) override {
    copyBytes(send, recv, bytes);
    return Status();
  }
  Status broadcast(void *, int64_t, int) override { return Status(); }
};

class SingleBackend final : public HostMemoryBackend {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }

  Status createGroup(int, int, std::unique_ptr<CollectiveGroup> &out) override {
    out = std::make_unique<SingleGroup>();
    return Status();
  }
  Status send(const void *, int64_t, int peer) override {
    return error("the single-rank back end has no rank ", peer);
  }
  Status recv(void *, int64_t, int peer) override {
    return error("the single-rank back end has no rank ", peer);
  }


  [[noreturn]] void abort(int exitCode) override {
    std::fflush(stdout);
    std::fflush(stderr);
    // No atexit handlers or destructors: the state is not trusted any more.
    std::_Exit(exitCode);
  }
};

} // namespace

std::unique_ptr<CollectiveBackend> weft::runtime::createSingleBackend() {
  return std::make_unique<SingleBackend>();
}
