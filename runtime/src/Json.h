//===- Json.h - A small strict JSON parser ----------------------*- C++ -*-===//
//
// Parses the JSON the runtime reads: artifact manifests and safetensors
// headers. Strict RFC 8259 (no comments, trailing commas, NaN or duplicate
// keys; strings must be valid UTF-8), with limits on input size, nesting
// depth and value count so that hostile input can exhaust neither the stack
// nor memory. Integral numbers that fit in int64 are kept exact; other
// numbers are doubles.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_JSON_H
#define WEFT_RUNTIME_SRC_JSON_H

#include "Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::runtime::json {

enum class Kind { Null, Bool, Integer, Number, String, Array, Object };

/// "null", "a boolean", "an integer", ... for messages.
const char *describe(Kind kind);

class Value {
public:
  Kind kind() const { return valueKind; }
  bool isNull() const { return valueKind == Kind::Null; }
  bool isBool() const { return valueKind == Kind::Bool; }
  bool isInteger() const { return valueKind == Kind::Integer; }
  /// Integers count as numbers too.
  bool isNumber() const {
    return valueKind == Kind::Number || valueKind == Kind::Integer;
  }
  bool isString() const { return valueKind == Kind::String; }
  bool isArray() const { return valueKind == Kind::Array; }
  bool isObject() const { return valueKind == Kind::Object; }

  bool getBool() const { return boolValue; }
  int64_t getInteger() const { return intValue; }
  double getNumber() const;
  const std::string &getString() const { return stringValue; }

  /// Array elements, or object member values (in file order).
  size_t size() const { return items.size(); }
  const Value &operator[](size_t i) const { return items[i]; }
  /// Object member names, parallel to the values.
  const std::string &key(size_t i) const { return keys[i]; }
  /// The member named `name`, or null.
  const Value *find(std::string_view name) const;

private:
  friend class Parser;
  Kind valueKind = Kind::Null;
  bool boolValue = false;
  int64_t intValue = 0;
  double numberValue = 0;
  std::string stringValue;
  std::vector<std::string> keys;
  std::vector<Value> items;
};

struct Limits {
  size_t maxBytes = size_t(64) << 20;
  unsigned maxDepth = 64;
  /// Each value takes ~100 bytes parsed; this bounds memory, not just text.
  size_t maxValues = size_t(1) << 20;
};

/// Parses `text` as exactly one JSON value surrounded by optional
/// whitespace. Messages give the byte offset: "expected ':' at byte 17".
Status parse(std::string_view text, Value &out, const Limits &limits = {});

} // namespace weft::runtime::json

#endif // WEFT_RUNTIME_SRC_JSON_H
