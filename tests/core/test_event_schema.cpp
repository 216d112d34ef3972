// One row per validation rule: the input, the expected code, and the field
// the message must name (messages start with "<field>: <rule>").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gradvy/event_builder.hpp"

using namespace gradvy;

namespace {

struct Row {
  const char* type;
  std::string props;
  std::string ctx;
  ErrorCode code;
  const char* field;  // message prefix before ':'
};

EventBuilder make_builder() {
  EventConfig config;
  config.custom_types["x_chapter_seen"] = Purpose::personalization;
  return EventBuilder(config);
}

std::string deep_object(int depth) {
  std::string text;
  for (int i = 0; i < depth - 1; ++i) text += "{\"a\":";
  text += "{}";
  for (int i = 0; i < depth - 1; ++i) text += "}";
  return text;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      // type
      {"checkout", "{}", "", ErrorCode::invalid_event, "type"},
      {"x_unregistered", "{}", "", ErrorCode::invalid_event, "type"},
      {"X_Chapter", "{}", "", ErrorCode::invalid_event, "type"},
      {"", "{}", "", ErrorCode::invalid_event, "type"},
      // props shape and JSON
      {"course_interaction", "[]", "", ErrorCode::invalid_event, "props"},
      {"course_interaction", "{\"course_id\":", "", ErrorCode::invalid_json, "props"},
      {"x_chapter_seen", "{\"a\":\"\xC0\x80\"}", "", ErrorCode::invalid_json, "props"},
      {"x_chapter_seen", deep_object(9), "", ErrorCode::invalid_event, "props"},
      {"course_interaction", R"({"course_id":"c1","action":"view","course_id":"c2"})", "", ErrorCode::invalid_json,
       "props"},
      // closed prop sets
      {"course_interaction", R"({"courseId":"c1","action":"view"})", "", ErrorCode::invalid_event, "props.courseId"},
      {"page_view", R"({"title":"Home"})", "", ErrorCode::invalid_event, "props.title"},
      // course_interaction
      {"course_interaction", R"({"action":"view"})", "", ErrorCode::invalid_event, "props.course_id"},
      {"course_interaction", R"({"course_id":"","action":"view"})", "", ErrorCode::invalid_event, "props.course_id"},
      {"course_interaction", R"({"course_id":"has space","action":"view"})", "", ErrorCode::invalid_event,
       "props.course_id"},
      {"course_interaction", R"({"course_id":"me@x.org","action":"view"})", "", ErrorCode::invalid_event,
       "props.course_id"},
      {"course_interaction", R"({"course_id":123,"action":"view"})", "", ErrorCode::invalid_event, "props.course_id"},
      {"course_interaction", "{\"course_id\":\"" + std::string(129, 'c') + "\",\"action\":\"view\"}", "",
       ErrorCode::invalid_event, "props.course_id"},
      {"course_interaction", R"({"course_id":"c1"})", "", ErrorCode::invalid_event, "props.action"},
      {"course_interaction", R"({"course_id":"c1","action":"VIEW"})", "", ErrorCode::invalid_event, "props.action"},
      {"course_interaction", R"({"course_id":"c1","action":"view","duration":-1})", "", ErrorCode::invalid_event,
       "props.duration"},
      {"course_interaction", R"({"course_id":"c1","action":"view","duration":86400.5})", "",
       ErrorCode::invalid_event, "props.duration"},
      {"course_interaction", R"({"course_id":"c1","action":"view","duration":"60"})", "", ErrorCode::invalid_event,
       "props.duration"},
      // learning_session
      {"learning_session", R"({"completion_rate":0.5,"content_type":"video"})", "", ErrorCode::invalid_event,
       "props.duration"},
      {"learning_session", R"({"duration":60,"completion_rate":1.01,"content_type":"video"})", "",
       ErrorCode::invalid_event, "props.completion_rate"},
      {"learning_session", R"({"duration":60,"completion_rate":-0.1,"content_type":"video"})", "",
       ErrorCode::invalid_event, "props.completion_rate"},
      {"learning_session", R"({"duration":60,"completion_rate":0.5})", "", ErrorCode::invalid_event,
       "props.content_type"},
      {"learning_session", R"({"duration":60,"completion_rate":0.5,"content_type":"Video"})", "",
       ErrorCode::invalid_event, "props.content_type"},
      // quiz_attempt
      {"quiz_attempt", R"({"score":11,"total_questions":10,"time_taken":30})", "", ErrorCode::invalid_event,
       "props.score"},
      {"quiz_attempt", R"({"score":-1,"total_questions":10,"time_taken":30})", "", ErrorCode::invalid_event,
       "props.score"},
      {"quiz_attempt", R"({"score":1,"total_questions":0,"time_taken":30})", "", ErrorCode::invalid_event,
       "props.total_questions"},
      {"quiz_attempt", R"({"score":1,"total_questions":10.5,"time_taken":30})", "", ErrorCode::invalid_event,
       "props.total_questions"},
      {"quiz_attempt", R"({"score":1,"total_questions":10001,"time_taken":30})", "", ErrorCode::invalid_event,
       "props.total_questions"},
      {"quiz_attempt", R"({"score":1,"total_questions":10})", "", ErrorCode::invalid_event, "props.time_taken"},
      {"quiz_attempt", R"({"score":1,"total_questions":10,"time_taken":30,"course_id":"a b"})", "",
       ErrorCode::invalid_event, "props.course_id"},
      // search
      {"search", R"({"results_count":3})", "", ErrorCode::invalid_event, "props.query"},
      {"search", "{\"query\":\"" + std::string(513, 'q') + "\",\"results_count\":3}", "", ErrorCode::invalid_event,
       "props.query"},
      {"search", R"({"query":"x","results_count":-1})", "", ErrorCode::invalid_event, "props.results_count"},
      {"search", R"({"query":"x","results_count":2.5})", "", ErrorCode::invalid_event, "props.results_count"},
      {"search", R"({"query":"x","results_count":3,"filters":[1]})", "", ErrorCode::invalid_event, "props.filters"},
      {"search", R"({"query":"x","results_count":3,"filters":{"level":{"deep":1}}})", "", ErrorCode::invalid_event,
       "props.filters.level"},
      {"search", R"({"query":"x","results_count":3,"filters":{"tags":[{"a":1}]}})", "", ErrorCode::invalid_event,
       "props.filters.tags[0]"},
      {"search", R"({"query":"x","results_count":3,"filters":{"":1}})", "", ErrorCode::invalid_event,
       "props.filters."},
      // clicks
      {"button_click", R"({"page_url":"/home"})", "", ErrorCode::invalid_event, "props.element_id"},
      {"link_click", R"({"element_id":"nav-1"})", "", ErrorCode::invalid_event, "props.page_url"},
      {"form_submit", R"({"element_id":"f","page_url":"ftp://x"})", "", ErrorCode::invalid_event, "props.page_url"},
      {"form_submit", R"({"element_id":"f","page_url":"/a b"})", "", ErrorCode::invalid_event, "props.page_url"},
      // recommendation_impression
      {"recommendation_impression", R"({"item_ids":[],"algorithm_version":"v1"})", "", ErrorCode::invalid_event,
       "props.item_ids"},
      {"recommendation_impression", R"({"item_ids":["a",7],"algorithm_version":"v1"})", "",
       ErrorCode::invalid_event, "props.item_ids[1]"},
      {"recommendation_impression", R"({"item_ids":"a","algorithm_version":"v1"})", "", ErrorCode::invalid_event,
       "props.item_ids"},
      {"recommendation_impression", R"({"item_ids":["a"]})", "", ErrorCode::invalid_event, "props.algorithm_version"},
      // recommendation_feedback
      {"recommendation_feedback", R"({"feedback":"dismissed"})", "", ErrorCode::invalid_event, "props.item_id"},
      {"recommendation_feedback", R"({"item_id":"c1","feedback":"meh"})", "", ErrorCode::invalid_event,
       "props.feedback"},
      {"recommendation_feedback", R"({"item_id":"c1","feedback":"dismissed","reason":5})", "",
       ErrorCode::invalid_event, "props.reason"},
      // experiment_exposure
      {"experiment_exposure", R"({"variant":"b"})", "", ErrorCode::invalid_event, "props.experiment"},
      {"experiment_exposure", R"({"experiment":"e1","variant":""})", "", ErrorCode::invalid_event, "props.variant"},
      // custom props
      {"x_chapter_seen", "{\"note\":\"" + std::string(4097, 'n') + "\"}", "", ErrorCode::invalid_event,
       "props.note"},
      {"x_chapter_seen", "{\"list\":[1,{\"t\":\"" + std::string(4097, 'n') + "\"}]}", "", ErrorCode::invalid_event,
       "props.list[1].t"},
      {"x_chapter_seen", R"({"":1})", "", ErrorCode::invalid_event, "props."},
      {"x_chapter_seen", R"({"bad\nkey":1})", "", ErrorCode::invalid_event, "props.bad\nkey"},
      // ctx
      {"page_view", "{}", "[]", ErrorCode::invalid_event, "ctx"},
      {"page_view", "{}", R"({"page_url":"javascript:void"})", ErrorCode::invalid_event, "ctx.page_url"},
      {"page_view", "{}", R"({"referrer":"not a url"})", ErrorCode::invalid_event, "ctx.referrer"},
      {"page_view", "{}", R"({"locale":"english"})", ErrorCode::invalid_event, "ctx.locale"},
      {"page_view", "{}", R"({"locale":7})", ErrorCode::invalid_event, "ctx.locale"},
      {"page_view", "{}", R"({"ip":"1.2.3.4"})", ErrorCode::invalid_event, "ctx.ip"},
      {"page_view", "{}", R"({"page_url":)", ErrorCode::invalid_json, "ctx"},
  };
  return table;
}

}  // namespace

TEST(EventSchema, EveryRuleRefusesWithItsCodeAndNamesTheField) {
  for (const Row& row : rows()) {
    EventBuilder builder = make_builder();
    Rng rng(1);
    const auto result = builder.build(row.type, row.props, row.ctx, 1000, rng);
    const std::string label = std::string(row.type) + " " + row.props.substr(0, 80) + " " + row.ctx;
    ASSERT_FALSE(result.ok()) << label;
    EXPECT_EQ(result.code(), row.code) << label << " -> " << result.message();
    const std::string prefix = std::string(row.field);
    EXPECT_EQ(result.message().substr(0, prefix.size()), prefix) << label << " -> " << result.message();
    // The field name is followed directly by ':' (or, for nested fields that
    // the row names partially, by more of the path).
    if (prefix.back() != '.') {
      const char next = result.message().size() > prefix.size() ? result.message()[prefix.size()] : '\0';
      EXPECT_TRUE(next == ':' || next == '.' || next == '[') << result.message();
    }
    // A refused event changes nothing.
    EXPECT_EQ(builder.last_seq(), 0u) << label;
  }
}

TEST(EventSchema, MessagesStateTheRule) {
  EventBuilder builder = make_builder();
  Rng rng(1);
  auto r = builder.build("quiz_attempt", R"({"score":11,"total_questions":10,"time_taken":30})", "", 1, rng);
  EXPECT_EQ(r.message(), "props.score: must be a number between 0 and total_questions");
  r = builder.build("course_interaction", R"({"courseId":"c1","action":"view"})", "", 1, rng);
  EXPECT_EQ(r.message(),
            "props.courseId: unknown property for course_interaction (allowed: course_id, action, duration)");
  r = builder.build("course_interaction", R"({"course_id":"c1"})", "", 1, rng);
  EXPECT_EQ(r.message(), "props.action: is required for course_interaction");
  r = builder.build("x_other", "{}", "", 1, rng);
  EXPECT_NE(r.message().find("not registered"), std::string::npos);
}

TEST(EventSchema, AcceptsAValidEventOfEveryType) {
  const std::vector<std::pair<const char*, const char*>> valid = {
      {"page_view", ""},
      {"page_view", "{}"},
      {"course_interaction", R"({"course_id":"c-123","action":"view"})"},
      {"course_interaction", R"({"course_id":"course/2024:intro_1.v2","action":"progress","duration":86400})"},
      {"learning_session", R"({"duration":0,"completion_rate":1,"content_type":"video"})"},
      {"quiz_attempt", R"({"score":10,"total_questions":10.0,"time_taken":12.5,"course_id":"c1"})"},
      {"quiz_attempt", R"({"score":0,"total_questions":1,"time_taken":0})"},
      {"search", R"({"query":"","results_count":0})"},
      {"search", R"({"query":"python","results_count":1000000000,"filters":{"level":"beginner","free":true,"price":null,"tags":["a",1,false]}})"},
      {"button_click", R"({"element_id":"enroll-btn","page_url":"/courses/c1"})"},
      {"link_click", R"({"element_id":"nav","page_url":"https://learn.example.com/x?y=1#z"})"},
      {"form_submit", R"({"element_id":"signup","page_url":"http://localhost:3000/"})"},
      {"recommendation_impression", R"({"item_ids":["c1","c2","c3"],"algorithm_version":"rerank-1.0"})"},
      {"recommendation_feedback", R"({"item_id":"c1","feedback":"thumbs_down","reason":"too easy"})"},
      {"experiment_exposure", R"({"experiment":"ranker_v2","variant":"treatment"})"},
      {"x_chapter_seen", R"({"chapter":3,"meta":{"tags":["a",{"b":null}]},"ok":true})"},
  };
  for (const auto& [type, props] : valid) {
    EventBuilder builder = make_builder();
    Rng rng(2);
    const auto r = builder.build(type, props, R"({"page_url":"/p","referrer":"","locale":"pt-BR"})", 5, rng);
    EXPECT_TRUE(r.ok()) << type << " " << props << " -> " << r.message();
  }
}

TEST(EventSchema, BoundsAreInclusive) {
  EventBuilder builder = make_builder();
  Rng rng(3);
  std::string ids = "[";
  for (int i = 0; i < 100; ++i) ids += (i ? ",\"i" : "\"i") + std::to_string(i) + "\"";
  EXPECT_TRUE(builder.build("recommendation_impression", "{\"item_ids\":" + ids + "],\"algorithm_version\":\"v\"}",
                            "", 1, rng)
                  .ok());
  const auto over = builder.build("recommendation_impression",
                                  "{\"item_ids\":" + ids + ",\"x\"],\"algorithm_version\":\"v\"}", "", 1, rng);
  EXPECT_EQ(over.code(), ErrorCode::invalid_event);
  EXPECT_EQ(over.message().substr(0, 15), "props.item_ids:");
  EXPECT_TRUE(builder.build("course_interaction",
                            "{\"course_id\":\"" + std::string(128, 'c') + "\",\"action\":\"view\"}", "", 1, rng)
                  .ok());
  EXPECT_TRUE(builder.build("x_chapter_seen", deep_object(8), "", 1, rng).ok());
}

// URLs are checked 8 bytes at a time, the last few in one overlapping load:
// a space or control byte must be caught at every position and length.
TEST(EventSchema, UrlRuleCatchesABadByteAtEveryPosition) {
  for (std::size_t length = 2; length <= 40; ++length) {
    const std::string clean = "/" + std::string(length - 1, 'a');
    EXPECT_TRUE(is_url(clean)) << clean;
    for (std::size_t at = 1; at < length; ++at) {
      for (const char bad : {' ', '\t', '\x01', '\x7f'}) {
        std::string text = clean;
        text[at] = bad;
        EXPECT_FALSE(is_url(text)) << "length " << length << " at " << at;
      }
    }
  }
}

TEST(EventSchema, PurposesOfTypes) {
  EventBuilder builder = make_builder();
  EXPECT_EQ(*builder.purpose_of("course_interaction"), Purpose::analytics);
  EXPECT_EQ(*builder.purpose_of("experiment_exposure"), Purpose::analytics);
  EXPECT_EQ(*builder.purpose_of("recommendation_impression"), Purpose::personalization);
  EXPECT_EQ(*builder.purpose_of("recommendation_feedback"), Purpose::personalization);
  EXPECT_EQ(*builder.purpose_of("x_chapter_seen"), Purpose::personalization);
  EXPECT_EQ(builder.purpose_of("x_nope").code(), ErrorCode::invalid_event);
  EXPECT_TRUE(builder.register_custom_type("x_nope", Purpose::marketing).ok());
  EXPECT_EQ(*builder.purpose_of("x_nope"), Purpose::marketing);
  EXPECT_EQ(builder.register_custom_type("nope", Purpose::marketing).code(), ErrorCode::invalid_argument);
}
