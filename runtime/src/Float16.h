//===- Float16.h - f16 and bf16 conversions ---------------------*- C++ -*-===//
//
// Conversions between double and the two 16-bit float formats. Rounding goes
// straight from double to the narrow format (round to nearest, ties to even),
// never through float, so literals never round twice.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_FLOAT16_H
#define WEFT_RUNTIME_SRC_FLOAT16_H

#include <cstdint>

namespace weft::runtime {

/// IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits. Overflow gives
/// infinity, NaN stays a (quiet) NaN with its sign.
uint16_t doubleToHalf(double value);
double halfToDouble(uint16_t bits);

/// bfloat16: the top half of an IEEE binary32 (8 exponent, 7 mantissa bits).
uint16_t doubleToBFloat16(double value);
double bfloat16ToDouble(uint16_t bits);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_FLOAT16_H
