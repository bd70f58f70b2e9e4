//===- RuntimeTestSupport.cpp - Files for the runtime tests ---------------===//
//
// In-memory builders of the runtime's file formats, for valid files and for
// the malformed ones the validation tests need.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"
#include "FakeCudaDriver.h"

#include "weft/runtime/ArtifactWriter.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace weft::test;

#ifndef WEFT_TEST_HOSTLIB
#error "WEFT_TEST_HOSTLIB must name the test host library"
#endif

std::string weft::test::takeMessage(weft_status_t status) {
  if (!status)
    return "";
  std::string message = weft_status_message(status);
  weft_status_free(status);
  return message;
}

std::string weft::test::readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void weft::test::writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string weft::test::bytesOf(const std::vector<float> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(float));
}

std::string weft::test::bytesOf(const std::vector<int32_t> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(int32_t));
}

std::string weft::test::buildSafetensorsRaw(const std::string &header,
                                            const std::string &data) {
  std::string out(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>(length >> (8 * i));
  return out + header + data;
}

std::string
weft::test::buildSafetensors(const std::vector<SafetensorsEntry> &entries,
                             const std::string &metadataJson) {
  std::string header = "{";
  if (!metadataJson.empty())
    header += "\"__metadata__\":" + metadataJson;
  std::string data;
  for (const SafetensorsEntry &e : entries) {
    if (header.size() > 1)
      header += ",";
    header += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(e.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + e.bytes.size()) + "]}";
    data += e.bytes;
  }
  header += "}";
  // The reference writer pads the header with spaces to 8 bytes.
  header.append((8 - header.size() % 8) % 8, ' ');
  return buildSafetensorsRaw(header, data);
}

/// The triple the test host library is built for, as weft-compile records.
#if defined(__x86_64__)
#define WEFT_TEST_TRIPLE "x86_64-unknown-linux-gnu"
#elif defined(__aarch64__)
#define WEFT_TEST_TRIPLE "aarch64-unknown-linux-gnu"
#else
#define WEFT_TEST_TRIPLE "unknown"
#endif

std::string weft::test::testManifest() {
  return R"({
  "format": "weft-artifact",
  "version": 1,
  "target": "cpu",
  "mesh": null,
  "host": {"triple": ")" WEFT_TEST_TRIPLE R"(", "cpu": "generic",
           "needed": ["libm.so.6"]},
  "functions": [
    {"name": "add", "symbol": "weft_entry_add",
     "arguments": [
       {"name": "a", "role": "input", "dtype": "f32", "shape": [2, 3]},
       {"name": "b", "role": "input", "dtype": "f32", "shape": [2, 3]}],
     "results": [{"name": "sum", "dtype": "f32", "shape": [2, 3]}]},
    {"name": "scale", "symbol": "weft_entry_scale",
     "arguments": [
       {"name": "x", "role": "input", "dtype": "f32", "shape": [2, 3]},
       {"name": "model.scale", "role": "weight", "dtype": "f32", "shape": []}],
     "results": [{"name": "y", "dtype": "f32", "shape": [2, 3]}]},
    {"name": "embed", "symbol": "weft_entry_embed",
     "arguments": [
       {"name": "ids", "role": "input", "dtype": "i32", "shape": [1, 4],
        "index_bound": 8},
       {"name": "embed.table", "role": "weight", "dtype": "f32",
        "shape": [8, 2]}],
     "results": [{"name": "hidden", "dtype": "f32", "shape": [1, 4, 2]}]},
    {"name": "count", "symbol": "weft_entry_count",
     "arguments": [
       {"name": "x", "role": "input", "dtype": "f64", "shape": [0, 3]}],
     "results": [{"name": "n", "dtype": "i64", "shape": []}]}
  ]
}
)";
}

std::string weft::test::testHostLibrary() { return readFile(WEFT_TEST_HOSTLIB); }

namespace {

void writeSections(
    const std::string &path,
    const std::vector<weft::runtime::ArtifactSection> &sections) {
  std::string message = weft::runtime::writeArtifact(path, sections);
  if (!message.empty()) {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::abort();
  }
}

/// The fake driver's built-in kernels, in every test image; the CUDA test
/// module lists the first two, or all three with tensor maps.
const char *const kCudaTestKernels[] = {"weft_test_scale", "weft_test_add",
                                        "weft_test_tensor_map_copy"};

} // namespace

void weft::test::writeTestArtifact(const std::string &path,
                                   const std::string &manifest) {
  writeSections(path, {{"manifest", manifest}, {"hostlib", testHostLibrary()}});
}

std::string weft::test::testCudaManifest(const std::string &chip,
                                         bool tensorMaps) {
  std::string kernels;
  for (size_t i = 0; i < (tensorMaps ? 3 : 2); ++i)
    kernels += std::string(kernels.empty() ? "" : ",\n      ") +
               "{\"name\": \"" + kCudaTestKernels[i] +
               "\", \"registers\": 16, \"stack_bytes\": 0, "
               "\"spill_store_bytes\": 0, \"spill_load_bytes\": 0, "
               "\"shared_bytes\": 0}";
  std::vector<const char *> misuses = {"bad_kernel", "bad_grid", "bad_free"};
  if (tensorMaps)
    misuses.push_back("bad_tensor_map");
  std::string misuse;
  for (const char *name : misuses)
    misuse += std::string(",\n    {\"name\": \"") + name +
              "\", \"symbol\": \"weft_entry_" + name + R"(",
     "arguments": [{"name": "x", "role": "input", "dtype": "f32", "shape": [2]}],
     "results": [{"name": "y", "dtype": "f32", "shape": [2]}]})";
  return R"({
  "format": "weft-artifact",
  "version": 1,
  "target": "cuda",
  "mesh": null,
  "host": {"triple": ")" WEFT_TEST_TRIPLE R"(", "cpu": "generic",
           "needed": ["libm.so.6"]},
  "device": {"chip": ")" +
         chip + R"(", "kernels": [
      )" +
         kernels +
         R"(]},
  "functions": [
    {"name": "scale_add", "symbol": "weft_entry_scale_add",
     "arguments": [
       {"name": "x", "role": "input", "dtype": "f32", "shape": [2, 3]},
       {"name": "model.scale", "role": "weight", "dtype": "f32", "shape": []},
       {"name": "b", "role": "input", "dtype": "f32", "shape": [2, 3]}],
     "results": [{"name": "y", "dtype": "f32", "shape": [2, 3]}]})" +
         misuse + R"(,
    {"name": "allsum_device", "symbol": "weft_entry_allsum_device",
     "arguments": [
       {"name": "x", "role": "input", "dtype": "f32", "shape": [2, 3]}],
     "results": [{"name": "sum", "dtype": "f32", "shape": [2, 3]}]})" +
         std::string(tensorMaps ? R"(,
    {"name": "tensor_map_copy", "symbol": "weft_entry_tensor_map_copy",
     "arguments": [
       {"name": "x", "role": "input", "dtype": "f32", "shape": [4, 8]}],
     "results": [{"name": "y", "dtype": "f32", "shape": [4, 4]}]})"
                                : "") +
         R"(
  ]
}
)";
}

void weft::test::writeTestCudaArtifact(const std::string &path,
                                       const std::string &manifest,
                                       const std::string &omit) {
  // Fake PTX: ".entry NAME" names a built-in kernel of the fake driver.
  std::string ptx = "// fake PTX for the fake CUDA driver\n";
  // The fake binary image: a NULL kernel also names a built-in one.
  weft_fake_cuda_image_header_t header = {};
  std::memcpy(header.magic, WEFT_FAKE_CUDA_IMAGE_MAGIC, 8);
  header.num_kernels = std::size(kCudaTestKernels);
  std::string cubin(reinterpret_cast<const char *>(&header), sizeof(header));
  for (const char *name : kCudaTestKernels) {
    ptx += std::string(".entry ") + name + "\n";
    weft_fake_cuda_image_kernel_t entry = {};
    std::snprintf(entry.name, sizeof(entry.name), "%s", name);
    cubin.append(reinterpret_cast<const char *>(&entry), sizeof(entry));
  }
  std::vector<weft::runtime::ArtifactSection> sections;
  for (weft::runtime::ArtifactSection section :
       std::vector<weft::runtime::ArtifactSection>{
           {"manifest", manifest},
           {"hostlib", testHostLibrary()},
           {"ptx", ptx},
           {"cubin", cubin}})
    if (section.name != omit)
      sections.push_back(std::move(section));
  writeSections(path, sections);
}

std::string weft::test::testWeights() {
  std::vector<float> table;
  for (int i = 0; i < 8; ++i) {
    table.push_back(static_cast<float>(i));
    table.push_back(static_cast<float>(-i));
  }
  return buildSafetensors(
      {{"embed.table", "F32", {8, 2}, bytesOf(table)},
       {"model.scale", "F32", {}, bytesOf(std::vector<float>{2.0f})}},
      R"({"format":"pt"})");
}

namespace {

/// "[a, b]" of the sizes, for manifests.
std::string jsonList(const std::vector<int64_t> &values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

/// The whole shape of regather's w and allsum's x.
std::vector<int64_t> shardedShape(const std::vector<int64_t> &mesh) {
  return {2 * mesh[0], 3 * (mesh.size() > 1 ? mesh[1] : 1)};
}

} // namespace

std::string weft::test::testShardedManifest(const std::vector<int64_t> &mesh) {
  const char *axisNames[] = {"\"x\"", "\"x\", \"y\""};
  std::string split = mesh.size() > 1 ? "[[0], [1]]" : "[[0]]";
  std::string shape = jsonList(shardedShape(mesh));
  int64_t devices = 1;
  for (int64_t size : mesh)
    devices *= size;
  std::string coords = jsonList({devices, static_cast<int64_t>(mesh.size())});
  std::string ids = jsonList({1, 4 * mesh[0]});
  return R"({
  "format": "weft-artifact",
  "version": 1,
  "target": "cpu",
  "mesh": {"name": "mesh", "shape": )" +
         jsonList(mesh) + R"(, "axes": [)" + axisNames[mesh.size() > 1] +
         R"(]},
  "functions": [
    {"name": "regather", "symbol": "weft_entry_regather",
     "arguments": [
       {"name": "w", "role": "weight", "dtype": "f32", "shape": )" +
         shape + R"(, "sharding": )" + split + R"(}],
     "results": [{"name": "whole", "dtype": "f32", "shape": )" +
         shape + R"(}]},
    {"name": "allsum", "symbol": "weft_entry_allsum",
     "arguments": [
       {"name": "x", "role": "input", "dtype": "f32", "shape": )" +
         shape + R"(, "sharding": )" + split + R"(}],
     "results": [{"name": "sum", "dtype": "f32", "shape": [2, 3]}]},
    {"name": "where", "symbol": "weft_entry_where",
     "arguments": [
       {"name": "ids", "role": "input", "dtype": "i32", "shape": )" +
         ids + R"(, "index_bound": 8, "sharding": [[], [0]]}],
     "results": [{"name": "coords", "dtype": "i64", "shape": )" +
         coords + R"(},
                 {"name": "ids_whole", "dtype": "i32", "shape": )" +
         ids + R"(}]},
    {"name": "bad", "symbol": "weft_entry_bad",
     "arguments": [{"name": "x", "role": "input", "dtype": "f32", "shape": [2]}],
     "results": [{"name": "y", "dtype": "f32", "shape": [2]}]}
  ]
}
)";
}

std::vector<float>
weft::test::testShardedWeight(const std::vector<int64_t> &mesh) {
  std::vector<int64_t> shape = shardedShape(mesh);
  std::vector<float> w;
  for (int64_t r = 0; r < shape[0]; ++r)
    for (int64_t c = 0; c < shape[1]; ++c)
      w.push_back(static_cast<float>(100 * r + c));
  return w;
}

std::string weft::test::testShardedWeights(const std::vector<int64_t> &mesh) {
  return buildSafetensors(
      {{"other", "F32", {5}, bytesOf(std::vector<float>{1, 2, 3, 4, 5})},
       {"w", "F32", shardedShape(mesh), bytesOf(testShardedWeight(mesh))}});
}

ScratchDirectory::ScratchDirectory() {
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/weft-runtime-test-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  root = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
}
