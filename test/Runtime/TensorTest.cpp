//===- TensorTest.cpp - Unit tests of dtypes, tensors and f16/bf16 --------===//
//
// Tensor creation limits, storage guarantees, element access, and the
// 16-bit float conversions (exhaustively where the domain is small).
//
//===----------------------------------------------------------------------===//

#include "Tensor.h"
#include "Float16.h"
#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace weft::runtime;
using namespace weft::test;
using testing::HasSubstr;

namespace {

TEST(DtypeTest, NamesSizesAndParsing) {
  const char *names[] = {"f16", "bf16", "f32", "f64", "i32", "i64"};
  const size_t sizes[] = {2, 2, 4, 8, 4, 8};
  for (int d = 0; d < 6; ++d) {
    auto dtype = static_cast<weft_dtype_t>(d);
    EXPECT_STREQ(weft_dtype_name(dtype), names[d]);
    EXPECT_EQ(weft_dtype_size(dtype), sizes[d]);
    weft_dtype_t parsed = WEFT_DTYPE_F32;
    EXPECT_EQ(takeMessage(weft_dtype_parse(names[d], &parsed)), "");
    EXPECT_EQ(parsed, dtype);
  }
  weft_dtype_t parsed = WEFT_DTYPE_F16;
  EXPECT_EQ(takeMessage(weft_dtype_parse("float32", &parsed)),
            "unknown dtype 'float32' (expected f16, bf16, f32, f64, i32 or i64)");
  EXPECT_EQ(parsed, WEFT_DTYPE_F16); // Untouched on failure.
  EXPECT_EQ(weft_dtype_size(static_cast<weft_dtype_t>(42)), 0u);
}

TEST(TensorTest, CreateIsZeroedAndAligned) {
  int64_t shape[] = {3, 5};
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_F64, 2, shape, &t)), "");
  EXPECT_EQ(weft_tensor_dtype(t), WEFT_DTYPE_F64);
  EXPECT_EQ(weft_tensor_rank(t), 2);
  EXPECT_EQ(weft_tensor_shape(t)[1], 5);
  EXPECT_EQ(weft_tensor_num_elements(t), 15);
  EXPECT_EQ(weft_tensor_num_bytes(t), 120u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(weft_tensor_data(t)) % 64, 0u);
  std::string zeros(120, '\0');
  EXPECT_EQ(std::memcmp(weft_tensor_data(t), zeros.data(), 120), 0);
  weft_tensor_free(t);
}

TEST(TensorTest, ScalarsAndEmptyTensors) {
  weft_tensor_t *scalar = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_I32, 0, nullptr, &scalar)),
            "");
  EXPECT_EQ(weft_tensor_num_elements(scalar), 1);
  EXPECT_EQ(weft_tensor_num_bytes(scalar), 4u);
  weft_tensor_free(scalar);

  // A zero size makes the tensor empty however large the others are.
  int64_t shape[] = {INT64_MAX, 0, INT64_MAX};
  weft_tensor_t *empty = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, 3, shape, &empty)),
            "");
  EXPECT_EQ(weft_tensor_num_elements(empty), 0);
  EXPECT_NE(weft_tensor_data(empty), nullptr);
  weft_tensor_free(empty);
  weft_tensor_free(nullptr);
}

TEST(TensorTest, CreateRejectsBadShapes) {
  weft_tensor_t *t = nullptr;
  int64_t big[17] = {};
  EXPECT_THAT(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, 17, big, &t)),
              HasSubstr("rank 17 is outside [0, 16]"));
  EXPECT_THAT(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, -1, big, &t)),
              HasSubstr("rank -1 is outside [0, 16]"));
  int64_t negative[] = {2, -3};
  EXPECT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, 2, negative, &t)),
            "cannot create tensor: shape [2, -3] has negative size -3");
  int64_t overflow[] = {INT64_MAX / 2, 3};
  EXPECT_THAT(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, 2, overflow, &t)),
              HasSubstr("more elements than fit in 63 bits"));
  int64_t bytes[] = {INT64_MAX / 4};
  EXPECT_THAT(takeMessage(weft_tensor_create(WEFT_DTYPE_F64, 1, bytes, &t)),
              HasSubstr("needs more bytes than fit in 63 bits"));
  int64_t ok[] = {2};
  EXPECT_THAT(takeMessage(weft_tensor_create(static_cast<weft_dtype_t>(9), 1,
                                             ok, &t)),
              HasSubstr("invalid dtype 9"));
  EXPECT_THAT(takeMessage(weft_tensor_create(WEFT_DTYPE_F32, 1, ok, nullptr)),
              HasSubstr("'tensor' is null"));
  EXPECT_EQ(t, nullptr);
}

TEST(TensorTest, ElementAccessConvertsEveryDtype) {
  weft_tensor_t *t = nullptr;
  ASSERT_EQ(takeMessage(weft_tensor_parse("3xi64=-7 0 9007199254740993", &t)),
            "");
  EXPECT_EQ(weft_tensor_element_f64(t, 0), -7.0);
  EXPECT_EQ(weft_tensor_element_f64(t, 2), 9007199254740992.0); // Rounded.
  EXPECT_TRUE(std::isnan(weft_tensor_element_f64(t, 3)));
  EXPECT_TRUE(std::isnan(weft_tensor_element_f64(t, -1)));
  EXPECT_EQ(weft_tensor_element_i64(t, 0), -7);
  EXPECT_EQ(weft_tensor_element_i64(t, 2), 9007199254740993); // Exact.
  EXPECT_EQ(weft_tensor_element_i64(t, 3), 0);
  weft_tensor_free(t);
  ASSERT_EQ(takeMessage(weft_tensor_parse("2xi32=-2147483648 5", &t)), "");
  EXPECT_EQ(weft_tensor_element_i64(t, 0), INT32_MIN);
  EXPECT_EQ(weft_tensor_element_f64(t, 1), 5.0);
  EXPECT_EQ(weft_tensor_element_i64(t, -1), 0);
  weft_tensor_free(t);
  ASSERT_EQ(takeMessage(weft_tensor_parse("2xbf16=1.5 -3", &t)), "");
  EXPECT_EQ(weft_tensor_element_f64(t, 0), 1.5);
  EXPECT_EQ(weft_tensor_element_f64(t, 1), -3.0);
  EXPECT_EQ(weft_tensor_element_i64(t, 0), 0); // Float tensors have none.
  weft_tensor_free(t);
}

/// A tensor of `shape` whose element i (row-major) is i, as `dtype`.
weft_tensor_t *iota(weft_dtype_t dtype, const std::vector<int64_t> &shape) {
  weft_tensor_t *t = nullptr;
  EXPECT_EQ(takeMessage(weft_tensor_create(
                dtype, static_cast<int64_t>(shape.size()), shape.data(), &t)),
            "");
  for (int64_t i = 0; i < weft_tensor_num_elements(t); ++i) {
    if (dtype == WEFT_DTYPE_I32 || dtype == WEFT_DTYPE_I64)
      storeInteger(dtype, weft_tensor_data(t), i, i);
    else
      storeFloat(dtype, weft_tensor_data(t), i, static_cast<double>(i));
  }
  return t;
}

TEST(TensorTest, CopySliceCopiesEveryBox) {
  // Random boxes of random tensors (seeded per case), each element checked
  // against its index in the source.
  const weft_dtype_t dtypes[] = {WEFT_DTYPE_BF16, WEFT_DTYPE_I32,
                                 WEFT_DTYPE_F64};
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    std::mt19937 random(seed);
    auto upTo = [&](int64_t n) {
      return std::uniform_int_distribution<int64_t>(0, n)(random);
    };
    weft_dtype_t dtype = dtypes[seed % 3];
    int64_t rank = upTo(4);
    std::vector<int64_t> shape(rank), offsets(rank), sizes(rank);
    for (int64_t d = 0; d < rank; ++d) {
      shape[d] = 1 + upTo(4);
      sizes[d] = upTo(1) ? shape[d] : upTo(shape[d]); // Often whole.
      offsets[d] = upTo(shape[d] - sizes[d]);
    }
    weft_tensor_t *src = iota(dtype, shape);
    weft_tensor_t *dst = nullptr;
    ASSERT_EQ(takeMessage(weft_tensor_create(dtype, rank, sizes.data(), &dst)),
              "");
    ASSERT_EQ(takeMessage(weft_tensor_copy_slice(src, offsets.data(), dst)), "")
        << "seed " << seed;
    for (int64_t i = 0; i < weft_tensor_num_elements(dst); ++i) {
      int64_t rest = i, from = 0, stride = 1;
      for (int64_t d = rank - 1; d >= 0; --d) {
        from += (offsets[d] + rest % sizes[d]) * stride;
        rest /= sizes[d];
        stride *= shape[d];
      }
      ASSERT_EQ(weft_tensor_element_f64(dst, i), static_cast<double>(from))
          << "seed " << seed << ", element " << i;
    }
    weft_tensor_free(src);
    weft_tensor_free(dst);
  }
}

TEST(TensorTest, CopySliceChecksTheBox) {
  weft_tensor_t *src = iota(WEFT_DTYPE_F32, {4, 6});
  weft_tensor_t *dst = iota(WEFT_DTYPE_F32, {2, 4});
  const int64_t right[] = {2, 3};
  EXPECT_EQ(takeMessage(weft_tensor_copy_slice(src, right, dst)),
            "weft_tensor_copy_slice: slice [2:4, 3:7] is outside f32 [4, 6] "
            "in dimension 1 (3 + 4 > 6)");
  EXPECT_EQ(takeMessage(weft_tensor_copy_slice(src, nullptr, dst)),
            "weft_tensor_copy_slice: the offsets are null");
  EXPECT_EQ(takeMessage(weft_tensor_copy_slice(nullptr, right, dst)),
            "weft_tensor_copy_slice: 'src' is null");
  weft_tensor_t *wide = iota(WEFT_DTYPE_F32, {2, 8});
  const int64_t origin[] = {0, 0};
  EXPECT_EQ(takeMessage(weft_tensor_copy_slice(src, origin, wide)),
            "weft_tensor_copy_slice: slice [0:2, 0:8] is outside f32 [4, 6] "
            "in dimension 1 (0 + 8 > 6)");
  weft_tensor_t *ints = iota(WEFT_DTYPE_I32, {2, 4});
  EXPECT_EQ(takeMessage(weft_tensor_copy_slice(src, origin, ints)),
            "weft_tensor_copy_slice: cannot take a slice of i32 [2, 4] from "
            "f32 [4, 6]: the dtypes differ");
  // Failures leave the destination alone; a tensor is its own whole slice.
  EXPECT_EQ(weft_tensor_element_f64(dst, 7), 7.0);
  EXPECT_EQ(takeMessage(weft_tensor_copy_slice(src, origin, src)), "");
  EXPECT_EQ(weft_tensor_element_f64(src, 23), 23.0);
  for (weft_tensor_t *t : {src, dst, wide, ints})
    weft_tensor_free(t);
}

TEST(Float16Test, HalfKnownValues) {
  EXPECT_EQ(doubleToHalf(1.0), 0x3c00);
  EXPECT_EQ(doubleToHalf(-2.0), 0xc000);
  EXPECT_EQ(doubleToHalf(-0.0), 0x8000);
  EXPECT_EQ(doubleToHalf(65504.0), 0x7bff);          // Largest finite.
  EXPECT_EQ(doubleToHalf(65519.99), 0x7bff);         // Below the midpoint.
  EXPECT_EQ(doubleToHalf(65520.0), 0x7c00);          // Midpoint: to infinity.
  EXPECT_EQ(doubleToHalf(1e300), 0x7c00);
  EXPECT_EQ(doubleToHalf(-INFINITY), 0xfc00);
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -14)), 0x0400); // Smallest normal.
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -24)), 0x0001); // Smallest subnormal.
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -25)), 0x0000); // Tie to even: 0.
  EXPECT_EQ(doubleToHalf(std::ldexp(3.0, -26)), 0x0001); // Above the tie.
  EXPECT_EQ(doubleToHalf(std::ldexp(3.0, -25)), 0x0002); // Tie to even: 2.
  EXPECT_EQ(doubleToHalf(1e-300), 0x0000);
  EXPECT_EQ(doubleToHalf(5e-324), 0x0000); // A double subnormal.
  uint16_t nan = doubleToHalf(std::nan(""));
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
}

TEST(Float16Test, HalfRoundsTiesToEvenWithoutDoubleRounding) {
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(1.0, -11)), 0x3c00); // Tie, even.
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(3.0, -11)), 0x3c02); // Tie, even.
  // Through float this would first round to the tie 1 + 2^-11 and then to
  // 1.0; rounding once from double gives the next half.
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)),
            0x3c01);
  // Mantissa carry into the exponent.
  EXPECT_EQ(doubleToHalf(2.0 - std::ldexp(1.0, -12)), 0x4000);
}

TEST(Float16Test, BFloat16KnownValues) {
  EXPECT_EQ(doubleToBFloat16(1.0), 0x3f80);
  EXPECT_EQ(doubleToBFloat16(-3.0), 0xc040);
  EXPECT_EQ(doubleToBFloat16(1.0 + std::ldexp(1.0, -8)), 0x3f80); // Tie.
  EXPECT_EQ(doubleToBFloat16(1.0 + std::ldexp(3.0, -8)), 0x3f82); // Tie.
  EXPECT_EQ(doubleToBFloat16(3.3895313892515355e38), 0x7f7f); // Largest.
  EXPECT_EQ(doubleToBFloat16(3.4e38), 0x7f80);                  // Overflow.
  EXPECT_EQ(doubleToBFloat16(std::ldexp(1.0, -133)), 0x0001);
  EXPECT_EQ(doubleToBFloat16(std::ldexp(1.0, -134)), 0x0000);
  uint16_t nan = doubleToBFloat16(-std::nan(""));
  EXPECT_EQ(nan & 0x7f80, 0x7f80);
  EXPECT_NE(nan & 0x007f, 0);
  EXPECT_EQ(nan & 0x8000, 0x8000);
}

TEST(Float16Test, EveryEncodingRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    double half = halfToDouble(static_cast<uint16_t>(bits));
    double bf = bfloat16ToDouble(static_cast<uint16_t>(bits));
    if (std::isnan(half))
      EXPECT_TRUE(std::isnan(halfToDouble(doubleToHalf(half))));
    else
      EXPECT_EQ(doubleToHalf(half), bits) << std::hex << bits;
    if (std::isnan(bf))
      EXPECT_TRUE(std::isnan(bfloat16ToDouble(doubleToBFloat16(bf))));
    else
      EXPECT_EQ(doubleToBFloat16(bf), bits) << std::hex << bits;
  }
}

TEST(Float16Test, DecodesKnownEncodings) {
  // bf16 is the top half of an IEEE float.
  EXPECT_EQ(doubleToBFloat16(0.15625), 0x3e20);
  EXPECT_EQ(doubleToBFloat16(-1024.0), 0xc480);
  EXPECT_EQ(bfloat16ToDouble(0x3f80), 1.0);
  EXPECT_EQ(bfloat16ToDouble(0xc480), -1024.0);
  EXPECT_EQ(halfToDouble(0x0001), std::ldexp(1.0, -24));
  EXPECT_EQ(halfToDouble(0x7bff), 65504.0);
  EXPECT_EQ(halfToDouble(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(halfToDouble(0x7e00)));
}

} // namespace
