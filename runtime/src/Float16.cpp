//===- Float16.cpp - f16 and bf16 conversions -----------------------------===//
//
// One rounding routine parameterized by the target's exponent and mantissa
// widths serves both formats.
//
//===----------------------------------------------------------------------===//

#include "Float16.h"

#include <cmath>
#include <cstring>

using namespace weft::runtime;

namespace {

uint64_t bitsOf(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// Rounds `value` to the binary format with `expBits` exponent and
/// `mantBits` mantissa bits (ties to even) and returns its encoding.
uint32_t roundToFormat(double value, int expBits, int mantBits) {
  const uint64_t bits = bitsOf(value);
  const uint32_t sign = static_cast<uint32_t>(bits >> 63)
                        << (expBits + mantBits);
  const uint32_t expMask = ((1u << expBits) - 1) << mantBits;
  if (std::isnan(value))
    return sign | expMask | (1u << (mantBits - 1));
  if (std::isinf(value))
    return sign | expMask;

  const int doubleExp = static_cast<int>((bits >> 52) & 0x7ff);
  // Zero, and double subnormals (< 2^-1022) that are far below the smallest
  // subnormal of either format, round to a signed zero.
  if (doubleExp == 0)
    return sign;

  const int bias = (1 << (expBits - 1)) - 1;
  const uint64_t significand = (bits & ((uint64_t(1) << 52) - 1)) |
                               (uint64_t(1) << 52); // 53 bits, value 1.m
  int exponent = doubleExp - 1023 + bias;            // target's biased exp
  int shift = 52 - mantBits;
  if (exponent < 1) {
    // Subnormal in the target: the implicit bit moves right.
    shift += 1 - exponent;
    exponent = 1;
  }
  // Everything below half of the smallest subnormal rounds to zero.
  if (shift > 53)
    return sign;

  uint64_t q = significand >> shift;
  const uint64_t rem = significand & ((uint64_t(1) << shift) - 1);
  const uint64_t half = uint64_t(1) << (shift - 1);
  if (rem > half || (rem == half && (q & 1)))
    ++q;
  // For normals q carries the implicit bit at position mantBits, so adding
  // it to (exponent - 1) << mantBits yields the encoding, and a mantissa
  // carry bumps the exponent. Subnormals (exponent 1, no implicit bit)
  // encode as q itself and round up into the smallest normal naturally.
  uint64_t encoded = (static_cast<uint64_t>(exponent - 1) << mantBits) + q;
  if (encoded >= expMask)
    return sign | expMask; // Overflow: infinity.
  return sign | static_cast<uint32_t>(encoded);
}

double decodeFormat(uint32_t bits, int expBits, int mantBits) {
  const int bias = (1 << (expBits - 1)) - 1;
  const uint32_t mantissa = bits & ((1u << mantBits) - 1);
  const uint32_t exponent = (bits >> mantBits) & ((1u << expBits) - 1);
  const bool negative = (bits >> (expBits + mantBits)) & 1;
  double magnitude;
  if (exponent == (1u << expBits) - 1)
    magnitude = mantissa ? std::nan("") : INFINITY;
  else if (exponent == 0)
    magnitude = std::ldexp(mantissa, 1 - bias - mantBits);
  else
    magnitude = std::ldexp(mantissa | (1u << mantBits),
                           static_cast<int>(exponent) - bias - mantBits);
  return negative ? -magnitude : magnitude;
}

} // namespace

uint16_t weft::runtime::doubleToHalf(double value) {
  return static_cast<uint16_t>(roundToFormat(value, 5, 10));
}

double weft::runtime::halfToDouble(uint16_t bits) {
  return decodeFormat(bits, 5, 10);
}

uint16_t weft::runtime::doubleToBFloat16(double value) {
  return static_cast<uint16_t>(roundToFormat(value, 8, 7));
}

double weft::runtime::bfloat16ToDouble(uint16_t bits) {
  return decodeFormat(bits, 8, 7);
}
