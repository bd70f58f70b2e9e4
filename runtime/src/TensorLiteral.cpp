//===- TensorLiteral.cpp - iree-run-module style tensor literals ----------===//
//
// Parses "2x3xf32=[1 2 3][4 5 6]": a shape and element type joined by 'x',
// '=', then the elements in row-major order. Brackets, commas and
// whitespace only separate values (brackets must balance); a single value
// fills the whole tensor.
//
//===----------------------------------------------------------------------===//

#include "Tensor.h"

#include <charconv>
#include <type_traits>
#include <vector>

using namespace weft::runtime;

namespace {

constexpr const char *kExample = "e.g. 2x3xf32=[1 2 3][4 5 6] or f32=2.5";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Parses "2x3xf32" into a shape and dtype.
Status parseType(std::string_view text, std::vector<int64_t> &shape,
                 weft_dtype_t &dtype) {
  size_t start = 0;
  while (true) {
    size_t x = text.find('x', start);
    std::string_view part = text.substr(
        start, x == std::string_view::npos ? std::string_view::npos : x - start);
    if (x == std::string_view::npos) {
      if (lookupDtype(part, dtype))
        return Status();
      return error("unknown element type ", quote(part), " (expected ",
                   kDtypeNames, ")");
    }
    if (shape.size() == WEFT_MAX_RANK)
      return error("more than ", WEFT_MAX_RANK, " dimensions");
    int64_t size = -1;
    auto [end, ec] =
        std::from_chars(part.data(), part.data() + part.size(), size);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() ||
        size < 0)
      return error("invalid dimension ", quote(part),
                   " (expected a non-negative integer)");
    shape.push_back(size);
    start = x + 1;
  }
}

bool isSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == ',' || c == '[' ||
         c == ']';
}

/// Splits the element text into value tokens, checking bracket balance.
Status tokenize(std::string_view text, std::vector<std::string_view> &tokens) {
  int depth = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '[') {
      ++depth;
    } else if (c == ']') {
      if (--depth < 0)
        return error("unbalanced ']' at value byte ", i);
    }
    if (isSeparator(c)) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !isSeparator(text[i]))
      ++i;
    tokens.push_back(text.substr(start, i - start));
  }
  if (depth != 0)
    return error("unbalanced '['");
  return Status();
}

/// Parses a whole token, with an optional '+', as an int64_t or a double.
template <typename T>
Status parseToken(std::string_view token, T &value) {
  constexpr bool integral = std::is_integral_v<T>;
  std::string_view digits = token;
  if (!digits.empty() && digits[0] == '+')
    digits.remove_prefix(1);
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), value);
  bool whole = end == digits.data() + digits.size();
  if (ec == std::errc::result_out_of_range && whole)
    return error("value ", quote(token), " is out of range for ",
                 integral ? "i64" : "f64");
  if (digits.empty() || ec != std::errc() || !whole)
    return error(integral ? "invalid integer " : "invalid number ",
                 quote(token));
  return Status();
}

/// Parses every token as T (int64_t for integer tensors, double for float
/// ones) and stores the values, or the one value everywhere, in `tensor`.
template <typename T>
Status fill(const std::vector<std::string_view> &tokens, weft_tensor &tensor) {
  std::vector<T> values(tokens.size());
  for (size_t t = 0; t < tokens.size(); ++t) {
    WEFT_RETURN_IF_ERROR(parseToken(tokens[t], values[t]));
    if constexpr (std::is_integral_v<T>)
      if (tensor.dtype == WEFT_DTYPE_I32 &&
          (values[t] < INT32_MIN || values[t] > INT32_MAX))
        return error("value ", values[t], " is out of range for i32");
  }
  bool broadcast = values.size() == 1;
  for (int64_t i = 0; i < tensor.numElements; ++i) {
    T value = values[broadcast ? 0 : i];
    if constexpr (std::is_integral_v<T>)
      storeInteger(tensor.dtype, tensor.data, i, value);
    else
      storeFloat(tensor.dtype, tensor.data, i, value);
  }
  return Status();
}

/// "2x3xf32", the notation literals use.
std::string literalType(const std::vector<int64_t> &shape,
                        weft_dtype_t dtype) {
  std::string out;
  for (int64_t size : shape)
    out += concat(size, "x");
  return out + weft_dtype_name(dtype);
}

Status parseLiteral(std::string_view text, TensorPtr &out) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return error("expected <shape>x<type>=<values>, ", kExample);
  std::vector<int64_t> shape;
  weft_dtype_t dtype = WEFT_DTYPE_F32;
  WEFT_RETURN_IF_ERROR(parseType(trim(text.substr(0, eq)), shape, dtype));
  std::vector<std::string_view> tokens;
  WEFT_RETURN_IF_ERROR(tokenize(text.substr(eq + 1), tokens));

  // Count before allocating: a typo in the shape must not cost memory.
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t count = 0;
  size_t bytes = 0;
  WEFT_RETURN_IF_ERROR(checkShape(dtype, shape.data(), rank, &count, &bytes));
  if (tokens.size() != 1 && static_cast<int64_t>(tokens.size()) != count)
    return error("expected ", count, " values for ", literalType(shape, dtype),
                 ", found ", tokens.size());
  TensorPtr tensor;
  WEFT_RETURN_IF_ERROR(createTensor(dtype, shape.data(), rank, tensor));
  WEFT_RETURN_IF_ERROR(isIntegerDtype(dtype) ? fill<int64_t>(tokens, *tensor)
                                             : fill<double>(tokens, *tensor));
  out = std::move(tensor);
  return Status();
}

} // namespace

extern "C" weft_status_t weft_tensor_parse(const char *text,
                                           weft_tensor_t **tensor) {
  WEFT_CHECK_ARG(text);
  WEFT_CHECK_ARG(tensor);
  TensorPtr result;
  Status s = parseLiteral(text, result);
  if (!s.ok())
    return std::move(s)
        .withPrefix(concat("tensor literal ", quote(text), ": "))
        .release();
  *tensor = result.release();
  return nullptr;
}
