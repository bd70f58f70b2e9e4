//===- RuntimeTestSupport.h - Files for the runtime tests -------*- C++ -*-===//
//
// Builds the files the runtime reads (safetensors, npy headers, artifacts
// around the test host library) in memory, a scratch directory per test,
// and scoped environment variables. Shared by the unit tests and
// weft-runtime-test-artifact.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TEST_RUNTIME_RUNTIMETESTSUPPORT_H
#define WEFT_TEST_RUNTIME_RUNTIMETESTSUPPORT_H

#include "weft/runtime.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace weft::test {

/// The message of `status` ("" on success); frees it.
std::string takeMessage(weft_status_t status);

std::string readFile(const std::string &path);
void writeFile(const std::string &path, const std::string &bytes);

/// Raw little-endian bytes of the values.
std::string bytesOf(const std::vector<float> &values);
std::string bytesOf(const std::vector<int32_t> &values);

/// One tensor of a safetensors file; `dtype` is the file's name ("F32").
struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// A valid file: entries packed in order, optional __metadata__.
std::string buildSafetensors(const std::vector<SafetensorsEntry> &entries,
                             const std::string &metadataJson = "");
/// The length prefix, `header` verbatim and `data`, for malformed files.
std::string buildSafetensorsRaw(const std::string &header,
                                const std::string &data);

/// The manifest of the test artifact: functions add, scale, embed and count
/// implemented by TestHostLib.c.
std::string testManifest();
/// The bytes of the test host library.
std::string testHostLibrary();
/// Writes an artifact of `manifest` and the test host library to `path`.
void writeTestArtifact(const std::string &path,
                       const std::string &manifest = testManifest());

/// The weights of the test artifact: "model.scale" = 2 (f32 scalar) and
/// "embed.table" (8x2xf32, row i = [i, -i]).
std::string testWeights();

/// The manifest of the partitioned test module on `mesh` (one or two axes,
/// named "x" and "y"; S0 and S1 devices, S1 = 1 for one axis), functions of
/// TestHostLib.c:
///   regather(w: weight f32 [2 S0, 3 S1], dimension d split over axis d)
///       -> whole: f32 [2 S0, 3 S1]
///   allsum(x: input f32 [2 S0, 3 S1], split like w) -> sum: f32 [2, 3]
///   where(ids: input i32 [1, 4 S0], index_bound 8, dimension 1 split over
///       axis 0) -> coords: i64 [S0 S1, rank], ids_whole: i32 [1, 4 S0]
///   bad(x: input f32 [2]) -> y: f32 [2]
std::string testShardedManifest(const std::vector<int64_t> &mesh);
/// regather's weight for `mesh`: element [r, c] = 100 r + c.
std::vector<float> testShardedWeight(const std::vector<int64_t> &mesh);
/// A safetensors file holding "w" (testShardedWeight) after an unrelated
/// "other" tensor (f32 [5]), so that reading w is not reading the file.
std::string testShardedWeights(const std::vector<int64_t> &mesh);

/// The manifest of the CUDA test module for `chip` ("sm_90": the fake
/// driver's compute capability 9.0, so the runtime loads the cubin;
/// "sm_80" makes it JIT-compile the PTX), functions of TestHostLib.c:
///   scale_add(x: input f32 [2, 3], model.scale: weight f32 [],
///       b: input f32 [2, 3]) -> y: f32 [2, 3], y = model.scale * x + b
///   bad_kernel, bad_grid, bad_free(x: input f32 [2]) -> y: f32 [2]
///   allsum_device(x: input f32 [2, 3]) -> sum: f32 [2, 3], the all_reduce
///       over mesh axis 0 of x + x (with "mesh": null replaced by a mesh)
/// and the device kernels weft_test_scale (0) and weft_test_add (1). With
/// `tensorMaps`, also the kernel weft_test_tensor_map_copy (2) and
///   tensor_map_copy(x: input f32 [4, 8]) -> y: f32 [4, 4], y = x[:, :4]
///       through a tensor map of x's first four columns
///   bad_tensor_map(x: input f32 [2]) -> y: f32 [2], a misuse
std::string testCudaManifest(const std::string &chip = "sm_90",
                             bool tensorMaps = false);
/// Writes an artifact of `manifest`, the test host library and the kernels
/// as the fake driver reads them (FakeCudaDriver.h): a "ptx" section of
/// fake PTX and a "cubin" section of the fake binary image, both naming
/// all its built-in kernels. `omit` names a section to leave out.
void writeTestCudaArtifact(const std::string &path,
                           const std::string &manifest = testCudaManifest(),
                           const std::string &omit = "");

/// Sets an environment variable (unsets it for a null value) for the
/// scope, restoring it after.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      saved = old, hadValue = true;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (hadValue)
      setenv(name.c_str(), saved.c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
  std::string name, saved;
  bool hadValue = false;
};

/// A fresh directory under $TMPDIR, removed with its contents on
/// destruction.
class ScratchDirectory {
public:
  ScratchDirectory();
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory &) = delete;
  ScratchDirectory &operator=(const ScratchDirectory &) = delete;
  const std::string &path() const { return root; }
  std::string file(const std::string &name) const { return root + "/" + name; }

private:
  std::string root;
};

} // namespace weft::test

#endif // WEFT_TEST_RUNTIME_RUNTIMETESTSUPPORT_H
