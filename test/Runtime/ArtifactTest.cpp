//===- ArtifactTest.cpp - Unit tests of artifact reading and writing ------===//
//
// weft_module_open on the test artifact and on one broken variant per
// container and manifest rule; writeArtifact's own checks.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "weft/runtime/ArtifactWriter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

using namespace weft::test;
using testing::HasSubstr;

namespace {

/// `text` with the first `from` replaced by `to`; fails the test if absent.
std::string replaceOnce(std::string text, const std::string &from,
                        const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no '" << from << "'";
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

void putLE(std::string &bytes, size_t at, uint64_t value, int width) {
  for (int i = 0; i < width; ++i)
    bytes[at + i] = static_cast<char>(value >> (8 * i));
}

class ArtifactTest : public testing::Test {
protected:
  ArtifactTest() {
    writeTestArtifact(path);
    valid = readFile(path);
  }

  /// The message of opening `bytes` as an artifact, which must fail.
  std::string openError(const std::string &bytes) {
    writeFile(path, bytes);
    weft_module_t *module = nullptr;
    std::string message = takeMessage(weft_module_open(path.c_str(), &module));
    EXPECT_EQ(module, nullptr);
    weft_module_close(module);
    EXPECT_THAT(message, HasSubstr("artifact '" + path + "': "));
    return message;
  }

  std::string manifestError(const std::string &manifest) {
    writeTestArtifact(path, manifest);
    return openError(readFile(path));
  }

  ScratchDirectory dir;
  std::string path = dir.file("test.weft");
  std::string valid;
};

// The test artifact has two sections: the table ends at 16 + 2 * 32 = 80,
// the manifest starts at 128.
constexpr size_t kEntry0 = 16, kEntry1 = 48, kFirstSection = 128;

TEST_F(ArtifactTest, OpensAndDescribesFunctions) {
  weft_module_t *module = nullptr;
  ASSERT_EQ(takeMessage(weft_module_open(path.c_str(), &module)), "");
  EXPECT_STREQ(weft_module_target(module), "cpu");
  EXPECT_EQ(weft_module_manifest(module), testManifest());
  ASSERT_EQ(weft_module_function_count(module), 4u);
  EXPECT_STREQ(weft_module_function_name(module, 2), "embed");
  EXPECT_EQ(weft_module_function_name(module, 4), nullptr);

  size_t fn = 0;
  ASSERT_EQ(takeMessage(weft_module_lookup(module, "embed", &fn)), "");
  EXPECT_EQ(fn, 2u);
  EXPECT_EQ(weft_function_argument_count(module, fn), 2u);
  EXPECT_EQ(weft_function_result_count(module, fn), 1u);
  weft_value_info_t info;
  weft_function_argument(module, fn, 0, &info);
  EXPECT_STREQ(info.name, "ids");
  EXPECT_EQ(info.role, WEFT_ROLE_INPUT);
  EXPECT_EQ(info.dtype, WEFT_DTYPE_I32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[1], 4);
  EXPECT_EQ(info.index_bound, 8);
  weft_function_argument(module, fn, 1, &info);
  EXPECT_STREQ(info.name, "embed.table");
  EXPECT_EQ(info.role, WEFT_ROLE_WEIGHT);
  EXPECT_EQ(info.index_bound, -1);
  weft_function_result(module, fn, 0, &info);
  EXPECT_STREQ(info.name, "hidden");
  EXPECT_EQ(info.rank, 3);
  // Out of range: a zeroed description, not a crash.
  weft_function_result(module, fn, 7, &info);
  EXPECT_EQ(info.name, nullptr);
  EXPECT_EQ(weft_function_argument_count(module, 99), 0u);

  EXPECT_EQ(takeMessage(weft_module_lookup(module, "forward", &fn)),
            "artifact '" + path +
                "' has no function 'forward' (it has 'add', 'scale', "
                "'embed', 'count')");
  weft_module_close(module);
}

TEST_F(ArtifactTest, WriterLaysOutAlignedSections) {
  EXPECT_EQ(valid.substr(0, 8), std::string("WEFTART\0", 8));
  EXPECT_EQ(valid.substr(kEntry0, 8), std::string("manifest"));
  EXPECT_EQ(valid.substr(kEntry1, 8), std::string("hostlib\0", 8));
  uint64_t offset0, size0, offset1;
  std::memcpy(&offset0, valid.data() + kEntry0 + 8, 8);
  std::memcpy(&size0, valid.data() + kEntry0 + 16, 8);
  std::memcpy(&offset1, valid.data() + kEntry1 + 8, 8);
  EXPECT_EQ(offset0, kFirstSection);
  EXPECT_EQ(size0, testManifest().size());
  EXPECT_EQ(offset1 % 64, 0u);
  EXPECT_GE(offset1, offset0 + size0);
  EXPECT_EQ(valid.substr(offset0, size0), testManifest());
  EXPECT_EQ(valid.substr(offset1), testHostLibrary());
}

TEST_F(ArtifactTest, RejectsBadHeaders) {
  std::string bytes = valid;
  bytes[3] = 'X';
  EXPECT_THAT(openError(bytes),
              HasSubstr("not a Weft artifact (missing the WEFTART magic)"));
  EXPECT_THAT(openError(valid.substr(0, 10)), HasSubstr("missing the WEFTART magic"));
  bytes = valid;
  putLE(bytes, 8, 2, 4);
  EXPECT_THAT(openError(bytes),
              HasSubstr("unsupported container version 2 (expected 1)"));
  bytes = valid;
  putLE(bytes, 12, 0, 4);
  EXPECT_THAT(openError(bytes), HasSubstr("section count 0 is outside [1, 64]"));
  putLE(bytes, 12, 65, 4);
  EXPECT_THAT(openError(bytes), HasSubstr("section count 65 is outside [1, 64]"));
  EXPECT_THAT(openError(valid.substr(0, 60)),
              HasSubstr("the table of 2 sections needs 80 bytes, but the file "
                        "has 60 (is it truncated?)"));
}

TEST_F(ArtifactTest, RejectsBadSectionTables) {
  std::string bytes = valid;
  std::memcpy(&bytes[kEntry1], "manifest", 8);
  EXPECT_THAT(openError(bytes), HasSubstr("duplicate section 'manifest'"));
  bytes = valid;
  putLE(bytes, kEntry1 + 8, kFirstSection, 8);
  EXPECT_THAT(openError(bytes),
              HasSubstr("section 'hostlib' [128, +"));
  EXPECT_THAT(openError(bytes), HasSubstr(") overlaps section 'manifest' [128, +"));
  bytes = valid;
  putLE(bytes, kEntry0 + 8, kFirstSection + 8, 8);
  EXPECT_THAT(openError(bytes),
              HasSubstr("section table entry 0: section 'manifest' at offset "
                        "136 is not 64-byte aligned"));
  bytes = valid;
  putLE(bytes, kEntry0 + 8, 64, 8);
  EXPECT_THAT(openError(bytes),
              HasSubstr("section 'manifest' at offset 64 overlaps the section "
                        "table (which ends at 80)"));
  bytes = valid;
  putLE(bytes, kEntry0 + 24, 1, 8);
  EXPECT_THAT(openError(bytes),
              HasSubstr("section 'manifest' has a non-zero reserved field"));
  bytes = valid;
  bytes[kEntry0] = '\0';
  EXPECT_THAT(openError(bytes), HasSubstr("section table entry 0: has an empty name"));
  bytes = valid;
  bytes[kEntry1 + 3] = '\0'; // "hos\0lib" with bytes after the NUL.
  EXPECT_THAT(openError(bytes), HasSubstr("name 'hos' is not NUL-padded"));
  bytes = valid;
  bytes[kEntry1 + 1] = '\n';
  EXPECT_THAT(openError(bytes), HasSubstr("has a non-printable byte"));
  bytes = valid;
  putLE(bytes, kEntry1 + 16, valid.size(), 8);
  EXPECT_THAT(openError(bytes),
              HasSubstr("section table entry 1: section 'hostlib' ["));
  EXPECT_THAT(openError(bytes), HasSubstr("extends past the end of the " +
                                          std::to_string(valid.size()) +
                                          "-byte file (is it truncated?)"));
  bytes = valid;
  putLE(bytes, kEntry1 + 8, UINT64_MAX - 63, 8);
  EXPECT_THAT(openError(bytes), HasSubstr("extends past the end"));
  bytes = valid;
  std::memcpy(&bytes[kEntry1], "cubin\0\0\0", 8);
  EXPECT_THAT(openError(bytes), HasSubstr("missing the required section 'hostlib'"));
  bytes = valid;
  std::memcpy(&bytes[kEntry0], "notes\0\0\0", 8);
  EXPECT_THAT(openError(bytes), HasSubstr("missing the required section 'manifest'"));
}

TEST_F(ArtifactTest, TruncatedArtifactIsCaughtBeforeLoading) {
  EXPECT_THAT(openError(valid.substr(0, valid.size() - 1)),
              HasSubstr("section 'hostlib'"));
}

TEST_F(ArtifactTest, RejectsBadHostLibraries) {
  std::string message =
      weft::runtime::writeArtifact(path, {{"manifest", testManifest()},
                                          {"hostlib", "not an ELF file"}});
  ASSERT_EQ(message, "");
  EXPECT_THAT(openError(readFile(path)),
              HasSubstr("the hostlib section (15 bytes) is too small for an "
                        "ELF header"));
  message = weft::runtime::writeArtifact(
      path, {{"manifest", testManifest()}, {"hostlib", std::string(100, 'x')}});
  ASSERT_EQ(message, "");
  EXPECT_THAT(openError(readFile(path)),
              HasSubstr("the hostlib section is not an ELF file"));
  std::string elf = testHostLibrary();
  message = weft::runtime::writeArtifact(
      path, {{"manifest", testManifest()},
             {"hostlib", elf.substr(0, elf.size() / 2)}});
  ASSERT_EQ(message, "");
  EXPECT_THAT(openError(readFile(path)),
              HasSubstr("the hostlib section is truncated: segment"));
  elf[18] = 0x28; // e_machine: ARM.
  message = weft::runtime::writeArtifact(
      path, {{"manifest", testManifest()}, {"hostlib", elf}});
  ASSERT_EQ(message, "");
  // The manifest's "host" object explains a load failure.
  EXPECT_THAT(openError(readFile(path)),
              HasSubstr("is for ELF machine 40, not this host's"));
  EXPECT_THAT(openError(readFile(path)),
              HasSubstr(", cpu generic, needing libm.so.6)"));
}

TEST_F(ArtifactTest, HostAndMeshAreOptional) {
  std::string manifest = testManifest();
  size_t host = manifest.find("  \"host\"");
  size_t end = manifest.find("},\n", host) + 3;
  manifest.erase(host, end - host);
  manifest = replaceOnce(manifest, "  \"mesh\": null,\n", "");
  ASSERT_EQ(manifest.find("host"), std::string::npos);
  writeTestArtifact(path, manifest);
  weft_module_t *module = nullptr;
  EXPECT_EQ(takeMessage(weft_module_open(path.c_str(), &module)), "");
  weft_module_close(module);
  manifest = replaceOnce(testManifest(), "\"mesh\": null",
                         "\"mesh\": {\"name\": \"m\", \"shape\": [2, 4], "
                         "\"axes\": [\"dp\", \"tp\"]}");
  writeTestArtifact(path, manifest);
  EXPECT_EQ(takeMessage(weft_module_open(path.c_str(), &module)), "");
  weft_module_close(module);
}

TEST_F(ArtifactTest, RejectsMissingSymbols) {
  std::string manifest = replaceOnce(testManifest(), "\"weft_entry_scale\"",
                                     "\"weft_entry_scale_v2\"");
  EXPECT_THAT(manifestError(manifest),
              HasSubstr("the hostlib section does not export "
                        "'weft_entry_scale_v2' (the entry of function 'scale')"));
}

struct ManifestCase {
  const char *from;
  const char *to;
  const char *message;
};

TEST_F(ArtifactTest, RejectsBadManifests) {
  const ManifestCase cases[] = {
      {"\"format\": \"weft-artifact\",", "\"format\": \"weft-artifact\"",
       "manifest: invalid JSON: expected ',' or '}' at byte"},
      {"\"weft-artifact\"", "\"onnx\"",
       "manifest: format: expected 'weft-artifact', found 'onnx'"},
      {"\"version\": 1", "\"version\": 2",
       "manifest: version: this runtime reads version 1, found 2"},
      {"\"version\": 1", "\"version\": \"1\"",
       "manifest: version: expected an integer, found a string"},
      {"\"target\": \"cpu\"", "\"target\": \"tpu\"",
       "target 'tpu' is not supported by this runtime build (it runs 'cpu' "
       "and 'cuda')"},
      {"\"target\": \"cpu\"", "\"target\": \"cuda\"",
       "manifest: device: missing (target 'cuda' needs the device object: "
       "the chip and the kernels)"},
      {"\"target\": \"cpu\"", "\"target\": \"\"",
       "manifest: target: must not be empty"},
      {"\"mesh\": null", "\"mesh\": null, \"extra\": 1",
       "manifest: unexpected field 'extra'"},
      {"\"mesh\": null", "\"mesh\": {\"name\": \"m\", \"shape\": [2], \"axes\": []}",
       "manifest: mesh: 1 sizes but 0 axes"},
      {"\"mesh\": null", "\"mesh\": {\"name\": \"m\", \"shape\": [0], \"axes\": [\"x\"]}",
       "manifest: mesh.shape[0]: expected a positive integer"},
      {"\"mesh\": null", "\"mesh\": 3",
       "manifest: mesh: expected an object, found an integer"},
      {"\"mesh\": null", "\"mesh\": null, \"device\": {\"chip\": \"sm_90\"}",
       "manifest: device.kernels: missing"},
      {"\"mesh\": null",
       "\"mesh\": null, \"device\": {\"chip\": \"sm_90\", \"kernels\": {}}",
       "manifest: device.kernels: expected an array, found an object"},
      {"\"mesh\": null",
       "\"mesh\": null, \"device\": {\"chip\": \"sm_90\", \"kernels\": "
       "[{\"name\": \"k 1\", \"registers\": 8, \"stack_bytes\": 0, "
       "\"spill_store_bytes\": 0, \"spill_load_bytes\": 0, "
       "\"shared_bytes\": 0}]}",
       "manifest: device.kernels[0].name: 'k 1' is not a kernel symbol"},
      {"\"mesh\": null",
       "\"mesh\": null, \"device\": {\"chip\": \"sm_90\", \"kernels\": "
       "[{\"name\": \"k\", \"registers\": -1, \"stack_bytes\": 0, "
       "\"spill_store_bytes\": 0, \"spill_load_bytes\": 0, "
       "\"shared_bytes\": 0}]}",
       "manifest: device.kernels[0].registers: expected a non-negative "
       "integer"},
      {"\"mesh\": null",
       "\"mesh\": null, \"device\": {\"chip\": \"sm_90\", \"kernels\": "
       "[{\"name\": \"k\", \"registers\": 8}]}",
       "manifest: device.kernels[0].stack_bytes: missing"},
      {"\"name\": \"add\", \"symbol\": \"weft_entry_add\",",
       "\"name\": \"add\",",
       "manifest: functions[0].symbol: missing"},
      {"\"weft_entry_add\"", "\"weft entry\"",
       "manifest: functions[0].symbol: 'weft entry' is not a C identifier"},
      {"\"name\": \"scale\"", "\"name\": \"add\"",
       "manifest: functions[1].name: duplicate function 'add'"},
      {"\"role\": \"input\"", "\"role\": \"bias\"",
       "manifest: functions[0].arguments[0].role: expected 'input' or "
       "'weight', found 'bias'"},
      {"\"dtype\": \"f32\"", "\"dtype\": \"f8\"",
       "manifest: functions[0].arguments[0].dtype: expected f16, bf16, f32, "
       "f64, i32 or i64, found 'f8'"},
      {"\"shape\": [2, 3]", "\"shape\": \"2x3\"",
       "manifest: functions[0].arguments[0].shape: expected an array of "
       "sizes, found a string"},
      {"\"shape\": [2, 3]", "\"shape\": [2, -3]",
       "manifest: functions[0].arguments[0].shape[1]: expected a "
       "non-negative integer"},
      {"\"shape\": [2, 3]", "\"shape\": [4294967296, 4294967296]",
       "manifest: functions[0].arguments[0].shape: shape [4294967296, "
       "4294967296] has more elements than fit in 63 bits"},
      {"\"shape\": [2, 3]",
       "\"shape\": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
       "manifest: functions[0].arguments[0].shape: rank 17 exceeds 16"},
      {"{\"name\": \"b\"", "{\"name\": \"a\"",
       "manifest: functions[0].arguments[1].name: duplicate name 'a'"},
      {"\"shape\": [2, 3]}", "\"shape\": [2, 3], \"index_bound\": 4}",
       "manifest: functions[0].arguments[0].index_bound: only integer inputs "
       "take an index bound (this is an f32 input)"},
      {"\"shape\": [8, 2]}", "\"shape\": [8, 2], \"index_bound\": 4}",
       "manifest: functions[2].arguments[1].index_bound: only integer inputs "
       "take an index bound (this is an f32 weight)"},
      {"\"index_bound\": 8", "\"index_bound\": 0",
       "manifest: functions[2].arguments[0].index_bound: expected a positive "
       "integer"},
      {"\"results\": [{\"name\": \"sum\",",
       "\"results\": [{\"role\": \"input\", \"name\": \"sum\",",
       "manifest: functions[0].results[0]: unexpected field 'role'"},
      {"\"results\": [{\"name\": \"sum\", \"dtype\": \"f32\", \"shape\": [2, 3]}]",
       "\"results\": {}",
       "manifest: functions[0].results: expected an array, found an object"},
      {"\"cpu\": \"generic\"", "\"cpu\": 3",
       "manifest: host.cpu: expected a string, found an integer"},
      {"\"needed\": [\"libm.so.6\"]", "\"needed\": [\"\"]",
       "manifest: host.needed[0]: must not be empty"},
      {"\"needed\": [\"libm.so.6\"]", "\"needed\": \"libm.so.6\"",
       "manifest: host.needed: expected an array, found a string"},
      {"\"needed\": [\"libm.so.6\"]", "\"needed\": [], \"abi\": 2",
       "manifest: host: unexpected field 'abi'"},
      {"\"mesh\": null", "\"mesh\": {\"name\": \"m\", \"shape\": [2], \"axes\": [\"\"]}",
       "manifest: mesh.axes[0]: must not be empty"},
  };
  for (const ManifestCase &c : cases)
    EXPECT_THAT(manifestError(replaceOnce(testManifest(), c.from, c.to)),
                HasSubstr(c.message))
        << c.from << " -> " << c.to;
  EXPECT_THAT(manifestError("[]"),
              HasSubstr("manifest: expected an object, found an array"));
  EXPECT_THAT(manifestError(R"({"format": "weft-artifact", "version": 1,
                                "target": "cpu", "functions": []})"),
              HasSubstr("manifest: functions: expected a non-empty array"));
}

TEST_F(ArtifactTest, RejectsBadShardings) {
  // functions[0] is regather: w, f32 [4, 9], split [[0], [1]] over a 2x3
  // mesh; its result is whole.
  const std::string sharded = testShardedManifest({2, 3});
  const std::string w = "functions[0].arguments[0].sharding";
  const ManifestCase cases[] = {
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[0], [2]]",
       "[1][0]: mesh axis 2 is out of range for a mesh of 2 axes"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[-1], [1]]",
       "[0][0]: mesh axis -1 is out of range for a mesh of 2 axes"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[0], [0]]",
       "[1][0]: mesh axis 0 is already used by sharding[0][0]"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[1, 1]]",
       "[0][1]: mesh axis 1 is already used by sharding[0][0]"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[1], [0]]",
       "[0]: 3 devices do not divide dimension 0 of size 4"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[], [0, 1]]",
       "[1]: 6 devices do not divide dimension 1 of size 9"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[0], [1], []]",
       ": 3 dimensions listed for a value of rank 2"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": {}",
       ": expected an array of lists of mesh axes, found an object"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [0, [1]]",
       "[0]: expected an array of mesh axes, found an integer"},
      {"\"sharding\": [[0], [1]]", "\"sharding\": [[\"x\"], [1]]",
       "[0][0]: expected a mesh axis index, found a string"},
  };
  for (const ManifestCase &c : cases)
    EXPECT_THAT(manifestError(replaceOnce(sharded, c.from, c.to)),
                HasSubstr("manifest: " + w + c.message))
        << c.from << " -> " << c.to;

  const std::string meshless =
      replaceOnce(sharded,
                  "\"mesh\": {\"name\": \"mesh\", \"shape\": [2, 3], \"axes\": "
                  "[\"x\", \"y\"]}",
                  "\"mesh\": null");
  EXPECT_THAT(manifestError(meshless),
              HasSubstr("manifest: " + w +
                        ": only arguments of a module with a mesh are split "
                        "(the manifest's mesh is null)"));
  EXPECT_THAT(
      manifestError(replaceOnce(sharded,
                                "{\"name\": \"whole\", \"dtype\": \"f32\",",
                                "{\"name\": \"whole\", \"sharding\": [[0]], "
                                "\"dtype\": \"f32\",")),
      HasSubstr("manifest: functions[0].results[0].sharding: results are "
                "whole on every device and take no sharding"));

  // Dimensions past the list, and empty lists, are whole.
  writeTestArtifact(path, replaceOnce(sharded, "\"sharding\": [[0], [1]]",
                                      "\"sharding\": [[], [1]]"));
  weft_module_t *module = nullptr;
  ASSERT_EQ(takeMessage(weft_module_open(path.c_str(), &module)), "");
  weft_value_info_t info;
  weft_function_argument(module, 0, 0, &info);
  EXPECT_EQ(info.local_shape[0], 4);
  EXPECT_EQ(info.local_shape[1], 3);
  weft_module_close(module);
}

TEST_F(ArtifactTest, RejectsBadMeshes) {
  const std::string sharded = testShardedManifest({2, 3});
  const ManifestCase cases[] = {
      {"[\"x\", \"y\"]", "[\"x\", \"x\"]",
       "manifest: mesh.axes[1]: duplicate axis 'x'"},
      {"\"shape\": [2, 3], \"axes\"", "\"shape\": [65536, 65536], \"axes\"",
       "manifest: mesh.shape: more than 2^31 - 1 devices"},
  };
  for (const ManifestCase &c : cases)
    EXPECT_THAT(manifestError(replaceOnce(sharded, c.from, c.to)),
                HasSubstr(c.message))
        << c.from << " -> " << c.to;
  EXPECT_THAT(
      manifestError(replaceOnce(testManifest(), "\"mesh\": null",
                                "\"mesh\": {\"name\": \"m\", \"shape\": [], "
                                "\"axes\": []}")),
      HasSubstr("manifest: mesh: 0 axes, expected 1 to 16"));
}

TEST_F(ArtifactTest, SeveralModulesFromOneFileCoexist) {
  weft_module_t *first = nullptr, *second = nullptr;
  ASSERT_EQ(takeMessage(weft_module_open(path.c_str(), &first)), "");
  ASSERT_EQ(takeMessage(weft_module_open(path.c_str(), &second)), "");
  weft_module_close(first);
  // Reopening after a close reuses fd numbers; the fresh library must load.
  ASSERT_EQ(takeMessage(weft_module_open(path.c_str(), &first)), "");
  EXPECT_EQ(weft_module_function_count(first), 4u);
  weft_module_close(first);
  weft_module_close(second);
}

/// The lines of /proc/self/maps that mention `name`.
std::string mappingsOf(const std::string &name) {
  std::string maps = readFile("/proc/self/maps"), out;
  size_t start = 0;
  while (start < maps.size()) {
    size_t end = maps.find('\n', start);
    std::string line = maps.substr(start, end - start);
    if (line.find(name) != std::string::npos)
      out += line + "\n";
    start = end == std::string::npos ? maps.size() : end + 1;
  }
  return out;
}

TEST_F(ArtifactTest, LoadsFromMemfdAndFallsBackToATemporaryFile) {
  weft_module_t *module = nullptr;
  ASSERT_EQ(takeMessage(weft_module_open(path.c_str(), &module)), "");
  EXPECT_THAT(mappingsOf("weft-hostlib"), HasSubstr("/memfd:weft-hostlib"));
  weft_module_close(module);

  // Load a library under the name "/proc/self/fd/N" and close N: the next
  // memfd gets N, and dlopen would return the stale library for that name.
  int fd = open(WEFT_TEST_HOSTLIB, O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string stalePath = "/proc/self/fd/" + std::to_string(fd);
  void *stale = dlopen(stalePath.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(stale, nullptr) << dlerror();
  close(fd);

  ScratchDirectory tmp;
  const char *savedTmp = getenv("TMPDIR");
  std::string saved = savedTmp ? savedTmp : "";
  setenv("TMPDIR", tmp.path().c_str(), 1);
  std::string message = takeMessage(weft_module_open(path.c_str(), &module));
  if (savedTmp)
    setenv("TMPDIR", saved.c_str(), 1);
  else
    unsetenv("TMPDIR");
  ASSERT_EQ(message, "");
  // Loaded from the unlinked temporary file, and a working copy.
  EXPECT_THAT(mappingsOf(tmp.path()), HasSubstr("/weft-hostlib-"));
  EXPECT_THAT(mappingsOf(tmp.path()), HasSubstr("(deleted)"));
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path(), ec));
  size_t fn = 0;
  ASSERT_EQ(takeMessage(weft_module_lookup(module, "add", &fn)), "");
  weft_tensor_t *a = nullptr, *sum = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_parse("2x3xf32=1.5", &a)), "");
  ASSERT_EQ(takeMessage(weft_tensor_parse("2x3xf32=0", &sum)), "");
  weft_tensor_t *args[] = {a, a};
  EXPECT_EQ(takeMessage(weft_module_invoke(module, fn, args, 2, &sum, 1)), "");
  EXPECT_EQ(weft_tensor_element_f64(sum, 4), 3.0);
  weft_tensor_free(a);
  weft_tensor_free(sum);
  weft_module_close(module);
  dlclose(stale);
}

TEST(ArtifactWriterTest, RejectsInvalidContainers) {
  ScratchDirectory dir;
  std::string path = dir.file("a.weft");
  using weft::runtime::writeArtifact;
  EXPECT_EQ(writeArtifact(path, {}),
            "cannot write artifact '" + path +
                "': 0 sections, expected 1 to 64");
  EXPECT_THAT(writeArtifact(path, {{"manifests", "x"}}),
              HasSubstr("section name 'manifests' must have 1 to 8 bytes"));
  EXPECT_THAT(writeArtifact(path, {{"", "x"}}),
              HasSubstr("section name '' must have 1 to 8 bytes"));
  EXPECT_THAT(writeArtifact(path, {{"a b", "x"}}),
              HasSubstr("section name 'a b' must be printable ASCII"));
  EXPECT_THAT(writeArtifact(path, {{"a", "x"}, {"a", "y"}}),
              HasSubstr("duplicate section 'a'"));
  std::vector<weft::runtime::ArtifactSection> many(65);
  for (size_t i = 0; i < many.size(); ++i)
    many[i].name = "s" + std::to_string(i);
  EXPECT_THAT(writeArtifact(path, many), HasSubstr("65 sections"));
  EXPECT_THAT(writeArtifact(dir.file("none/a.weft"), {{"a", "x"}}),
              HasSubstr("cannot create a temporary file beside"));
  many.resize(64);
  EXPECT_EQ(writeArtifact(path, many), "");
  // Empty sections at the 64-byte aligned end of the table.
  EXPECT_EQ(readFile(path).size(), 2112u);
}

} // namespace
