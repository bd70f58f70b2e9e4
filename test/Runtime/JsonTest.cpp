//===- JsonTest.cpp - Unit tests of the runtime's JSON parser -------------===//
//
// Valid documents of every kind, and one case per rejection with the byte
// offset the message must report.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace weft::runtime;
using testing::HasSubstr;

namespace {

json::Value parseOk(std::string_view text) {
  json::Value value;
  Status s = json::parse(text, value);
  EXPECT_TRUE(s.ok()) << s.message();
  return value;
}

std::string parseError(std::string_view text, json::Limits limits = {}) {
  json::Value value;
  Status s = json::parse(text, value, limits);
  EXPECT_FALSE(s.ok()) << "accepted: " << text;
  return s.message();
}

TEST(JsonTest, Scalars) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk(" true ").getBool());
  EXPECT_FALSE(parseOk("false").getBool());
  EXPECT_EQ(parseOk("\"hi\"").getString(), "hi");
}

TEST(JsonTest, IntegersStayExact) {
  json::Value big = parseOk("9223372036854775807");
  ASSERT_TRUE(big.isInteger());
  EXPECT_EQ(big.getInteger(), INT64_MAX);
  json::Value negative = parseOk("-9223372036854775808");
  ASSERT_TRUE(negative.isInteger());
  EXPECT_EQ(negative.getInteger(), INT64_MIN);
  EXPECT_EQ(parseOk("-0").getInteger(), 0);
}

TEST(JsonTest, NonIntegralNumbersAreDoubles) {
  json::Value v = parseOk("-12.5e-1");
  EXPECT_EQ(v.kind(), json::Kind::Number);
  EXPECT_DOUBLE_EQ(v.getNumber(), -1.25);
  EXPECT_EQ(parseOk("1E2").kind(), json::Kind::Number);
  EXPECT_DOUBLE_EQ(parseOk("1E2").getNumber(), 100);
  EXPECT_DOUBLE_EQ(parseOk("7").getNumber(), 7);
}

TEST(JsonTest, ArraysAndObjectsKeepOrder) {
  json::Value v = parseOk(R"({"b": [1, 2, {"c": null}], "a": {}})");
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v.key(0), "b");
  EXPECT_EQ(v.key(1), "a");
  const json::Value *b = v.find("b");
  ASSERT_TRUE(b && b->isArray());
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[1].getInteger(), 2);
  EXPECT_TRUE((*b)[2].find("c")->isNull());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(parseOk("[]").size(), 0u);
}

TEST(JsonTest, StringEscapes) {
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\b\f\n\r\t")").getString(),
            "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20ac")").getString(),
            "A\xc3\xa9\xe2\x82\xac");
  // U+1F600 as a surrogate pair.
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").getString(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(parseOk("\"caf\xc3\xa9\"").getString(), "caf\xc3\xa9");
}

TEST(JsonTest, RejectsMalformedDocumentsWithOffsets) {
  EXPECT_THAT(parseError(""), HasSubstr("unexpected end of JSON text at byte 0"));
  EXPECT_THAT(parseError("[1, 2"), HasSubstr("expected ',' or ']' at byte 5"));
  EXPECT_THAT(parseError("[1,]"), HasSubstr("unexpected character ']' at byte 3"));
  EXPECT_THAT(parseError("{\"a\" 1}"), HasSubstr("expected ':' at byte 5"));
  EXPECT_THAT(parseError("{\"a\":1,}"), HasSubstr("expected a string key at byte 7"));
  EXPECT_THAT(parseError("{a:1}"), HasSubstr("expected a string key at byte 1"));
  EXPECT_THAT(parseError("1 2"), HasSubstr("unexpected trailing characters at byte 2"));
  EXPECT_THAT(parseError("tru"), HasSubstr("invalid literal at byte 0"));
  EXPECT_THAT(parseError("nul"), HasSubstr("invalid literal"));
  EXPECT_THAT(parseError("// c\n1"), HasSubstr("unexpected character '/' at byte 0"));
}

TEST(JsonTest, RejectsInvalidNumbers) {
  EXPECT_THAT(parseError("01"), HasSubstr("unexpected trailing characters at byte 1"));
  EXPECT_THAT(parseError("1."), HasSubstr("expected a digit after '.'"));
  EXPECT_THAT(parseError("1e"), HasSubstr("expected a digit in the exponent"));
  EXPECT_THAT(parseError("-"), HasSubstr("expected a digit at byte 1"));
  EXPECT_THAT(parseError("+1"), HasSubstr("unexpected character '+'"));
  EXPECT_THAT(parseError("NaN"), HasSubstr("unexpected character 'N'"));
  EXPECT_THAT(parseError("9223372036854775808"),
              HasSubstr("integer 9223372036854775808 does not fit in 64 bits "
                        "at byte 0"));
  EXPECT_THAT(parseError("1e999"), HasSubstr("number out of range"));
}

TEST(JsonTest, RejectsInvalidStrings) {
  EXPECT_THAT(parseError("\"abc"), HasSubstr("unterminated string at byte 4"));
  EXPECT_THAT(parseError("\"a\nb\""),
              HasSubstr("unescaped control character in string at byte 2"));
  EXPECT_THAT(parseError(R"("\x")"), HasSubstr("invalid escape at byte 2"));
  EXPECT_THAT(parseError(R"("\u12zz")"), HasSubstr("invalid \\u escape at byte 3"));
  EXPECT_THAT(parseError(R"("\u12)"), HasSubstr("truncated \\u escape"));
  EXPECT_THAT(parseError(R"("\ud83d")"), HasSubstr("unpaired high surrogate"));
  EXPECT_THAT(parseError(R"("\ude00")"), HasSubstr("unpaired low surrogate"));
  EXPECT_THAT(parseError(R"("\ud83d\u0041")"), HasSubstr("invalid low surrogate"));
  EXPECT_THAT(parseError("\"\xff\""), HasSubstr("invalid UTF-8 in string at byte 1"));
  EXPECT_THAT(parseError("\"\xc0\xaf\""), HasSubstr("invalid UTF-8")); // Overlong.
  EXPECT_THAT(parseError("\"\xed\xa0\x80\""), HasSubstr("invalid UTF-8")); // Surrogate.
  EXPECT_THAT(parseError("\"\xe2\x82\""), HasSubstr("invalid UTF-8")); // Truncated.
}

TEST(JsonTest, RejectsDuplicateKeys) {
  EXPECT_THAT(parseError(R"({"a": 1, "a": 2})"),
              HasSubstr("duplicate key 'a' at byte 9"));
}

TEST(JsonTest, EnforcesLimits) {
  json::Limits limits;
  limits.maxDepth = 3;
  json::Value value;
  EXPECT_TRUE(json::parse("[[[1]]]", value, limits).ok());
  EXPECT_THAT(parseError("[[[[1]]]]", limits),
              HasSubstr("nesting deeper than 3 levels at byte 3"));
  limits.maxValues = 3;
  EXPECT_TRUE(json::parse("[1, 2]", value, limits).ok());
  EXPECT_THAT(parseError("[1, 2, 3]", limits),
              HasSubstr("more than 3 values at byte 7"));
  limits.maxBytes = 4;
  EXPECT_THAT(parseError("[1, 2]", limits),
              HasSubstr("JSON text is 6 bytes, more than the 4-byte limit"));
  // The default depth limit stops a stack-exhausting document.
  EXPECT_THAT(parseError(std::string(100000, '[')), HasSubstr("nesting deeper"));
}

TEST(JsonTest, ErrorLeavesOutputUntouched) {
  json::Value value = parseOk("42");
  EXPECT_FALSE(json::parse("[1,", value).ok());
  EXPECT_EQ(value.getInteger(), 42);
}

} // namespace
