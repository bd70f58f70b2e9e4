//===- NpyTest.cpp - Unit tests of the .npy reader and writer -------------===//
//
// Round trips for every supported dtype and rank, headers as NumPy writes
// them in each format version, and one case per malformed header.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <filesystem>
#include <sys/stat.h>

using namespace weft::test;
using testing::HasSubstr;

namespace {

class NpyTest : public testing::Test {
protected:
  /// Writes an .npy file from a header dict and data, in `version`.
  std::string writeNpy(const std::string &dict, const std::string &data,
                       int version = 1) {
    std::string header = dict;
    size_t prelude = version == 1 ? 10 : 12;
    header.append((64 - (prelude + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += static_cast<char>(version);
    bytes += '\0';
    uint32_t length = static_cast<uint32_t>(header.size());
    bytes.append(reinterpret_cast<const char *>(&length), version == 1 ? 2 : 4);
    std::string path = dir.file("t" + std::to_string(counter++) + ".npy");
    writeFile(path, bytes + header + data);
    return path;
  }

  std::string readError(const std::string &path) {
    weft_tensor_t *t = nullptr;
    std::string message = takeMessage(weft_tensor_read_npy(path.c_str(), &t));
    EXPECT_EQ(t, nullptr);
    weft_tensor_free(t);
    return message;
  }

  ScratchDirectory dir;
  int counter = 0;
};

TEST_F(NpyTest, RoundTripsEveryDtype) {
  const char *literals[] = {"2x3xf16=[1 -2.5 3][0.5 65504 -0.125]",
                            "2x3xf32=[1.5 -2 3e10][4 5 -6.25]",
                            "2x3xf64=[1e-300 2 3][4 5 6.000001]",
                            "2x3xi32=[1 -2 3][2147483647 -2147483648 0]",
                            "2x3xi64=[1 -2 3][9223372036854775807 5 -6]"};
  for (const char *literal : literals) {
    weft_tensor_t *original = nullptr;
    ASSERT_EQ(takeMessage(weft_tensor_parse(literal, &original)), "");
    std::string path = dir.file("round.npy");
    ASSERT_EQ(takeMessage(weft_tensor_write_npy(original, path.c_str())), "");
    weft_tensor_t *read = nullptr;
    ASSERT_EQ(takeMessage(weft_tensor_read_npy(path.c_str(), &read)), "");
    EXPECT_EQ(weft_tensor_dtype(read), weft_tensor_dtype(original)) << literal;
    ASSERT_EQ(weft_tensor_rank(read), 2);
    EXPECT_EQ(weft_tensor_shape(read)[0], 2);
    EXPECT_EQ(weft_tensor_shape(read)[1], 3);
    ASSERT_EQ(weft_tensor_num_bytes(read), weft_tensor_num_bytes(original));
    EXPECT_EQ(std::memcmp(weft_tensor_data(read), weft_tensor_data(original),
                          weft_tensor_num_bytes(read)),
              0)
        << literal;
    weft_tensor_free(original);
    weft_tensor_free(read);
  }
}

TEST_F(NpyTest, WritesNumPyHeaders) {
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_parse("3xi32=7", &t)), "");
  std::string path = dir.file("vec.npy");
  ASSERT_EQ(takeMessage(weft_tensor_write_npy(t, path.c_str())), "");
  weft_tensor_free(t);
  std::string bytes = readFile(path);
  ASSERT_EQ(bytes.size(), 128u + 12u); // Data starts at a multiple of 64.
  EXPECT_EQ(bytes.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
  std::string dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
  EXPECT_EQ(bytes.substr(10, dict.size()), dict);
  EXPECT_EQ(bytes.find_first_not_of(' ', 10 + dict.size()), 127u);
  EXPECT_EQ(bytes[127], '\n');

  ASSERT_EQ(takeMessage(weft_tensor_parse("f64=1", &t)), "");
  ASSERT_EQ(takeMessage(weft_tensor_write_npy(t, path.c_str())), "");
  weft_tensor_free(t);
  EXPECT_THAT(readFile(path), HasSubstr("'shape': (), }"));
}

TEST_F(NpyTest, ReadsEveryFormatVersionAndRank) {
  std::string data = bytesOf(std::vector<float>{1, 2, 3, 4, 5, 6});
  for (int version : {1, 2, 3}) {
    std::string path = writeNpy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", data,
        version);
    weft_tensor_t *t = nullptr;
    ASSERT_EQ(takeMessage(weft_tensor_read_npy(path.c_str(), &t)), "");
    EXPECT_EQ(weft_tensor_rank(t), 3);
    EXPECT_EQ(weft_tensor_element_f64(t, 5), 6.0);
    weft_tensor_free(t);
  }
  // Key order, quoting and spacing vary between writers.
  std::string path = writeNpy(
      "{\"shape\":(6,),\"fortran_order\":False,\"descr\":\"<f4\"}", data);
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_read_npy(path.c_str(), &t)), "");
  EXPECT_EQ(weft_tensor_num_elements(t), 6);
  weft_tensor_free(t);
  // Python 2 NumPy wrote long literals.
  path = writeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
                  data);
  ASSERT_EQ(takeMessage(weft_tensor_read_npy(path.c_str(), &t)), "");
  EXPECT_EQ(weft_tensor_shape(t)[1], 3);
  weft_tensor_free(t);
}

TEST_F(NpyTest, RejectsUnsupportedArrays) {
  auto dict = [](const std::string &descr, const std::string &order,
                 const std::string &shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + order +
           ", 'shape': " + shape + ", }";
  };
  std::string four(16, '\0');
  EXPECT_THAT(readError(writeNpy(dict(">f4", "False", "(4,)"), four)),
              HasSubstr("dtype '>f4' is big-endian"));
  EXPECT_THAT(readError(writeNpy(dict("<u2", "False", "(8,)"), four)),
              HasSubstr("unsupported dtype '<u2' (expected <f2, <f4, <f8, "
                        "<i4 or <i8)"));
  EXPECT_THAT(readError(writeNpy(dict("<V2", "False", "(8,)"), four)),
              HasSubstr("dtype '<V2' (raw 2-byte values, as bfloat16 arrays "
                        "are saved) is not supported; read bf16 tensors from "
                        "safetensors"));
  EXPECT_THAT(readError(writeNpy(dict("<f4", "True", "(2, 2)"), four)),
              HasSubstr("Fortran-order arrays are not supported"));
  EXPECT_THAT(
      readError(writeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                         "'shape': (4,), }",
                         four)),
      HasSubstr("structured dtypes are not supported"));
}

TEST_F(NpyTest, RejectsMalformedHeaders) {
  std::string four(16, '\0');
  std::string base = "'descr': '<f4', 'fortran_order': False";
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': (4), }", four)),
              HasSubstr("'shape' (4) is not a tuple; expected (4,)"));
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': (-4,), }", four)),
              HasSubstr("expected a non-negative dimension"));
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': (4,), 'x': 1}", four)),
              HasSubstr("unexpected key 'x'"));
  EXPECT_THAT(readError(writeNpy("{" + base + "}", four)),
              HasSubstr("missing key 'shape'"));
  EXPECT_THAT(
      readError(writeNpy("{" + base + ", 'shape': (4,), 'shape': (4,)}", four)),
      HasSubstr("duplicate key 'shape'"));
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': (4,) ", four)),
              HasSubstr("expected ','"));
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': (4,)} x", four)),
              HasSubstr("unexpected characters after the header dict"));
  EXPECT_THAT(readError(writeNpy("{'descr: '<f4'}", four)),
              HasSubstr("expected ':'"));
  EXPECT_THAT(
      readError(writeNpy("{" + base + ", 'shape': (99999999999999999999,)}",
                         four)),
      HasSubstr("dimension does not fit in 64 bits"));
  std::string rank17 = "(";
  for (int i = 0; i < 17; ++i)
    rank17 += "1, ";
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': " + rank17 + ")}",
                                 four)),
              HasSubstr("shape has more than 16 dimensions"));
  EXPECT_THAT(readError(writeNpy("{" + base + ", 'shape': [4]}", four)),
              HasSubstr("expected '(' at header byte"));
}

TEST_F(NpyTest, RejectsSizesThatDisagreeWithTheFile) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string path = writeNpy(dict, std::string(20, '\0'));
  EXPECT_THAT(readError(path),
              HasSubstr("data is 20 bytes, expected 24 for f32 [2, 3]"));
  path = writeNpy(dict, std::string(28, '\0'));
  EXPECT_THAT(readError(path), HasSubstr("data is 28 bytes, expected 24"));
  // A huge shape in a small file fails on the size check, not on memory.
  path = writeNpy("{'descr': '<f8', 'fortran_order': False, "
                  "'shape': (1000000, 1000000, 1000000), }",
                  "");
  EXPECT_THAT(readError(path), HasSubstr("data is 0 bytes, expected 8000000000000000000"));
  path = writeNpy("{'descr': '<f8', 'fortran_order': False, "
                  "'shape': (4611686018427387904, 4), }",
                  "");
  EXPECT_THAT(readError(path), HasSubstr("more elements than fit in 63 bits"));

  std::string bytes = readFile(writeNpy(dict, std::string(24, '\0')));
  writeFile(dir.file("short.npy"), bytes.substr(0, 9));
  EXPECT_THAT(readError(dir.file("short.npy")),
              HasSubstr("too short for the header length"));
  bytes[8] = '\xff';
  bytes[9] = '\x7f';
  writeFile(dir.file("long.npy"), bytes);
  EXPECT_THAT(readError(dir.file("long.npy")),
              HasSubstr("header length 32767 exceeds the"));
  bytes[6] = 4;
  writeFile(dir.file("v4.npy"), bytes);
  EXPECT_THAT(readError(dir.file("v4.npy")),
              HasSubstr("unsupported .npy format version 4.0"));
  writeFile(dir.file("text.npy"), "hello world");
  EXPECT_THAT(readError(dir.file("text.npy")),
              HasSubstr("not a .npy file (missing the \\x93NUMPY magic)"));
}

TEST_F(NpyTest, MessagesNameTheFile) {
  std::string path = dir.file("missing.npy");
  EXPECT_EQ(readError(path), "npy file '" + path +
                                 "': cannot open: No such file or directory");
  EXPECT_THAT(readError(dir.path()), HasSubstr("is a directory"));
}

TEST_F(NpyTest, WriteRejectsBf16AndLeavesNoPartialFile) {
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_parse("2xbf16=1", &t)), "");
  std::string path = dir.file("bf16.npy");
  EXPECT_THAT(takeMessage(weft_tensor_write_npy(t, path.c_str())),
              HasSubstr("cannot write bf16 tensor to '" + path + "'"));
  weft_tensor_free(t);
  struct stat info;
  EXPECT_NE(stat(path.c_str(), &info), 0);

  ASSERT_EQ(takeMessage(weft_tensor_parse("2xf32=1", &t)), "");
  std::string bad = dir.file("no-such-dir/out.npy");
  EXPECT_THAT(takeMessage(weft_tensor_write_npy(t, bad.c_str())),
              HasSubstr("cannot create a temporary file beside '" + bad + "'"));
  // Renaming onto a directory fails after the data is written; the
  // temporary file beside it must be gone.
  std::string sub = dir.file("sub");
  ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
  EXPECT_THAT(takeMessage(weft_tensor_write_npy(t, sub.c_str())),
              HasSubstr("cannot rename"));
  weft_tensor_free(t);
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(dir.path(), ec))
    EXPECT_EQ(entry.path().filename(), "sub");
}

} // namespace
