#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gradvy/json_writer.hpp"

using namespace gradvy;

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\0k", 21));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\\u0000k\"");
  const auto parsed = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed.get<std::string>(), std::string("a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\0k", 21));
}

TEST(JsonWriter, PassesUnicodeThroughUnchanged) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\xA8";
  std::string out;
  append_json_string(out, text);
  EXPECT_EQ(out, "\"" + text + "\"");
  EXPECT_EQ(nlohmann::json::parse(out, nullptr, false).get<std::string>(), text);
}

TEST(JsonWriter, JsonOutGrowsAndMatchesStdString) {
  JsonOut buffer;
  std::string reference;
  for (int i = 0; i < 2000; ++i) {
    append_json_key(buffer, "k");
    append_json_key(reference, "k");
    append_json_int(buffer, -i * 7919);
    append_json_int(reference, -i * 7919);
    append_json_string(buffer, "v\"" + std::to_string(i));
    append_json_string(reference, "v\"" + std::to_string(i));
  }
  EXPECT_EQ(buffer.view(), reference);
  buffer.truncate(3);
  EXPECT_EQ(buffer.view(), reference.substr(0, 3));
  std::string uint_out;
  append_json_uint(uint_out, 18446744073709551615ull);
  EXPECT_EQ(uint_out, "18446744073709551615");
}

TEST(JsonWriter, FastPathFindsASpecialByteAtEveryPosition) {
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\x1f'), std::string(1, '\0'), "\xC3\xA9"};
  for (const auto& special : specials) {
    for (std::size_t pos = 0; pos <= 24; ++pos) {
      std::string text(24, 'a');
      text.insert(pos, special);
      std::string out;
      append_json_string(out, text);
      const auto parsed = nlohmann::json::parse(out, nullptr, false);
      ASSERT_FALSE(parsed.is_discarded()) << out;
      EXPECT_EQ(parsed.get<std::string>(), text) << pos;
    }
  }
}
