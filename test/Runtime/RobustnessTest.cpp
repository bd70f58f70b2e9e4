//===- RobustnessTest.cpp - Truncated and corrupted input files -----------===//
//
// Every truncation of a valid .npy, .safetensors and .weft file, and a few
// hundred seeded random byte mutations of each, must give either success or
// a status with a message: never a crash, a hang or a huge allocation. Run
// under ASan/UBSan to catch out-of-bounds reads as well.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "gtest/gtest.h"

#include <functional>
#include <random>

using namespace weft::test;

namespace {

constexpr int kMutations = 400;

/// Opens the file at `path`; returns true on success, else checks that
/// the failure has a message.
using Opener = std::function<bool(const std::string &path)>;

bool expectMessageOrSuccess(weft_status_t status, const std::string &what) {
  if (!status)
    return true;
  EXPECT_STRNE(weft_status_message(status), "") << what;
  weft_status_free(status);
  return false;
}

class RobustnessTest : public testing::Test {
protected:
  /// Every proper prefix of `valid` must fail to open.
  void truncations(const std::string &valid, const Opener &open) {
    std::string path = dir.file("truncated");
    for (size_t length = 0; length < valid.size(); ++length) {
      writeFile(path, valid.substr(0, length));
      EXPECT_FALSE(open(path)) << "a " << length << "-byte prefix opened";
    }
  }

  /// Random byte replacements within [0, limit), 1 to 3 per file.
  void mutations(const std::string &valid, size_t limit, uint32_t seed,
                 const Opener &open) {
    std::mt19937 random(seed);
    std::string path = dir.file("mutated");
    int opened = 0;
    for (int i = 0; i < kMutations; ++i) {
      std::string bytes = valid;
      int count = 1 + static_cast<int>(random() % 3);
      for (int m = 0; m < count; ++m)
        bytes[random() % limit] = static_cast<char>(random() & 0xff);
      writeFile(path, bytes);
      opened += open(path);
    }
    // Some mutations hit bytes that do not matter; most must be caught.
    EXPECT_LT(opened, kMutations);
  }

  ScratchDirectory dir;
};

bool openNpy(const std::string &path) {
  weft_tensor_t *t = nullptr;
  bool ok = expectMessageOrSuccess(weft_tensor_read_npy(path.c_str(), &t), path);
  weft_tensor_free(t);
  return ok;
}

bool openSafetensors(const std::string &path) {
  weft_safetensors_t *file = nullptr;
  bool ok = expectMessageOrSuccess(weft_safetensors_open(path.c_str(), &file),
                                   path);
  if (ok) {
    // Reading into a wrong-typed tensor must fail cleanly for every name.
    weft_tensor_t *t = nullptr;
    int64_t shape[] = {3};
    EXPECT_EQ(weft_tensor_create(WEFT_DTYPE_I64, 1, shape, &t), nullptr);
    for (size_t i = 0; i < weft_safetensors_count(file); ++i)
      expectMessageOrSuccess(
          weft_safetensors_read(file, weft_safetensors_name(file, i), t), path);
    weft_tensor_free(t);
  }
  weft_safetensors_close(file);
  return ok;
}

bool openModule(const std::string &path) {
  weft_module_t *module = nullptr;
  bool ok = expectMessageOrSuccess(weft_module_open(path.c_str(), &module), path);
  weft_module_close(module);
  return ok;
}

TEST_F(RobustnessTest, Npy) {
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(weft_tensor_parse("2x3xf32=[1 2 3][4 5 6]", &t), nullptr);
  std::string path = dir.file("valid.npy");
  ASSERT_EQ(weft_tensor_write_npy(t, path.c_str()), nullptr);
  weft_tensor_free(t);
  std::string valid = readFile(path);
  ASSERT_TRUE(openNpy(path));
  truncations(valid, openNpy);
  mutations(valid, valid.size(), 1, openNpy);
}

TEST_F(RobustnessTest, Safetensors) {
  std::string valid = testWeights();
  writeFile(dir.file("valid.safetensors"), valid);
  ASSERT_TRUE(openSafetensors(dir.file("valid.safetensors")));
  truncations(valid, openSafetensors);
  mutations(valid, valid.size(), 2, openSafetensors);
}

TEST_F(RobustnessTest, Artifact) {
  std::string path = dir.file("valid.weft");
  writeTestArtifact(path);
  std::string valid = readFile(path);
  ASSERT_TRUE(openModule(path));
  truncations(valid, openModule);
  // Mutate the container and the manifest, not the host code: the loader
  // runs the ELF's relocations and constructors, which no runtime can
  // validate (the ELF header and segment bounds are checked, see
  // HostLibrary.cpp).
  size_t manifestEnd = 128 + testManifest().size();
  mutations(valid, manifestEnd, 3, openModule);
}

} // namespace
