//===- Json.cpp - A small strict JSON parser ------------------------------===//
//
// A recursive-descent parser over a string_view. Every read is bounds
// checked against the view; recursion is bounded by Limits::maxDepth.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include <charconv>
#include <unordered_set>

using namespace weft::runtime;
using namespace weft::runtime::json;

const char *json::describe(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "a boolean";
  case Kind::Integer:
    return "an integer";
  case Kind::Number:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "a value";
}

double Value::getNumber() const {
  return valueKind == Kind::Integer ? static_cast<double>(intValue)
                                    : numberValue;
}

const Value *Value::find(std::string_view name) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == name)
      return &items[i];
  return nullptr;
}

namespace weft::runtime::json {

class Parser {
public:
  Parser(std::string_view text, const Limits &limits)
      : text(text), limits(limits) {}

  Status parseDocument(Value &out) {
    if (text.size() > limits.maxBytes)
      return error("JSON text is ", text.size(), " bytes, more than the ",
                   limits.maxBytes, "-byte limit");
    skipWhitespace();
    WEFT_RETURN_IF_ERROR(parseValue(out, 0));
    skipWhitespace();
    if (pos != text.size())
      return fail("unexpected trailing characters");
    return Status();
  }

private:
  Status fail(std::string_view what) const {
    return error(what, " at byte ", pos);
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  void skipWhitespace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consumeKeyword(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  Status parseValue(Value &out, unsigned depth) {
    if (atEnd())
      return fail("unexpected end of JSON text");
    if (++values > limits.maxValues)
      return fail(concat("more than ", limits.maxValues, " values"));
    switch (peek()) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"':
      out.valueKind = Kind::String;
      return parseString(out.stringValue);
    case 't':
    case 'f':
      out.boolValue = peek() == 't';
      if (consumeKeyword(out.boolValue ? "true" : "false")) {
        out.valueKind = Kind::Bool;
        return Status();
      }
      return fail("invalid literal");
    case 'n':
      if (consumeKeyword("null")) {
        out.valueKind = Kind::Null;
        return Status();
      }
      return fail("invalid literal");
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber(out);
      return fail(concat("unexpected character ", quote(text.substr(pos, 1))));
    }
  }

  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }

  /// An array or object from its opening bracket to `close`: no members,
  /// or `parseMember` repeated with commas between.
  template <typename ParseMember>
  Status parseContainer(Value &out, Kind kind, unsigned depth, char close,
                        ParseMember parseMember) {
    if (depth >= limits.maxDepth)
      return fail(concat("nesting deeper than ", limits.maxDepth, " levels"));
    out.valueKind = kind;
    ++pos; // '[' or '{'
    skipWhitespace();
    if (consume(close))
      return Status();
    while (true) {
      WEFT_RETURN_IF_ERROR(parseMember());
      skipWhitespace();
      if (consume(close))
        return Status();
      if (!consume(','))
        return fail(concat("expected ',' or '", close, "'"));
      skipWhitespace();
    }
  }

  Status parseArray(Value &out, unsigned depth) {
    return parseContainer(out, Kind::Array, depth, ']', [&] {
      out.items.emplace_back();
      return parseValue(out.items.back(), depth + 1);
    });
  }

  Status parseObject(Value &out, unsigned depth) {
    // Owned copies: views into out.keys would dangle when it grows.
    std::unordered_set<std::string> seen;
    return parseContainer(out, Kind::Object, depth, '}', [&]() -> Status {
      if (peek() != '"')
        return fail("expected a string key");
      size_t keyStart = pos;
      std::string key;
      WEFT_RETURN_IF_ERROR(parseString(key));
      if (!seen.insert(key).second) {
        pos = keyStart;
        return fail(concat("duplicate key ", quote(key)));
      }
      skipWhitespace();
      if (!consume(':'))
        return fail("expected ':'");
      skipWhitespace();
      out.keys.push_back(std::move(key));
      out.items.emplace_back();
      return parseValue(out.items.back(), depth + 1);
    });
  }

  Status parseNumber(Value &out) {
    const size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      ++pos;
    if (peek() == '0') {
      ++pos;
    } else if (peek() >= '1' && peek() <= '9') {
      while (isDigit(peek()))
        ++pos;
    } else {
      return fail("expected a digit");
    }
    if (peek() == '.') {
      integral = false;
      ++pos;
      if (!isDigit(peek()))
        return fail("expected a digit after '.'");
      while (isDigit(peek()))
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!isDigit(peek()))
        return fail("expected a digit in the exponent");
      while (isDigit(peek()))
        ++pos;
    }
    const char *first = text.data() + start;
    const char *last = text.data() + pos;
    if (integral) {
      auto [end, ec] = std::from_chars(first, last, out.intValue);
      if (ec != std::errc() || end != last) {
        pos = start;
        return fail(concat("integer ", std::string_view(first, last - first),
                           " does not fit in 64 bits"));
      }
      out.valueKind = Kind::Integer;
      return Status();
    }
    // from_chars is locale-independent, unlike strtod.
    auto [end, ec] = std::from_chars(first, last, out.numberValue);
    if (ec != std::errc() || end != last) {
      pos = start;
      return fail("number out of range");
    }
    out.valueKind = Kind::Number;
    return Status();
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  Status parseHex4(uint32_t &code) {
    if (text.size() - pos < 4)
      return fail("truncated \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = hexValue(text[pos + i]);
      if (digit < 0)
        return fail("invalid \\u escape");
      code = code * 16 + static_cast<uint32_t>(digit);
    }
    pos += 4;
    return Status();
  }

  static void appendUtf8(std::string &out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  /// After a backslash: one escape, a \uXXXX pair for astral code points.
  Status parseEscape(std::string &out) {
    if (atEnd())
      return fail("unterminated string");
    char c = text[pos++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return Status();
    case 'b':
      out += '\b';
      return Status();
    case 'f':
      out += '\f';
      return Status();
    case 'n':
      out += '\n';
      return Status();
    case 'r':
      out += '\r';
      return Status();
    case 't':
      out += '\t';
      return Status();
    case 'u':
      break;
    default:
      --pos;
      return fail("invalid escape");
    }
    uint32_t code = 0;
    WEFT_RETURN_IF_ERROR(parseHex4(code));
    if (code >= 0xdc00 && code <= 0xdfff)
      return fail("unpaired low surrogate in \\u escape");
    if (code >= 0xd800 && code <= 0xdbff) {
      if (text.substr(pos, 2) != "\\u")
        return fail("unpaired high surrogate in \\u escape");
      pos += 2;
      uint32_t low = 0;
      WEFT_RETURN_IF_ERROR(parseHex4(low));
      if (low < 0xdc00 || low > 0xdfff)
        return fail("invalid low surrogate in \\u escape");
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
    }
    appendUtf8(out, code);
    return Status();
  }

  /// Length of the well-formed UTF-8 sequence at `pos`, or 0.
  size_t utf8SequenceLength() const {
    auto byte = [&](size_t i) {
      return pos + i < text.size() ? static_cast<uint8_t>(text[pos + i]) : 0;
    };
    auto cont = [&](size_t i) { return (byte(i) & 0xc0) == 0x80; };
    uint8_t b0 = byte(0);
    if (b0 >= 0xc2 && b0 <= 0xdf)
      return cont(1) ? 2 : 0;
    if (b0 >= 0xe0 && b0 <= 0xef) {
      // No overlong forms (e0 a0..), no surrogates (ed 80..9f).
      uint8_t b1 = byte(1);
      if ((b0 == 0xe0 && b1 < 0xa0) || (b0 == 0xed && b1 > 0x9f))
        return 0;
      return cont(1) && cont(2) ? 3 : 0;
    }
    if (b0 >= 0xf0 && b0 <= 0xf4) {
      uint8_t b1 = byte(1);
      if ((b0 == 0xf0 && b1 < 0x90) || (b0 == 0xf4 && b1 > 0x8f))
        return 0;
      return cont(1) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  Status parseString(std::string &out) {
    ++pos; // '"'
    while (true) {
      if (atEnd())
        return fail("unterminated string");
      auto c = static_cast<uint8_t>(text[pos]);
      if (c == '"') {
        ++pos;
        return Status();
      }
      if (c == '\\') {
        ++pos;
        WEFT_RETURN_IF_ERROR(parseEscape(out));
      } else if (c < 0x20) {
        return fail("unescaped control character in string");
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos;
      } else {
        size_t n = utf8SequenceLength();
        if (n == 0)
          return fail("invalid UTF-8 in string");
        out.append(text.data() + pos, n);
        pos += n;
      }
    }
  }

  std::string_view text;
  const Limits &limits;
  size_t pos = 0;
  size_t values = 0;
};

} // namespace weft::runtime::json

Status json::parse(std::string_view text, Value &out, const Limits &limits) {
  Value result;
  WEFT_RETURN_IF_ERROR(Parser(text, limits).parseDocument(result));
  out = std::move(result);
  return Status();
}
