//===- FakeCollectiveBackend.h - One rank of a mesh, in process -*- C++ -*-===//
//
// A collectives back end that plays one rank of a larger mesh without any
// other process: each peer's data is derived from this rank's, so every
// result is a known function of the local input. The communicator's
// layouts (CollectivesTest) and partitioned modules invoked on a mesh of
// several devices (ShardedModuleTest) run over it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TEST_RUNTIME_FAKECOLLECTIVEBACKEND_H
#define WEFT_TEST_RUNTIME_FAKECOLLECTIVEBACKEND_H

#include "CollectiveBackend.h"
#include "Communicator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace weft::test {

/// Plays world rank `rank` of `size`. Group rank g of a group sends this
/// rank's own buffer with every element plus 1000 * g, so each result is a
/// known function of the local input. Records the groups it forms.
class FakeBackend final : public weft::runtime::CollectiveBackend {
public:
  FakeBackend(int rank, int size) : rank_(rank), size_(size) {}
  std::vector<std::pair<int, int>> splits; // (color, key)
  std::vector<int> groupSizes;
  bool failNext = false;
  int allocations = 0, deallocations = 0; // Of scratch memory.

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  weft::runtime::Status
  createGroup(int color, int key,
              std::unique_ptr<weft::runtime::CollectiveGroup> &out) override;
  weft::runtime::Status send(const void *, int64_t, int peer) override {
    lastPeer = peer;
    return weft::runtime::Status();
  }
  weft::runtime::Status recv(void *, int64_t, int peer) override {
    lastPeer = peer;
    return weft::runtime::Status();
  }
  weft::runtime::Status allocate(size_t bytes, void **out) override {
    *out = std::malloc(bytes);
    ++allocations;
    return weft::runtime::Status();
  }
  void deallocate(void *p) override {
    ++deallocations;
    std::free(p);
  }
  weft::runtime::Status copy2D(void *dst, size_t dstPitch, const void *src,
                               size_t srcPitch, size_t width,
                               size_t height) override {
    for (size_t r = 0; r < height; ++r)
      std::memcpy(static_cast<char *>(dst) + r * dstPitch,
                  static_cast<const char *>(src) + r * srcPitch, width);
    return weft::runtime::Status();
  }
  weft::runtime::Status synchronize() override {
    return weft::runtime::Status();
  }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }
  int lastPeer = -1;

private:
  int rank_, size_;
};

class FakeGroup final : public weft::runtime::CollectiveGroup {
public:
  FakeGroup(FakeBackend &backend, int rank, int size)
      : backend(backend), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  /// Group rank g's version of float buffer `data`.
  static void shifted(const float *data, float *out, size_t count, int g) {
    for (size_t i = 0; i < count; ++i)
      out[i] = data[i] + 1000.0f * g;
  }
  weft::runtime::Status allReduce(const void *send, void *recv, int64_t count,
                                  weft_dtype_t, weft_reduction_t) override {
    if (backend.failNext)
      return weft::runtime::error("MPI_Iallreduce failed: injected");
    // Sum over g of (x + 1000 g).
    const float *x = static_cast<const float *>(send);
    float *y = static_cast<float *>(recv);
    for (int64_t i = 0; i < count; ++i)
      y[i] = size_ * x[i] + 1000.0f * size_ * (size_ - 1) / 2;
    return weft::runtime::Status();
  }
  weft::runtime::Status allGather(const void *send, void *recv,
                                  int64_t bytes) override {
    if (backend.failNext)
      return weft::runtime::error("MPI_Iallgather failed: injected");
    size_t count = bytes / sizeof(float);
    for (int g = 0; g < size_; ++g)
      shifted(static_cast<const float *>(send),
              static_cast<float *>(recv) + g * count, count, g);
    return weft::runtime::Status();
  }
  weft::runtime::Status reduceScatter(const void *send, void *recv,
                                      int64_t count, weft_dtype_t,
                                      weft_reduction_t) override {
    // Block rank_ of the sum over g of (x + 1000 g).
    const float *x = static_cast<const float *>(send) + rank_ * count;
    float *y = static_cast<float *>(recv);
    for (int64_t i = 0; i < count; ++i)
      y[i] = size_ * x[i] + 1000.0f * size_ * (size_ - 1) / 2;
    return weft::runtime::Status();
  }
  weft::runtime::Status allToAll(const void *send, void *recv,
                                 int64_t bytes) override {
    // Block g received = block rank_ of group rank g's send.
    size_t count = bytes / sizeof(float);
    for (int g = 0; g < size_; ++g)
      shifted(static_cast<const float *>(send) + rank_ * count,
              static_cast<float *>(recv) + g * count, count, g);
    return weft::runtime::Status();
  }
  weft::runtime::Status broadcast(void *, int64_t, int root) override {
    lastRoot = root;
    return weft::runtime::Status();
  }
  int lastRoot = -1;

private:
  FakeBackend &backend;
  int rank_, size_;
};

inline weft::runtime::Status
FakeBackend::createGroup(int color, int key,
                         std::unique_ptr<weft::runtime::CollectiveGroup> &out) {
  splits.push_back({color, key});
  out =
      std::make_unique<FakeGroup>(*this, key, groupSizes.at(splits.size() - 1));
  return weft::runtime::Status();
}

/// A communicator over `meshShape` whose back end plays world rank `rank`;
/// `*fake` observes the back end. Fails the calling test on an error.
inline weft_communicator_t *
createFakeCommunicator(const std::vector<int64_t> &meshShape, int rank,
                       FakeBackend **fake) {
  int64_t size = 1;
  for (int64_t n : meshShape)
    size *= n;
  auto backend = std::make_unique<FakeBackend>(rank, static_cast<int>(size));
  *fake = backend.get();
  weft_communicator_t *communicator = nullptr;
  weft::runtime::Status status = weft::runtime::createCommunicator(
      meshShape, WEFT_COLLECTIVE_BACKEND_MPI, 300, std::move(backend),
      &communicator);
  EXPECT_TRUE(status.ok()) << status.message();
  return communicator;
}

} // namespace weft::test

#endif // WEFT_TEST_RUNTIME_FAKECOLLECTIVEBACKEND_H
