//===- SafetensorsTest.cpp - Unit tests of the safetensors reader ---------===//
//
// A valid file read back tensor by tensor, then one case per validation
// rule of weft_safetensors_open and weft_safetensors_read.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>

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
