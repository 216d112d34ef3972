// parse_json_tree / write_json: the core's own parser and writer standing in
// for nlohmann's, so snapshots and exports keep the exact text they had.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "gradvy/json_tree.hpp"

using gradvy::ErrorCode;
using gradvy::parse_json_tree;
using gradvy::write_json;
using nlohmann::json;

namespace {

std::string nlohmann_dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

TEST(JsonTree, WritesWhatNlohmannWrites) {
  const json values[] = {
      json(nullptr), json(true), json(false), json(0), json(-1), json(std::uint64_t{18446744073709551615u}),
      json(std::int64_t{-9223372036854775807 - 1}), json(0.0), json(-0.0), json(1.0), json(0.1), json(1e-7),
      json(1e20), json(9e15), json(123456.789), json(1.0 / 3.0), json(5e-324), json(1.7976931348623157e308),
      json(std::nan("")), json(std::numeric_limits<double>::infinity()), json("plain"),
      json("quote \" backslash \\ newline \n tab \t cr \r bs \b ff \f nul-free \x01 \x1f del \x7f"),
      json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), json::array(), json::object(),
      json::parse(R"({"b":[1,2.5,{"z":null,"a":"x"}],"a":{"nested":[[],{}]},"é":-3})"),
  };
  for (const json& value : values) EXPECT_EQ(write_json(value), nlohmann_dump(value)) << nlohmann_dump(value);
}

TEST(JsonTree, ReplacesBytesThatAreNotUtf8) {
  // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16 surrogate.
  const json value = json::array({std::string("a\x80z"), std::string("b\xE2\x82"), std::string("\xC0\xAF"),
                                  std::string("\xED\xA0\x80!")});
  const std::string text = write_json(value);
  EXPECT_EQ(text, "[\"a\xEF\xBF\xBDz\",\"b\xEF\xBF\xBD\xEF\xBF\xBD\",\"\xEF\xBF\xBD\xEF\xBF\xBD\","
                  "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!\"]");
  EXPECT_TRUE(parse_json_tree(text).ok()) << "what it writes reads back";
}

TEST(JsonTree, ReadsNumbersWithNlohmannsTypes) {
  const auto tree = parse_json_tree(R"([0,7,-7,18446744073709551615,18446744073709551616,-9223372036854775809,1.0,2e3,-0])");
  ASSERT_TRUE(tree.ok()) << tree.message();
  const json& a = *tree;
  EXPECT_TRUE(a[0].is_number_unsigned());
  EXPECT_EQ(a[1].get<std::uint64_t>(), 7u);
  EXPECT_TRUE(a[2].is_number_integer() && !a[2].is_number_unsigned());
  EXPECT_EQ(a[2].get<std::int64_t>(), -7);
  EXPECT_EQ(a[3].get<std::uint64_t>(), 18446744073709551615u);
  EXPECT_TRUE(a[4].is_number_float()) << "beyond 64 bits";
  EXPECT_TRUE(a[5].is_number_float());
  EXPECT_TRUE(a[6].is_number_float());
  EXPECT_TRUE(a[7].is_number_float());
  EXPECT_EQ(a[7].get<double>(), 2000.0);
  EXPECT_TRUE(a[8].is_number_integer());
  // The same tree nlohmann's parser builds, compared value by value.
  const std::string doc = R"({"s":"caf\u00e9 \ud83d\ude00 \"q\"","n":[1,-2,3.5e-3],"o":{"t":true,"f":false,"z":null}})";
  const auto ours = parse_json_tree(doc);
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(*ours, json::parse(doc));
  EXPECT_EQ(write_json(*ours), nlohmann_dump(json::parse(doc)));
}

TEST(JsonTree, RefusesWhatTheStrictReaderRefuses) {
  EXPECT_EQ(parse_json_tree(R"({"a":1,"a":2})").message(), "at byte 7: duplicate key \"a\" in an object");
  for (const char* bad : {"{", "", "[1,]", "NaN", "01", "\"\xC3\"", "[1] x"}) {
    const auto tree = parse_json_tree(bad);
    EXPECT_EQ(tree.code(), ErrorCode::invalid_json) << bad;
    EXPECT_NE(tree.message().find("at byte"), std::string::npos) << bad << " -> " << tree.message();
  }
  gradvy::JsonLimits shallow;
  shallow.max_depth = 2;
  EXPECT_EQ(parse_json_tree("[[[1]]]", shallow).code(), ErrorCode::limit_exceeded);
}
