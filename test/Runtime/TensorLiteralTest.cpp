//===- TensorLiteralTest.cpp - Unit tests of tensor literals --------------===//
//
// iree-run-module's literal forms, element conversion per dtype, and the
// messages for each malformed literal.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace weft::test;
using testing::HasSubstr;

namespace {

/// The elements of a parsed literal as doubles; fails the test on error.
std::vector<double> elements(const char *literal, weft_dtype_t dtype,
                             std::vector<int64_t> shape) {
  weft_tensor_t *t = nullptr;
  std::string message = takeMessage(weft_tensor_parse(literal, &t));
  EXPECT_EQ(message, "") << literal;
  if (!t)
    return {};
  EXPECT_EQ(weft_tensor_dtype(t), dtype) << literal;
  EXPECT_EQ(std::vector<int64_t>(weft_tensor_shape(t),
                                 weft_tensor_shape(t) + weft_tensor_rank(t)),
            shape)
      << literal;
  std::vector<double> out;
  for (int64_t i = 0; i < weft_tensor_num_elements(t); ++i)
    out.push_back(weft_tensor_element_f64(t, i));
  weft_tensor_free(t);
  return out;
}

std::string parseError(const char *literal) {
  weft_tensor_t *t = nullptr;
  std::string message = takeMessage(weft_tensor_parse(literal, &t));
  EXPECT_EQ(t, nullptr);
  weft_tensor_free(t);
  return message;
}

using V = std::vector<double>;

TEST(TensorLiteralTest, IreeForms) {
  EXPECT_EQ(elements("2x3xf32=[1 2 3][4 5 6]", WEFT_DTYPE_F32, {2, 3}),
            (V{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(elements("f32=2.5", WEFT_DTYPE_F32, {}), (V{2.5}));
  EXPECT_EQ(elements("4xi32=1 2 3 4", WEFT_DTYPE_I32, {4}), (V{1, 2, 3, 4}));
  EXPECT_EQ(elements("2x2xf32=0.5", WEFT_DTYPE_F32, {2, 2}),
            (V{0.5, 0.5, 0.5, 0.5}));
  EXPECT_EQ(elements("2x2xi64=[[1, -2], [+3, 4]]", WEFT_DTYPE_I64, {2, 2}),
            (V{1, -2, 3, 4}));
  EXPECT_EQ(elements(" 3xf64 = 1e-3,2E2 -inf", WEFT_DTYPE_F64, {3}),
            (V{1e-3, 200, -INFINITY}));
  EXPECT_EQ(elements("0x3xf32=", WEFT_DTYPE_F32, {0, 3}), V{});
  EXPECT_EQ(elements("0xf32=7", WEFT_DTYPE_F32, {0}), V{});
}

TEST(TensorLiteralTest, RoundsToTheElementType) {
  // 0.1 is not representable: each type stores its own nearest value.
  EXPECT_EQ(elements("f16=0.1", WEFT_DTYPE_F16, {}), (V{0.0999755859375}));
  EXPECT_EQ(elements("bf16=0.1", WEFT_DTYPE_BF16, {}), (V{0.10009765625}));
  EXPECT_EQ(elements("f32=0.1", WEFT_DTYPE_F32, {}),
            (V{static_cast<double>(0.1f)}));
  EXPECT_EQ(elements("f64=0.1", WEFT_DTYPE_F64, {}), (V{0.1}));
  EXPECT_EQ(elements("f16=1e6", WEFT_DTYPE_F16, {}), (V{INFINITY}));
  std::vector<double> nan = elements("f32=nan", WEFT_DTYPE_F32, {});
  ASSERT_EQ(nan.size(), 1u);
  EXPECT_TRUE(std::isnan(nan[0]));
}

TEST(TensorLiteralTest, IntegersAreExactAndRangeChecked) {
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_parse(
                "2xi64=9223372036854775807 -9223372036854775808", &t)),
            "");
  int64_t values[2];
  std::memcpy(values, weft_tensor_data(t), sizeof(values));
  EXPECT_EQ(values[0], INT64_MAX);
  EXPECT_EQ(values[1], INT64_MIN);
  weft_tensor_free(t);
  EXPECT_THAT(parseError("i32=2147483648"),
              HasSubstr("value 2147483648 is out of range for i32"));
  EXPECT_THAT(parseError("i64=9223372036854775808"),
              HasSubstr("value '9223372036854775808' is out of range for i64"));
  EXPECT_THAT(parseError("2xi32=1 2.5"), HasSubstr("invalid integer '2.5'"));
}

TEST(TensorLiteralTest, CountMismatchStatesExpectedAndFound) {
  EXPECT_EQ(parseError("2x3xf32=[1 2 3][4 5]"),
            "tensor literal '2x3xf32=[1 2 3][4 5]': expected 6 values for "
            "2x3xf32, found 5");
  EXPECT_THAT(parseError("f32="), HasSubstr("expected 1 values for f32, found 0"));
  EXPECT_THAT(parseError("2xf32=1 2 3"), HasSubstr("expected 2 values for 2xf32, found 3"));
}

TEST(TensorLiteralTest, RejectsMalformedLiterals) {
  EXPECT_THAT(parseError("2x3xf32"),
              HasSubstr("expected <shape>x<type>=<values>, e.g. 2x3xf32="));
  EXPECT_THAT(parseError("2x3xf8=1"), HasSubstr("unknown element type 'f8'"));
  EXPECT_THAT(parseError("2xx3xf32=1"), HasSubstr("invalid dimension ''"));
  EXPECT_THAT(parseError("-2xf32=1"), HasSubstr("invalid dimension '-2'"));
  EXPECT_THAT(parseError("2.5xf32=1"), HasSubstr("invalid dimension '2.5'"));
  EXPECT_THAT(parseError("2xf32=1 two"), HasSubstr("invalid number 'two'"));
  EXPECT_THAT(parseError("2xf32=1 2x"), HasSubstr("invalid number '2x'"));
  EXPECT_THAT(parseError("f64=1e999"), HasSubstr("value '1e999' is out of range for f64"));
  EXPECT_THAT(parseError("2xf32=[1 2"), HasSubstr("unbalanced '['"));
  EXPECT_THAT(parseError("2xf32=1] 2"), HasSubstr("unbalanced ']'"));
  EXPECT_THAT(parseError("1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1xf32=1"),
              HasSubstr("more than 16 dimensions"));
  EXPECT_THAT(parseError("99999999999999999999xf32=1"),
              HasSubstr("invalid dimension"));
  // Checked before allocating, so this fails fast instead of using memory.
  EXPECT_THAT(parseError("1000000000000x1000000xf32=1 2"),
              HasSubstr("expected 1000000000000000000 values"));
}

} // namespace
