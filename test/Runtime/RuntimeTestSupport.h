//===- RuntimeTestSupport.h - Files for the runtime tests -------*- C++ -*-===//
//
// Builds the files the runtime reads (safetensors, npy headers, artifacts
// around the test host library) in memory, and a scratch directory per
// test. Shared by the unit tests and weft-runtime-test-artifact.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TEST_RUNTIME_RUNTIMETESTSUPPORT_H
#define WEFT_TEST_RUNTIME_RUNTIMETESTSUPPORT_H

#include "weft/runtime.h"

#include <cstdint>
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
