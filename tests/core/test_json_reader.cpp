#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "gradvy/json_reader.hpp"

using namespace gradvy;

namespace {

Status parse(JsonDocument& doc, std::string_view text, std::size_t depth = 16) {
  JsonLimits limits;
  limits.max_depth = depth;
  return doc.parse(text, limits);
}

}  // namespace

TEST(JsonReader, ParsesNestedDocumentInPreOrder) {
  JsonDocument doc;
  const std::string text = R"( {"a": [1, -2.5e1, true, null], "b": {"c": "x"}, "d": false} )";
  ASSERT_TRUE(parse(doc, text).ok());
  const JsonNode& root = doc.root();
  EXPECT_EQ(root.kind, JsonKind::object);
  EXPECT_EQ(root.count, 3u);
  EXPECT_EQ(root.end, doc.size());
  const auto a = doc.find_member(0, "a");
  ASSERT_NE(a, 0u);
  EXPECT_EQ(doc.node(a).kind, JsonKind::array);
  EXPECT_EQ(doc.node(a).count, 4u);
  EXPECT_EQ(doc.node(a + 1).number, 1);
  EXPECT_EQ(doc.node(a + 2).number, -25);
  EXPECT_EQ(doc.node(a + 2).text, "-2.5e1");
  EXPECT_TRUE(doc.node(a + 3).boolean);
  EXPECT_EQ(doc.node(a + 4).kind, JsonKind::null_value);
  const auto b = doc.find_member(0, "b");
  EXPECT_EQ(doc.node(doc.find_member(b, "c")).text, "x");
  EXPECT_EQ(doc.node(doc.find_member(0, "d")).boolean, false);
  EXPECT_EQ(doc.find_member(0, "zzz"), 0u);
  EXPECT_EQ(doc.depth_of(0), 2u);
}

TEST(JsonReader, DecodesEveryEscapeIncludingSurrogatePairs) {
  JsonDocument doc;
  ASSERT_TRUE(parse(doc, R"(["q\"b\\s\/b\bf\fn\nr\rt\t", "\u00e9\u20ac\ud83d\ude00", "caf\u00e9 ok"])").ok());
  EXPECT_EQ(doc.node(1).text, "q\"b\\s/b\bf\fn\nr\rt\t");
  EXPECT_EQ(doc.node(2).text, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(doc.node(3).text, "caf\xC3\xA9 ok");
}

TEST(JsonReader, ViewsStayValidAcrossManyEscapedStrings) {
  std::string text = "[";
  for (int i = 0; i < 500; ++i) {
    if (i) text += ",";
    text += "\"item\\n" + std::to_string(i) + "\"";
  }
  text += "]";
  JsonDocument doc;
  ASSERT_TRUE(parse(doc, text).ok());
  for (int i = 0; i < 500; ++i) EXPECT_EQ(doc.node(1 + i).text, "item\n" + std::to_string(i));
}

TEST(JsonReader, AcceptsValidUtf8AndRefusesBadUtf8) {
  JsonDocument doc;
  EXPECT_TRUE(parse(doc, "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"").ok());
  const char* bad[] = {
      "\"\xC0\x80\"",          // overlong NUL
      "\"\xE0\x80\xAF\"",      // overlong '/'
      "\"\xED\xA0\x80\"",      // UTF-16 surrogate encoded in UTF-8
      "\"\xF5\x80\x80\x80\"",  // above U+10FFFF
      "\"\xF4\x90\x80\x80\"",  // above U+10FFFF
      "\"\xC3\"",              // truncated sequence
      "\"\x80\"",              // lone continuation byte
      "\"ab\xFF\"",            // never valid
  };
  for (const char* text : bad) {
    const Status status = parse(doc, text);
    EXPECT_EQ(status.code(), ErrorCode::invalid_json) << text;
    EXPECT_NE(status.message().find("UTF-8"), std::string::npos) << status.message();
    EXPECT_TRUE(doc.empty());
  }
}

TEST(JsonReader, NamesWhyUtf8IsMalformedAndWhere) {
  JsonDocument doc;
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"\"ab\xE0\x80\xAF\"", "at byte 3: invalid UTF-8: overlong encoding"},
      {"\"\xF0\x8F\xBF\xBF\"", "at byte 1: invalid UTF-8: overlong encoding"},
      {"[\"\xED\xA0\x80\"]", "at byte 2: invalid UTF-8: surrogate code point"},
      {"\"\xF4\x90\x80\x80\"", "at byte 1: invalid UTF-8: code point above U+10FFFF"},
      {"\"\xC3\"", "at byte 1: invalid UTF-8"},
      {"\"\xC0\x80\"", "at byte 1: invalid UTF-8"},
  };
  for (const auto& c : cases) {
    const Status status = parse(doc, c.text);
    EXPECT_EQ(status.message(), c.message) << c.text;
  }
}

TEST(JsonReader, RefusesNonStrictJson) {
  JsonDocument doc;
  const char* bad[] = {"",          "   ",        "{",          "[1,]",         "{\"a\":1,}",  "{'a':1}",
                       "// c\n{}",  "NaN",        "Infinity",   "01",           "1.",          ".5",
                       "+1",        "1e",         "tru",        "\"a\" \"b\"",  "{\"a\" 1}",   "[1 2]",
                       "\"\\x\"",   "\"\\u12\"",  "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
                       "\"tab\there\"", "{\"a\":1}x"};
  for (const char* text : bad) {
    EXPECT_EQ(parse(doc, text).code(), ErrorCode::invalid_json) << text;
  }
}

TEST(JsonReader, ErrorNamesTheByteOffset) {
  JsonDocument doc;
  const Status status = parse(doc, "{\"a\": tru}");
  EXPECT_EQ(status.code(), ErrorCode::invalid_json);
  EXPECT_NE(status.message().find("at byte 6"), std::string::npos) << status.message();
}

TEST(JsonReader, RefusesDuplicateKeysInSmallAndLargeObjects) {
  JsonDocument doc;
  // The offset is where the repeated key starts (its quote), like every other parse error.
  const Status small = parse(doc, R"({"a":1,"b":2,"a":3})");
  EXPECT_EQ(small.code(), ErrorCode::invalid_json);
  EXPECT_EQ(small.message(), "at byte 13: duplicate key \"a\" in an object");
  std::string large = "{";
  for (int i = 0; i < 40; ++i) large += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const std::size_t repeat_at = large.size();
  large += "\"k7\":0}";
  const Status status = parse(doc, large);
  EXPECT_EQ(status.code(), ErrorCode::invalid_json);
  EXPECT_EQ(status.message(), "at byte " + std::to_string(repeat_at) + ": duplicate key \"k7\" in an object");
  // Same names in different objects are fine; an escaped spelling is the same key, and
  // as it was decoded elsewhere the offset is the closing brace of its object.
  EXPECT_TRUE(parse(doc, R"({"a":{"a":1},"b":{"a":2}})").ok());
  const Status escaped = parse(doc, R"({"x":{"a":1,"\u0061":2},"y":0})");
  EXPECT_EQ(escaped.code(), ErrorCode::invalid_json);
  EXPECT_EQ(escaped.message(), "at byte 22: duplicate key \"a\" in the object that ends here");
}

TEST(JsonReader, EnforcesTheDepthLimit) {
  JsonDocument doc;
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_TRUE(parse(doc, nested(8), 8).ok());
  const Status status = parse(doc, nested(9), 8);
  EXPECT_EQ(status.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(status.message().find("deeper than 8"), std::string::npos);
  // A very deep document is refused without recursing through all of it.
  EXPECT_EQ(parse(doc, nested(100000), 16).code(), ErrorCode::limit_exceeded);
}

TEST(JsonReader, EnforcesTheByteLimit) {
  JsonDocument doc;
  JsonLimits limits;
  limits.max_bytes = 10;
  EXPECT_TRUE(doc.parse("[1,2,3,4]", limits).ok());
  EXPECT_EQ(doc.parse("[1,2,3,4,5]", limits).code(), ErrorCode::limit_exceeded);
}

TEST(JsonReader, ParsesNumbersExactlyAndRefusesOverflow) {
  JsonDocument doc;
  ASSERT_TRUE(parse(doc, "[0.1, 0.75, 1e3, -0, 1234567890123, 12345678901234567890, 1.7976931348623157e308, 1e-400, "
                         "3.141592653589793238462643]")
                  .ok());
  EXPECT_EQ(doc.node(1).number, 0.1);
  EXPECT_EQ(doc.node(2).number, 0.75);
  EXPECT_EQ(doc.node(3).number, 1000);
  EXPECT_EQ(doc.node(4).number, 0);
  EXPECT_EQ(doc.node(5).number, 1234567890123.0);
  EXPECT_EQ(doc.node(6).number, 12345678901234567890.0);
  EXPECT_EQ(doc.node(7).number, 1.7976931348623157e308);
  EXPECT_EQ(doc.node(8).number, 0);
  EXPECT_EQ(doc.node(9).number, 3.141592653589793);
  EXPECT_EQ(parse(doc, "1e400").code(), ErrorCode::invalid_json);
  EXPECT_EQ(parse(doc, "-1e309").code(), ErrorCode::invalid_json);
}

TEST(JsonReader, ReusingADocumentReplacesItsContent) {
  JsonDocument doc;
  ASSERT_TRUE(parse(doc, R"({"a":[1,2,3]})").ok());
  ASSERT_TRUE(parse(doc, R"("x")").ok());
  EXPECT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc.root().text, "x");
  EXPECT_FALSE(parse(doc, "[").ok());
  EXPECT_TRUE(doc.empty());
}

TEST(JsonReader, RandomMutationsNeverCrashAndAgreeWithNlohmannOnValidity) {
  const std::string seed = R"({"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d\u00e9\n"},"e":"\ud83d\ude00"})";
  const char alphabet[] = "{}[]\",:\\0123456789.eE+-tfnul \x80\xC3\xA9\xED\xF0";
  std::uint64_t state = 99;
  JsonDocument doc;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seed;
    for (int m = 0; m < 3; ++m) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const std::size_t pos = (state >> 33) % text.size();
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      text[pos] = alphabet[(state >> 33) % (sizeof(alphabet) - 1)];
    }
    const bool ours = doc.parse(text).ok();
    const auto theirs = nlohmann::json::parse(text, nullptr, false);
    // nlohmann allows duplicate keys; we refuse them. Otherwise both agree.
    if (ours) EXPECT_FALSE(theirs.is_discarded()) << text;
    if (!ours && !theirs.is_discarded()) {
      JsonLimits loose;
      EXPECT_NE(doc.parse(text, loose).message().find("duplicate"), std::string::npos) << text;
    }
  }
}

TEST(JsonReader, FastPathFindsASpecialByteAtEveryPosition) {
  JsonDocument doc;
  for (std::size_t pos = 0; pos <= 24; ++pos) {
    std::string plain(24, 'a');
    std::string escaped = plain;
    escaped.insert(pos, "\\n");
    ASSERT_TRUE(parse(doc, "\"" + escaped + "\"").ok());
    EXPECT_EQ(doc.root().text, std::string(plain).insert(pos, "\n"));
    std::string utf8 = plain;
    utf8.insert(pos, "\xE2\x82\xAC");
    const std::string utf8_text = "\"" + utf8 + "\"";  // views point into it: keep it alive
    ASSERT_TRUE(parse(doc, utf8_text).ok());
    EXPECT_EQ(doc.root().text, utf8);
    std::string bad = plain;
    bad.insert(pos, "\xE2\x82");  // truncated sequence
    EXPECT_EQ(parse(doc, "\"" + bad + "\"").code(), ErrorCode::invalid_json) << pos;
    std::string control = plain;
    control.insert(pos, "\x01");
    EXPECT_EQ(parse(doc, "\"" + control + "\"").code(), ErrorCode::invalid_json) << pos;
    // The closing quote at any offset ends the string.
    const std::string short_text = "[\"" + plain.substr(0, pos) + "\",1]";
    ASSERT_TRUE(parse(doc, short_text).ok());
    EXPECT_EQ(doc.node(1).text, plain.substr(0, pos));
  }
}
