//===- SafetensorsTest.cpp - Unit tests of the safetensors reader ---------===//
//
// A valid file read back tensor by tensor, then one case per validation
// rule of weft_safetensors_open and weft_safetensors_read.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <climits>
#include <cstring>
#include <random>

using namespace weft::test;
using testing::HasSubstr;

namespace {

class SafetensorsTest : public testing::Test {
protected:
  std::string write(const std::string &bytes) {
    std::string path = dir.file("t" + std::to_string(counter++) + ".safetensors");
    writeFile(path, bytes);
    return path;
  }

  std::string openError(const std::string &bytes) {
    std::string path = write(bytes);
    weft_safetensors_t *file = nullptr;
    std::string message =
        takeMessage(weft_safetensors_open(path.c_str(), &file));
    EXPECT_EQ(file, nullptr);
    weft_safetensors_close(file);
    EXPECT_THAT(message, HasSubstr("safetensors file '" + path + "': "));
    return message;
  }

  /// A header with one F32 [2] tensor "w" at `offsets`, and `dataSize` bytes.
  std::string oneTensor(const std::string &fields, size_t dataSize = 8) {
    return buildSafetensorsRaw("{\"w\":{" + fields + "}}",
                               std::string(dataSize, '\0'));
  }

  ScratchDirectory dir;
  int counter = 0;
};

TEST_F(SafetensorsTest, ReadsEveryDtype) {
  std::vector<SafetensorsEntry> entries = {
      {"a.f16", "F16", {2}, std::string("\x00\x3c\x00\xc0", 4)}, // 1, -2
      {"a.bf16", "BF16", {1}, std::string("\x80\x3f", 2)},       // 1
      {"a.f32", "F32", {2, 1}, bytesOf(std::vector<float>{1.5f, -3})},
      {"a.f64", "F64", {}, std::string("\0\0\0\0\0\0\x10\x40", 8)}, // 4
      {"a.i32", "I32", {3}, bytesOf(std::vector<int32_t>{7, -8, 9})},
      {"a.i64", "I64", {0, 5}, ""},
  };
  std::string path = write(buildSafetensors(entries, R"({"k":"v"})"));
  weft_safetensors_t *file = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)), "");
  ASSERT_EQ(weft_safetensors_count(file), entries.size());
  EXPECT_STREQ(weft_safetensors_name(file, 0), "a.f16"); // Header order.
  EXPECT_STREQ(weft_safetensors_name(file, 5), "a.i64");
  EXPECT_EQ(weft_safetensors_name(file, 6), nullptr);

  struct Expect {
    const char *name;
    weft_dtype_t dtype;
    std::vector<int64_t> shape;
    std::vector<double> values;
  };
  std::vector<Expect> expected = {
      {"a.f16", WEFT_DTYPE_F16, {2}, {1, -2}},
      {"a.bf16", WEFT_DTYPE_BF16, {1}, {1}},
      {"a.f32", WEFT_DTYPE_F32, {2, 1}, {1.5, -3}},
      {"a.f64", WEFT_DTYPE_F64, {}, {4}},
      {"a.i32", WEFT_DTYPE_I32, {3}, {7, -8, 9}},
      {"a.i64", WEFT_DTYPE_I64, {0, 5}, {}},
  };
  for (const Expect &e : expected) {
    weft_tensor_t *t = nullptr;
    ASSERT_EQ(takeMessage(weft_tensor_create(
                  e.dtype, static_cast<int64_t>(e.shape.size()),
                  e.shape.data(), &t)),
              "");
    EXPECT_EQ(takeMessage(weft_safetensors_read(file, e.name, t)), "");
    for (size_t i = 0; i < e.values.size(); ++i)
      EXPECT_EQ(weft_tensor_element_f64(t, static_cast<int64_t>(i)),
                e.values[i])
          << e.name << "[" << i << "]";
    weft_tensor_free(t);
  }
  weft_safetensors_close(file);
}

TEST_F(SafetensorsTest, ReadChecksTypeAndName) {
  std::string path = write(buildSafetensors(
      {{"transformer.h.0.attn.c_attn.weight", "F32", {192, 64},
        std::string(192 * 64 * 4, '\0')}}));
  weft_safetensors_t *file = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)), "");
  weft_tensor_t *t = nullptr;
  int64_t shape[] = {64, 192};
  ASSERT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, 2, shape, &t)), "");
  EXPECT_EQ(takeMessage(weft_safetensors_read(
                file, "transformer.h.0.attn.c_attn.weight", t)),
            "safetensors file '" + path +
                "': tensor 'transformer.h.0.attn.c_attn.weight': expected "
                "f32 [64, 192], found f32 [192, 64]");
  EXPECT_EQ(takeMessage(weft_safetensors_read(file, "lm_head.weight", t)),
            "safetensors file '" + path + "': no tensor named 'lm_head.weight'");
  weft_tensor_free(t);
  int64_t right[] = {192, 64};
  ASSERT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_F16, 2, right, &t)), "");
  EXPECT_THAT(takeMessage(weft_safetensors_read(
                  file, "transformer.h.0.attn.c_attn.weight", t)),
              HasSubstr("expected f16 [192, 64], found f32 [192, 64]"));
  weft_tensor_free(t);
  weft_safetensors_close(file);
}

/// A tensor of `dtype` and `shape`.
weft_tensor_t *create(weft_dtype_t dtype, std::vector<int64_t> shape) {
  weft_tensor_t *t = nullptr;
  EXPECT_EQ(takeMessage(weft_tensor_create(
                dtype, static_cast<int64_t>(shape.size()), shape.data(), &t)),
            "");
  return t;
}

TEST_F(SafetensorsTest, ReadSliceMatchesTheWholeTensorAndCountsItsBytes) {
  // Distinct seeded values, in a file with another tensor before and after.
  std::mt19937 random(20240611);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> cube(6 * 4 * 5);
  for (float &v : cube)
    v = uniform(random);
  std::string path = write(buildSafetensors(
      {{"before", "I32", {3}, bytesOf(std::vector<int32_t>{1, 2, 3})},
       {"cube", "F32", {6, 4, 5}, bytesOf(cube)},
       {"after", "BF16", {2, 2}, std::string(8, '\x3f')}}));
  weft_safetensors_t *file = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)), "");
  EXPECT_EQ(weft_safetensors_bytes_read(file), 0u);

  struct Box {
    std::vector<int64_t> offsets, sizes;
  };
  const Box boxes[] = {
      {{0, 0, 0}, {6, 4, 5}}, // whole
      {{3, 0, 0}, {3, 4, 5}}, // rows: one run
      {{1, 2, 0}, {2, 2, 5}}, // whole last dimension: runs of 10
      {{0, 1, 2}, {6, 3, 2}}, // runs of 2
      {{5, 3, 4}, {1, 1, 1}}, // one element
      {{2, 0, 1}, {0, 4, 3}}, // empty
  };
  uint64_t expectedBytes = 0;
  for (const Box &box : boxes) {
    weft_tensor_t *slice = create(WEFT_DTYPE_F32, box.sizes);
    ASSERT_EQ(takeMessage(weft_safetensors_read_slice(
                  file, "cube", box.offsets.data(), slice)),
              "");
    for (int64_t i = 0; i < box.sizes[0]; ++i)
      for (int64_t j = 0; j < box.sizes[1]; ++j)
        for (int64_t k = 0; k < box.sizes[2]; ++k) {
          int64_t from = ((box.offsets[0] + i) * 4 + box.offsets[1] + j) * 5 +
                         box.offsets[2] + k;
          int64_t to = (i * box.sizes[1] + j) * box.sizes[2] + k;
          ASSERT_EQ(weft_tensor_element_f64(slice, to), cube[from])
              << i << ", " << j << ", " << k;
        }
    // Exactly the slice's bytes, nothing around them.
    expectedBytes += weft_tensor_num_bytes(slice);
    EXPECT_EQ(weft_safetensors_bytes_read(file), expectedBytes);
    weft_tensor_free(slice);
  }
  // Whole reads count too; a scalar-like 1-D slice and a rank-0 tensor.
  weft_tensor_t *before = create(WEFT_DTYPE_I32, {3});
  ASSERT_EQ(takeMessage(weft_safetensors_read(file, "before", before)), "");
  EXPECT_EQ(weft_safetensors_bytes_read(file), expectedBytes + 12);
  weft_tensor_t *one = create(WEFT_DTYPE_I32, {1});
  const int64_t at2[] = {2};
  ASSERT_EQ(takeMessage(weft_safetensors_read_slice(file, "before", at2, one)),
            "");
  EXPECT_EQ(weft_tensor_element_i64(one, 0), 3);
  EXPECT_EQ(weft_safetensors_bytes_read(file), expectedBytes + 16);
  weft_tensor_free(before);
  weft_tensor_free(one);
  EXPECT_EQ(weft_safetensors_bytes_read(nullptr), 0u);

  weft_dtype_t dtype = WEFT_DTYPE_F64;
  int64_t rank = -1;
  const int64_t *shape = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_tensor_type(file, "cube", &dtype,
                                                     &rank, &shape)),
            "");
  EXPECT_EQ(dtype, WEFT_DTYPE_F32);
  ASSERT_EQ(rank, 3);
  EXPECT_EQ(std::vector<int64_t>(shape, shape + 3),
            (std::vector<int64_t>{6, 4, 5}));
  EXPECT_EQ(takeMessage(weft_safetensors_tensor_type(file, "cubes", &dtype,
                                                     &rank, &shape)),
            "safetensors file '" + path + "': no tensor named 'cubes'");
  EXPECT_EQ(rank, 3); // Untouched on failure.
  weft_safetensors_close(file);
}

TEST_F(SafetensorsTest, ReadSliceChecksTheBox) {
  std::string path = write(
      buildSafetensors({{"w", "F32", {4, 6}, std::string(4 * 6 * 4, '\0')},
                        {"s", "F64", {}, std::string(8, '\0')}}));
  weft_safetensors_t *file = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)), "");
  std::string prefix = "safetensors file '" + path + "': ";
  weft_tensor_t *t = create(WEFT_DTYPE_F32, {2, 3});
  const int64_t inside[] = {2, 3}, below[] = {3, 0}, negative[] = {0, -1};
  const int64_t huge[] = {INT64_MAX, 0};
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "w", below, t)),
            prefix + "tensor 'w': slice [3:5, 0:3] is outside f32 [4, 6] in "
                     "dimension 0 (3 + 2 > 4)");
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "w", negative, t)),
            prefix + "tensor 'w': slice [0:2, -1:2] is outside f32 [4, 6] in "
                     "dimension 1 (offset -1 < 0)");
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "w", huge, t)),
            prefix + "tensor 'w': slice at offsets [9223372036854775807, 0] "
                     "of size [2, 3] is outside f32 [4, 6] in dimension 0 "
                     "(9223372036854775807 + 2 > 4)");
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "w", nullptr, t)),
            prefix + "tensor 'w': the offsets are null");
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "v", inside, t)),
            prefix + "no tensor named 'v'");
  weft_tensor_t *f64 = create(WEFT_DTYPE_F64, {2, 3});
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "w", inside, f64)),
            prefix + "tensor 'w': cannot take a slice of f64 [2, 3] from f32 "
                     "[4, 6]: the dtypes differ");
  weft_tensor_t *flat = create(WEFT_DTYPE_F32, {6});
  EXPECT_EQ(takeMessage(weft_safetensors_read_slice(file, "w", inside, flat)),
            prefix + "tensor 'w': cannot take a slice of f32 [6] from f32 "
                     "[4, 6]: the ranks differ");
  // Nothing was copied by the failures; a scalar needs no offsets.
  EXPECT_EQ(weft_safetensors_bytes_read(file), 0u);
  weft_tensor_t *scalar = create(WEFT_DTYPE_F64, {});
  EXPECT_EQ(
      takeMessage(weft_safetensors_read_slice(file, "s", nullptr, scalar)), "");
  EXPECT_EQ(weft_safetensors_bytes_read(file), 8u);
  for (weft_tensor_t *x : {t, f64, flat, scalar})
    weft_tensor_free(x);
  weft_safetensors_close(file);
}

TEST_F(SafetensorsTest, EmptyFileWithOnlyMetadata) {
  std::string path = write(buildSafetensorsRaw(R"({"__metadata__":{}})", ""));
  weft_safetensors_t *file = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)), "");
  EXPECT_EQ(weft_safetensors_count(file), 0u);
  weft_safetensors_close(file);
}

TEST_F(SafetensorsTest, RejectsBadLengths) {
  EXPECT_THAT(openError("abc"),
              HasSubstr("file is 3 bytes, too short for the 8-byte header length"));
  std::string bytes = buildSafetensorsRaw("{}", "");
  bytes[0] = 3;
  EXPECT_THAT(openError(bytes),
              HasSubstr("header length 3 exceeds the 2 bytes after it (is the "
                        "file truncated?)"));
  bytes = std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10);
  EXPECT_THAT(openError(bytes),
              HasSubstr("header length 18446744073709551615 exceeds the "
                        "100000000-byte limit"));
}

TEST_F(SafetensorsTest, RejectsBadJson) {
  EXPECT_THAT(openError(buildSafetensorsRaw("{\"w\":", "")),
              HasSubstr("invalid JSON header: unexpected end of JSON text at "
                        "byte 5"));
  EXPECT_THAT(openError(buildSafetensorsRaw("[]", "")),
              HasSubstr("header must be a JSON object, found an array"));
  EXPECT_THAT(openError(buildSafetensorsRaw("{\"w\":[[[[1]]]]}", "")),
              HasSubstr("nesting deeper than 4 levels"));
  EXPECT_THAT(openError(buildSafetensorsRaw(
                  R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                  R"("w":{"dtype":"F32","shape":[],"data_offsets":[4,8]}})",
                  std::string(8, '\0'))),
              HasSubstr("duplicate key 'w'"));
}

TEST_F(SafetensorsTest, RejectsBadEntries) {
  std::string offsets = R"("data_offsets":[0,8])";
  EXPECT_THAT(openError(buildSafetensorsRaw("{\"w\":3}", "")),
              HasSubstr("tensor 'w': expected an object, found an integer"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[2])")),
              HasSubstr("tensor 'w': missing 'data_offsets'"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[2],"x":1,)" + offsets)),
              HasSubstr("tensor 'w': unexpected key 'x'"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"U8","shape":[8],)" + offsets)),
              HasSubstr("tensor 'w': unsupported dtype 'U8' (supported: F16, "
                        "BF16, F32, F64, I32, I64)"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":32,"shape":[2],)" + offsets)),
              HasSubstr("tensor 'w': 'dtype' must be a string, found an integer"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[-2],)" + offsets)),
              HasSubstr("tensor 'w': 'shape' must be an array of non-negative "
                        "integers"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[2.0],)" + offsets)),
              HasSubstr("'shape' must be an array of non-negative integers"));
  EXPECT_THAT(
      openError(oneTensor(R"("dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],)" +
                          offsets)),
      HasSubstr("'shape' has 17 dimensions, more than 16"));
  EXPECT_THAT(openError(oneTensor(
                  R"("dtype":"F32","shape":[4294967296,4294967296],)" + offsets)),
              HasSubstr("more elements than fit in 63 bits"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[2],"data_offsets":[0])")),
              HasSubstr("'data_offsets' must be an array of two non-negative "
                        "integers"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[2],"data_offsets":[8,0])")),
              HasSubstr("data_offsets [8, 0] are reversed"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[2],"data_offsets":[0,16])")),
              HasSubstr("tensor 'w': data_offsets [0, 16] exceed the 8-byte data "
                        "section (is the file truncated?)"));
  EXPECT_THAT(openError(oneTensor(R"("dtype":"F32","shape":[3],)" + offsets)),
              HasSubstr("tensor 'w': data_offsets [0, 8] hold 8 bytes, expected "
                        "12 for f32 [3]"));
}

TEST_F(SafetensorsTest, RejectsOverlapsAndGaps) {
  auto entry = [](const char *name, int begin, int end) {
    return "\"" + std::string(name) +
           "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
  };
  EXPECT_THAT(openError(buildSafetensorsRaw(
                  "{" + entry("a", 0, 8) + "," + entry("b", 4, 12) + "}",
                  std::string(12, '\0'))),
              HasSubstr("tensor 'b' data_offsets [4, 12] overlap tensor 'a' "
                        "[0, 8]"));
  EXPECT_THAT(openError(buildSafetensorsRaw(
                  "{" + entry("a", 0, 8) + "," + entry("b", 12, 20) + "}",
                  std::string(20, '\0'))),
              HasSubstr("bytes [8, 12) of the data section belong to no tensor"));
  EXPECT_THAT(openError(buildSafetensorsRaw("{" + entry("a", 0, 8) + "}",
                                            std::string(9, '\0'))),
              HasSubstr("bytes [8, 9) of the data section belong to no tensor"));
  // Out of header order is fine as long as the tensors tile the data.
  std::string path = write(buildSafetensorsRaw(
      "{" + entry("b", 8, 16) + "," + entry("a", 0, 8) + "}",
      std::string(16, '\0')));
  weft_safetensors_t *file = nullptr;
  EXPECT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)), "");
  weft_safetensors_close(file);
}

TEST_F(SafetensorsTest, RejectsBadMetadata) {
  EXPECT_THAT(openError(buildSafetensorsRaw(R"({"__metadata__":[]})", "")),
              HasSubstr("'__metadata__' must be an object, found an array"));
  EXPECT_THAT(openError(buildSafetensorsRaw(R"({"__metadata__":{"n":1}})", "")),
              HasSubstr("'__metadata__' value 'n' must be a string, found an "
                        "integer"));
}

TEST_F(SafetensorsTest, TruncatedFileNamesTheTensor) {
  std::string bytes = testWeights();
  EXPECT_THAT(openError(bytes.substr(0, bytes.size() - 1)),
              HasSubstr("tensor 'model.scale': data_offsets [64, 68] exceed "
                        "the 67-byte data section (is the file truncated?)"));
}

TEST_F(SafetensorsTest, MissingFile) {
  weft_safetensors_t *file = nullptr;
  std::string path = dir.file("none.safetensors");
  EXPECT_EQ(takeMessage(weft_safetensors_open(path.c_str(), &file)),
            "safetensors file '" + path +
                "': cannot open: No such file or directory");
}

} // namespace
