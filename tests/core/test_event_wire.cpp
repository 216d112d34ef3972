#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gradvy/event_builder.hpp"
#include "gradvy/event_wire.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

json built_event(const char* type, const char* props, const char* ctx = "") {
  EventConfig config;
  config.custom_types["x_chapter"] = Purpose::marketing;
  EventBuilder builder(config);
  EXPECT_TRUE(builder.identify("u-9").ok());
  Rng rng(77);
  const auto r = builder.build(type, props, ctx, 1700000000000, rng);
  EXPECT_TRUE(r.ok()) << r.message();
  return json::parse(r->wire());
}

}  // namespace

TEST(EventWire, EveryBuiltEventPassesTheServerCheck) {
  const std::pair<const char*, const char*> events[] = {
      {"page_view", ""},
      {"course_interaction", R"({"course_id":"c-1","action":"complete","duration":12})"},
      {"learning_session", R"({"duration":60,"completion_rate":0.5,"content_type":"reading"})"},
      {"quiz_attempt", R"({"score":3,"total_questions":5,"time_taken":40})"},
      {"search", R"({"query":"mail a@b.co","results_count":2,"filters":{"free":true}})"},
      {"link_click", R"({"element_id":"l","page_url":"/x"})"},
      {"recommendation_impression", R"({"item_ids":["a","b"],"algorithm_version":"v1"})"},
      {"recommendation_feedback", R"({"item_id":"a","feedback":"thumbs_up"})"},
      {"experiment_exposure", R"({"experiment":"e","variant":"control"})"},
      {"x_chapter", R"({"n":1,"deep":{"a":[{"b":"c"}]}})"},
  };
  for (const auto& [type, props] : events) {
    const json event = built_event(type, props, R"({"page_url":"/p","locale":"en"})");
    const Status from_json = validate_wire_event(event);
    EXPECT_TRUE(from_json.ok()) << type << ": " << from_json.message();
    const std::string text = event.dump();
    const auto read = read_wire_event(text);
    ASSERT_TRUE(read.ok()) << type << ": " << read.message();
    EXPECT_EQ(read->type_name, type);
    EXPECT_EQ(read->id, event["id"]);
    EXPECT_EQ(read->session_id, event["session_id"]);
    EXPECT_EQ(read->user_id, "u-9");
    EXPECT_EQ(read->ts, 1700000000000);
    EXPECT_EQ(read->seq, 1u);
  }
  // A custom type's declared purpose travels and is accepted as is.
  const auto custom = read_wire_event(built_event("x_chapter", "{}").dump());
  EXPECT_EQ(custom->purpose, Purpose::marketing);
  EXPECT_EQ(custom->type, EventType::custom);
}

TEST(EventWire, CourseInteractionCarriesItsCourseAndActionDecoded) {
  // Escaped in the text, decoded in the fields the server stores as columns.
  json event = built_event("course_interaction", R"({"course_id":"c-1","action":"complete"})");
  std::string text = event.dump();
  const std::string plain = R"("course_id":"c-1")";
  text.replace(text.find(plain), plain.size(), R"("course_id":"c\u002d\u0031")");
  WireEvent reused;
  ASSERT_TRUE(read_wire_event_into(text, WireLimits(), reused).ok());
  EXPECT_EQ(reused.course_id, "c-1");
  EXPECT_EQ(reused.action, "complete");
  // Reading another type into the same object leaves no interaction behind.
  ASSERT_TRUE(read_wire_event_into(built_event("page_view", "").dump(), WireLimits(), reused).ok());
  EXPECT_EQ(reused.type_name, "page_view");
  EXPECT_EQ(reused.course_id, "");
  EXPECT_EQ(reused.action, "");
  EXPECT_EQ(reused.user_id, "u-9");
  // Nor does an event without a user id keep the previous one's.
  json anonymous = built_event("page_view", "");
  anonymous.erase("user_id");
  ASSERT_TRUE(read_wire_event_into(anonymous.dump(), WireLimits(), reused).ok());
  EXPECT_EQ(reused.user_id, "");
}

TEST(EventWire, EnvelopeRulesNameTheField) {
  const json good = built_event("course_interaction", R"({"course_id":"c-1","action":"view"})");
  struct Case {
    const char* key;
    json value;  // null with erase=true removes the key
    bool erase;
    const char* field;
  };
  const Case cases[] = {
      {"id", nullptr, true, "id"},
      {"id", "123", false, "id"},
      {"id", "6F9619FF-8B86-4011-B42D-00C04FC964FF", false, "id"},
      {"type", "purchase", false, "type"},
      {"type", 3, false, "type"},
      {"ts", -1, false, "ts"},
      {"ts", 1.5, false, "ts"},
      {"ts", "1700000000000", false, "ts"},
      {"seq", 0, false, "seq"},
      {"seq", nullptr, true, "seq"},
      {"session_id", "s", false, "session_id"},
      {"user_id", "jane@example.com", false, "user_id"},
      {"user_id", 42, false, "user_id"},
      {"purpose", "personalization", false, "purpose"},  // course_interaction is analytics
      {"purpose", "ads", false, "purpose"},
      {"props", nullptr, true, "props"},
      {"props", json::parse(R"({"course_id":"c-1"})"), false, "props.action"},
      {"ctx", json::parse(R"({"locale":"??"})"), false, "ctx.locale"},
      {"extra", 1, false, "extra"},
  };
  for (const Case& c : cases) {
    json event = good;
    if (c.erase) event.erase(c.key);
    else event[c.key] = c.value;
    const Status status = validate_wire_event(event);
    EXPECT_EQ(status.code(), ErrorCode::invalid_event) << event.dump();
    const std::string prefix = std::string(c.field) + ":";
    EXPECT_EQ(status.message().substr(0, prefix.size()), prefix) << status.message();
  }
}

TEST(EventWire, CustomTypesNeedOnlyAWellFormedNameAndPurpose) {
  json event = built_event("x_chapter", R"({"a":1})");
  event["type"] = "x_never_registered_here";
  event["purpose"] = "analytics";
  EXPECT_TRUE(validate_wire_event(event).ok());
  event["type"] = "x_Bad-Name";
  EXPECT_EQ(validate_wire_event(event).code(), ErrorCode::invalid_event);
}

TEST(EventWire, TextFormRulesSizeJsonAndDepth) {
  const json good = built_event("x_chapter", R"({"a":1})");
  const std::string text = good.dump();
  WireLimits small;
  small.max_event_bytes = text.size() - 1;
  EXPECT_EQ(validate_wire_event(std::string_view(text), small).code(), ErrorCode::event_too_large);
  EXPECT_EQ(validate_wire_event(std::string_view(text.substr(0, text.size() - 1))).code(), ErrorCode::invalid_json);
  EXPECT_EQ(validate_wire_event(std::string_view("[]")).code(), ErrorCode::invalid_event);
  json deep = good;
  json inner = json::object();
  for (int i = 0; i < 8; ++i) inner = json{{"a", inner}};
  deep["props"] = inner;  // 9 levels including props
  const Status status = validate_wire_event(deep);
  EXPECT_EQ(status.code(), ErrorCode::invalid_event);
  EXPECT_EQ(status.message().substr(0, 6), "props:");
}
