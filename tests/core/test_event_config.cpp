#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gradvy/event_config.hpp"
#include "gradvy/pii_key_filter.hpp"

using namespace gradvy;
using nlohmann::json;

TEST(EventConfig, DefaultsAreDocumented) {
  const EventConfig config;
  EXPECT_EQ(config.session_idle_ms, 30 * 60 * 1000);
  EXPECT_EQ(config.max_event_bytes, 32768u);
  EXPECT_EQ(config.drop_keys.size(), kDefaultDropKeys.size());
  EXPECT_TRUE(config.custom_types.empty());
  EXPECT_TRUE(validate_event_config(config).ok());
}

TEST(EventConfig, ReadsEveryFieldFromJson) {
  const auto config = event_config_from_json(json::parse(R"({
    "session_idle_ms": 600000, "max_event_bytes": 4096,
    "extra_drop_keys": ["school"], "custom_types": {"x_video_chapter": "personalization", "x_ping": "essential"}})"));
  ASSERT_TRUE(config.ok()) << config.message();
  EXPECT_EQ(config->session_idle_ms, 600000);
  EXPECT_EQ(config->max_event_bytes, 4096u);
  EXPECT_EQ(config->drop_keys.size(), kDefaultDropKeys.size() + 1);
  EXPECT_EQ(config->custom_types.at("x_video_chapter"), Purpose::personalization);
  EXPECT_EQ(config->custom_types.at("x_ping"), Purpose::essential);
  // to_json -> from_json is the identity.
  const auto again = event_config_from_json(to_json(*config));
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(to_json(*again), to_json(*config));
  EXPECT_TRUE(event_config_from_json(json::object()).ok());
}

TEST(EventConfig, RefusesBadValuesNamingTheField) {
  const std::pair<const char*, const char*> bad[] = {
      {R"([])", "event config"},
      {R"({"session_idle_ms": 999})", "session_idle_ms"},
      {R"({"session_idle_ms": "30m"})", "session_idle_ms"},
      {R"({"max_event_bytes": 100})", "max_event_bytes"},
      {R"({"max_event_bytes": 2000000})", "max_event_bytes"},
      {R"({"max_event_bytes": -1})", "max_event_bytes"},
      {R"({"drop_keys": "email"})", "drop_keys"},
      {R"({"drop_keys": [1]})", "drop_keys[0]"},
      {R"({"drop_keys": ["query"]})", "drop_keys"},
      {R"({"extra_drop_keys": ["Course-ID"]})", "drop_keys"},
      {R"({"drop_keys": ["__"]})", "drop_keys"},
      {R"({"custom_types": {"video": "analytics"}})", "custom_types.video"},
      {R"({"custom_types": {"x_video": "ads"}})", "custom_types.x_video"},
      {R"({"custom_types": {"x_video": 1}})", "custom_types.x_video"},
      {R"({"custom_types": []})", "custom_types"},
      {R"({"sessionIdle": 5})", "event config"},
  };
  for (const auto& [text, field] : bad) {
    const auto config = event_config_from_json(json::parse(text));
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.code(), ErrorCode::invalid_argument) << text;
    const std::string prefix = std::string(field) + ":";
    EXPECT_EQ(config.message().substr(0, prefix.size()), prefix) << text << " -> " << config.message();
  }
}
