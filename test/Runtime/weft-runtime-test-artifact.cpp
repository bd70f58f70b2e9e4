//===- weft-runtime-test-artifact.cpp - Files for the weft-run tests ------===//
//
// Writes the files the lit tests of weft-run use into one directory:
//   test.weft                 the test artifact (functions add, scale,
//                             embed, count; see TestHostLib.c)
//   weights.safetensors       model.scale = 2, embed.table row i = [i, -i]
//   wrong.safetensors         model.scale as f32 [2]; no embed.table
//   truncated.safetensors     weights.safetensors without its last byte
//   a.npy                     2x3xf32 [[1 2 3] [4 5 6]]
//   a_plus_1.npy              2x3xf32 [[2 3 4] [5 6 7]]
//   ids.npy                   1x4xi32 [[3 0 7 1]]
//   bad_ids.npy               1x4xi32 [[3 0 9 1]]
// and, for M = 1, 2 and 2x2, the partitioned test module on mesh M
// (regather, allsum, where, bad; see RuntimeTestSupport.h, S0 x S1 = M):
//   sharded-M.weft
//   sharded-M.safetensors     w = [100 r + c] (2 S0 x 3 S1), after "other"
//   sharded-M-w.npy           w, what regather returns
//   sharded-M-x.npy           allsum's x = [r - 10 c] (2 S0 x 3 S1)
//   sharded-M-sum.npy         what allsum returns: the sum of x's 2x3 blocks
//   sharded-M-ids.npy         where's ids, [[k * 3 mod 8]], 1 x 4 S0
//   sharded-M-bad_ids.npy     ids with element [0, 4 S0 - 2] = 9, in the
//                             last slice
// and the CUDA test module (scale_add, bad_kernel, bad_grid, bad_free;
// see RuntimeTestSupport.h), whose kernels are the fake CUDA driver's
// built-in ones (FakeCudaDriver.h):
//   cuda.weft                 for sm_90, the fake device's chip (cubin)
//   cuda-sm80.weft            for sm_80 (the fake device JITs its PTX)
//   cuda-no-ptx.weft          without its ptx section
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <type_traits>

using namespace weft::test;

namespace {

/// Writes `t` (which it frees) unless `message` already holds an error.
bool writeTensor(const std::string &path, weft_tensor_t *t,
                 std::string message) {
  if (message.empty())
    message = takeMessage(weft_tensor_write_npy(t, path.c_str()));
  weft_tensor_free(t);
  if (!message.empty())
    std::fprintf(stderr, "weft-runtime-test-artifact: %s\n", message.c_str());
  return message.empty();
}

bool writeNpy(const std::string &path, const char *literal) {
  weft_tensor_t *t = nullptr;
  std::string message = takeMessage(weft_tensor_parse(literal, &t));
  return writeTensor(path, t, message);
}

/// An f32 or i32 array of `shape` holding `values`.
template <typename T>
bool writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const std::vector<T> &values) {
  weft_tensor_t *t = nullptr;
  std::string message = takeMessage(weft_tensor_create(
      std::is_same_v<T, float> ? WEFT_DTYPE_F32 : WEFT_DTYPE_I32,
      static_cast<int64_t>(shape.size()), shape.data(), &t));
  if (message.empty())
    std::memcpy(weft_tensor_data(t), values.data(), values.size() * sizeof(T));
  return writeTensor(path, t, message);
}

/// The partitioned module on `mesh` and its files, named `sharded-NAME`.
bool writeSharded(const std::string &dir, const std::string &name,
                  const std::vector<int64_t> &mesh) {
  std::string prefix = dir + "/sharded-" + name;
  writeTestArtifact(prefix + ".weft", testShardedManifest(mesh));
  writeFile(prefix + ".safetensors", testShardedWeights(mesh));
  int64_t s0 = mesh[0], s1 = mesh.size() > 1 ? mesh[1] : 1;
  int64_t rows = 2 * s0, cols = 3 * s1;
  std::vector<float> x, sum(6, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      x.push_back(static_cast<float>(r - 10 * c));
      sum[(r % 2) * 3 + c % 3] += x.back();
    }
  std::vector<int32_t> ids;
  for (int64_t k = 0; k < 4 * s0; ++k)
    ids.push_back(static_cast<int32_t>(k * 3 % 8));
  std::vector<int32_t> badIds = ids;
  badIds[badIds.size() - 2] = 9;
  return writeNpy(prefix + "-w.npy", {rows, cols}, testShardedWeight(mesh)) &&
         writeNpy(prefix + "-x.npy", {rows, cols}, x) &&
         writeNpy(prefix + "-sum.npy", {2, 3}, sum) &&
         writeNpy(prefix + "-ids.npy", {1, 4 * s0}, ids) &&
         writeNpy(prefix + "-bad_ids.npy", {1, 4 * s0}, badIds);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: weft-runtime-test-artifact DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
    std::perror(dir.c_str());
    return 1;
  }
  writeTestArtifact(dir + "/test.weft");
  writeTestCudaArtifact(dir + "/cuda.weft");
  writeTestCudaArtifact(dir + "/cuda-sm80.weft", testCudaManifest("sm_80"));
  writeTestCudaArtifact(dir + "/cuda-no-ptx.weft", testCudaManifest(), "ptx");
  std::string weights = testWeights();
  writeFile(dir + "/weights.safetensors", weights);
  writeFile(dir + "/truncated.safetensors",
            weights.substr(0, weights.size() - 1));
  writeFile(dir + "/wrong.safetensors",
            buildSafetensors({{"model.scale", "F32", {2},
                               bytesOf(std::vector<float>{2, 2})}}));
  bool ok = writeNpy(dir + "/a.npy", "2x3xf32=[1 2 3][4 5 6]") &&
            writeNpy(dir + "/a_plus_1.npy", "2x3xf32=[2 3 4][5 6 7]") &&
            writeNpy(dir + "/ids.npy", "1x4xi32=[[3 0 7 1]]") &&
            writeNpy(dir + "/bad_ids.npy", "1x4xi32=[[3 0 9 1]]") &&
            writeSharded(dir, "1", {1}) && writeSharded(dir, "2", {2}) &&
            writeSharded(dir, "2x2", {2, 2});
  return ok ? 0 : 1;
}
