#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "gradvy/event_builder.hpp"
#include "gradvy/event_schema.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

constexpr std::int64_t kT0 = 1700000000000;
const char* kSmall = R"({"course_id":"c-123","action":"view"})";

json wire_json(const StampedEvent& event) {
  json parsed = json::parse(event.wire(), nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << event.wire();
  return parsed;
}

}  // namespace

TEST(EventBuilder, StampsEnvelopeAndWritesCanonicalJson) {
  EventBuilder builder;
  ASSERT_TRUE(builder.identify("u-42").ok());
  Rng rng(11);
  Rng twin(11);
  const auto r = builder.build("course_interaction", kSmall, R"({"locale":"en-US","page_url":"/c/c-123"})", kT0, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  const StampedEvent& e = *r;
  // Ids come from the injected RNG, in the same form as Rng::uuid4.
  const std::string expected_id = twin.uuid4();
  const std::string expected_session = twin.uuid4();
  EXPECT_EQ(e.id(), expected_id);
  EXPECT_EQ(e.session_id(), expected_session);
  EXPECT_TRUE(is_uuid(e.id()));
  EXPECT_EQ(e.type(), EventType::course_interaction);
  EXPECT_EQ(e.type_name(), "course_interaction");
  EXPECT_EQ(e.purpose(), Purpose::analytics);
  EXPECT_EQ(e.ts(), kT0);
  EXPECT_EQ(e.seq(), 1u);
  EXPECT_TRUE(e.starts_session());
  EXPECT_EQ(e.user_id(), "u-42");
  EXPECT_EQ(e.wire(), "{\"id\":\"" + expected_id +
                          "\",\"type\":\"course_interaction\",\"ts\":1700000000000,\"seq\":1,\"session_id\":\"" +
                          expected_session +
                          "\",\"user_id\":\"u-42\",\"purpose\":\"analytics\",\"props\":{\"course_id\":\"c-123\","
                          "\"action\":\"view\"},\"ctx\":{\"locale\":\"en-US\",\"page_url\":\"/c/c-123\"}}");
  EXPECT_EQ(e.course_id(), "c-123");
  ASSERT_TRUE(e.facts().action.has_value());
  EXPECT_EQ(*e.facts().action, CourseAction::view);
  EXPECT_FALSE(e.facts().duration_s.has_value());
}

TEST(EventBuilder, AnonymousEventsOmitUserIdAndEmptyCtx) {
  EventBuilder builder;
  Rng rng(1);
  const auto r = builder.build("page_view", "", R"({"referrer":""})", kT0, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  const json j = wire_json(*r);
  EXPECT_FALSE(j.contains("user_id"));
  EXPECT_FALSE(j.contains("ctx"));
  EXPECT_EQ(j["props"], json::object());
  EXPECT_EQ(r->user_id(), "");
  EXPECT_TRUE(builder.build("page_view", "{}", "null", kT0, rng).ok());
}

TEST(EventBuilder, SeqIsMonotonicAndIdsAreUnique) {
  EventBuilder builder;
  Rng rng(5);
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    const auto r = builder.build("course_interaction", kSmall, "", kT0 + i * 1000, rng);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->seq(), static_cast<std::uint64_t>(i + 1));
    EXPECT_TRUE(ids.insert(std::string(r->id())).second);
    // A refused event in between does not consume a seq or an RNG draw.
    if (i % 100 == 0) {
      const std::uint64_t before = rng.state()[0];
      EXPECT_FALSE(builder.build("course_interaction", "{}", "", kT0 + i * 1000, rng).ok());
      EXPECT_EQ(rng.state()[0], before);
    }
  }
  EXPECT_EQ(builder.last_seq(), 2000u);
}

TEST(EventBuilder, SessionRollsOverExactlyAtTheIdleBound) {
  EventConfig config;
  config.session_idle_ms = 30 * 60 * 1000;
  EventBuilder builder(config);
  Rng rng(9);
  const auto first = builder.build("page_view", "", "", kT0, rng);
  ASSERT_TRUE(first.ok());
  const std::string s1(first->session_id());
  // One ms short of the bound: same session (and activity moves the window).
  const auto second = builder.build("page_view", "", "", kT0 + 30 * 60 * 1000 - 1, rng);
  EXPECT_EQ(second->session_id(), s1);
  EXPECT_FALSE(second->starts_session());
  // Exactly the bound after the last activity: a new session.
  const auto third = builder.build("page_view", "", "", kT0 + 2 * (30 * 60 * 1000) - 1, rng);
  EXPECT_NE(third->session_id(), s1);
  EXPECT_TRUE(third->starts_session());
  EXPECT_TRUE(is_uuid(third->session_id()));
  // A small backwards clock step stays; a big one starts a new session.
  const std::string s3(third->session_id());
  const auto back_small = builder.build("page_view", "", "", kT0 + 2 * (30 * 60 * 1000) - 1 - 5000, rng);
  EXPECT_EQ(back_small->session_id(), s3);
  const auto back_big = builder.build("page_view", "", "", kT0, rng);
  EXPECT_NE(back_big->session_id(), s3);
}

TEST(EventBuilder, ConfiguredIdleTimeAndLogoutEndSessions) {
  EventConfig config;
  config.session_idle_ms = 5000;
  EventBuilder builder(config);
  Rng rng(2);
  const std::string s1(builder.build("page_view", "", "", kT0, rng)->session_id());
  EXPECT_EQ(builder.build("page_view", "", "", kT0 + 4999, rng)->session_id(), s1);
  EXPECT_NE(builder.build("page_view", "", "", kT0 + 4999 + 5000, rng)->session_id(), s1);
  ASSERT_TRUE(builder.identify("learner-7").ok());
  const std::string s2(builder.session_id());
  EXPECT_EQ(builder.build("page_view", "", "", kT0 + 10000, rng)->session_id(), s2);  // identify keeps the session
  builder.reset_identity();
  const auto after = builder.build("page_view", "", "", kT0 + 10001, rng);
  EXPECT_NE(after->session_id(), s2);
  EXPECT_EQ(after->user_id(), "");
  EXPECT_EQ(after->seq(), 5u);
}

TEST(EventBuilder, IdentifyRefusesEmailsAndUnsafeIds) {
  EventBuilder builder;
  EXPECT_EQ(builder.identify("jane@example.com").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.identify("user:jane%40example.com").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.identify("").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.identify("has space").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.identify("quo\"te").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.identify(std::string(129, 'u')).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.user_id(), "");
  const Status status = builder.identify("a@b.co");
  EXPECT_EQ(status.message().substr(0, 8), "user_id:");
  EXPECT_TRUE(builder.identify("sha256:9f86d081884c7d659a2feaa0c55ad015").ok());
  EXPECT_TRUE(builder.identify("@handle").ok());  // not an address
}

TEST(EventBuilder, RejectsOutOfRangeClock) {
  EventBuilder builder;
  Rng rng(1);
  EXPECT_EQ(builder.build("page_view", "", "", -1, rng).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(builder.build("page_view", "", "", kMaxTimestampMs + 1, rng).code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(builder.build("page_view", "", "", 0, rng).ok());
}

TEST(EventBuilder, ScrubsPiiInFreeTextCtxFiltersAndCustomProps) {
  EventConfig config;
  config.custom_types["x_note"] = Purpose::analytics;
  EventBuilder builder(config);
  Rng rng(3);
  auto r = builder.build(
      "search",
      R"({"query":"call me 555-123-4567 or jane@x.org","results_count":0,"filters":{"who":"bob@corp.org","email":"x","phone_number":"1","level":"b","tags":["4111 1111 1111 1111","ok"]}})",
      R"({"page_url":"/search?email=bob%40corp.org","referrer":"https://mail.example.com/?tel=555-123-4567"})", kT0,
      rng);
  ASSERT_TRUE(r.ok()) << r.message();
  json j = wire_json(*r);
  EXPECT_EQ(j["props"]["query"], "call me [redacted] or [redacted]");
  EXPECT_EQ(r->query(), "call me [redacted] or [redacted]");
  EXPECT_EQ(j["props"]["filters"], json::parse(R"({"who":"[redacted]","level":"b","tags":["[redacted]","ok"]})"));
  EXPECT_EQ(j["ctx"]["page_url"], "/search?email=[redacted]");
  EXPECT_EQ(j["ctx"]["referrer"], "https://mail.example.com/?tel=[redacted]");
  EXPECT_EQ(r->pii().redacted, 6u);
  EXPECT_EQ(r->pii().dropped_keys, 2u);
  EXPECT_EQ(r->wire().find("555-123"), std::string::npos);
  EXPECT_EQ(r->wire().find("corp.org"), std::string::npos);

  r = builder.build(
      "x_note",
      R"({"text":"mail jane@x.org","nested":{"deeper":[{"Password":"hunter2","n":"+4915112345678"}]},"jane@x.org":1,"duration":5551234567,"id":"5551234567"})",
      "", kT0, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  j = wire_json(*r);
  EXPECT_EQ(j["props"], json::parse(
                            R"({"text":"mail [redacted]","nested":{"deeper":[{"n":"[redacted]"}]},"duration":5551234567,"id":"5551234567"})"));
  EXPECT_EQ(r->pii().redacted, 2u);
  EXPECT_EQ(r->pii().dropped_keys, 2u);  // "Password" and the key that is an e-mail
}

TEST(EventBuilder, RepeatedContextGivesTheSameWireCountsAndErrors) {
  // A context equal to the previous valid one is rendered once and reused: every
  // call must still carry it, count its redactions, and refuse bad ones.
  EventBuilder builder;
  Rng rng(5);
  const std::string ctx = R"({"page_url":"/c?tel=555-123-4567","locale":"en-GB"})";
  const std::string expected_ctx = R"({"page_url":"/c?tel=[redacted]","locale":"en-GB"})";
  for (int i = 0; i < 3; ++i) {
    const auto r = builder.build("course_interaction", kSmall, ctx, kT0 + i, rng);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(wire_json(*r)["ctx"], json::parse(expected_ctx));
    EXPECT_EQ(r->pii().redacted, 1u);
  }
  auto r = builder.build("course_interaction", kSmall, R"({"locale":"de"})", kT0 + 3, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(wire_json(*r)["ctx"], json::parse(R"({"locale":"de"})"));
  EXPECT_EQ(r->pii().redacted, 0u);
  // No context, then an empty one, after a cached one.
  r = builder.build("course_interaction", kSmall, "", kT0 + 4, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_FALSE(wire_json(*r).contains("ctx"));
  r = builder.build("course_interaction", kSmall, R"({"referrer":""})", kT0 + 5, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_FALSE(wire_json(*r).contains("ctx"));
  // An invalid context after a valid one, and the same invalid text twice.
  for (int i = 0; i < 2; ++i) {
    r = builder.build("course_interaction", kSmall, R"({"locale":"not a tag"})", kT0 + 6, rng);
    EXPECT_EQ(r.code(), ErrorCode::invalid_event);
    r = builder.build("course_interaction", kSmall, R"({"locale":)", kT0 + 6, rng);
    EXPECT_EQ(r.code(), ErrorCode::invalid_json);
  }
  // The valid one again after the failures, then from a moved builder.
  r = builder.build("course_interaction", kSmall, ctx, kT0 + 7, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(wire_json(*r)["ctx"], json::parse(expected_ctx));
  EventBuilder moved = std::move(builder);
  r = moved.build("course_interaction", kSmall, ctx, kT0 + 8, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(wire_json(*r)["ctx"], json::parse(expected_ctx));
  EXPECT_EQ(r->pii().redacted, 1u);
}

TEST(EventBuilder, IdentifiersAreNotScannedForNumbers) {
  EventBuilder builder;
  Rng rng(3);
  // A 16-digit Luhn-valid numeric id and a phone-shaped id stay as they are.
  const auto r = builder.build("course_interaction", R"({"course_id":"4111111111111111","action":"view"})", "", kT0, rng);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->course_id(), "4111111111111111");
  EXPECT_EQ(r->pii().redacted, 0u);
  const auto r2 = builder.build("button_click", R"({"element_id":"555-123-4567","page_url":"/a"})", "", kT0, rng);
  EXPECT_NE(r2->wire().find("555-123-4567"), std::string::npos);
}

TEST(EventBuilder, ConfiguredDropKeysReplaceTheDefaults) {
  auto config = event_config_from_json(
      json::parse(R"({"drop_keys":["school"],"custom_types":{"x_profile":"personalization"}})"));
  ASSERT_TRUE(config.ok()) << config.message();
  EventBuilder builder(*config);
  Rng rng(4);
  const auto r = builder.build("x_profile", R"({"School":"MIT","email":"kept-by-config","grade":3})", "", kT0, rng);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(wire_json(*r)["props"], json::parse(R"({"email":"kept-by-config","grade":3})"));
  EXPECT_EQ(r->purpose(), Purpose::personalization);
  EXPECT_EQ(r->type(), EventType::custom);
  EXPECT_EQ(r->type_name(), "x_profile");
}

TEST(EventBuilder, RefusesEventsOverTheSizeLimitWithoutChangingState) {
  EventConfig config;
  config.max_event_bytes = 1024;
  config.custom_types["x_blob"] = Purpose::analytics;
  EventBuilder builder(config);
  Rng rng(8);
  const std::uint64_t rng_before = rng.state()[1];
  const auto big = builder.build("x_blob", "{\"a\":\"" + std::string(1000, 'z') + "\"}", "", kT0, rng);
  ASSERT_EQ(big.code(), ErrorCode::event_too_large);
  EXPECT_NE(big.message().find("the limit is 1024 bytes"), std::string::npos) << big.message();
  EXPECT_EQ(big.message().substr(0, 6), "event:");
  EXPECT_EQ(rng.state()[1], rng_before);
  EXPECT_EQ(builder.last_seq(), 0u);
  EXPECT_EQ(builder.session_id(), "");
  // Far over the limit: refused before parsing.
  const auto huge = builder.build("x_blob", "{\"a\":\"" + std::string(10000, 'z') + "\"}", "", kT0, rng);
  EXPECT_EQ(huge.code(), ErrorCode::event_too_large);
  // Just under the limit is fine; the wire size is what is measured.
  const auto fits = builder.build("x_blob", "{\"a\":\"" + std::string(700, 'z') + "\"}", "", kT0, rng);
  ASSERT_TRUE(fits.ok());
  EXPECT_LE(fits->wire_size(), 1024u);
  EXPECT_EQ(fits->wire_size(), fits->wire().size());
}

TEST(EventBuilder, DefaultLimitIs32KiB) {
  EventConfig config;
  config.custom_types["x_blob"] = Purpose::analytics;
  EventBuilder builder(config);
  Rng rng(8);
  std::string props = "{";
  for (int i = 0; i < 9; ++i) props += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"" + std::string(4000, 'z') + "\"";
  props += "}";
  const auto r = builder.build("x_blob", props, "", kT0, rng);
  EXPECT_EQ(r.code(), ErrorCode::event_too_large);
  EXPECT_NE(r.message().find("32768"), std::string::npos);
}

TEST(EventBuilder, WireRoundTripsEscapesAndUnicodeThroughNlohmann) {
  EventConfig config;
  config.custom_types["x_text"] = Purpose::analytics;
  EventBuilder builder(config);
  Rng rng(6);
  const std::string props =
      R"({"q":"say \"hi\"\\ \n\t\u0001 caf\u00e9 \ud83d\ude00 \u2028","n":-1.5e-3,"list":[true,false,null],"k\"ey":1})";
  const auto r = builder.build("x_text", props, "", kT0, rng);
  ASSERT_TRUE(r.ok()) << r.message();
  const json j = wire_json(*r);
  EXPECT_EQ(j["props"]["q"], "say \"hi\"\\ \n\t\x01 caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xA8");
  EXPECT_DOUBLE_EQ(j["props"]["n"].get<double>(), -1.5e-3);
  EXPECT_EQ(j["props"]["list"], json::parse("[true,false,null]"));
  EXPECT_EQ(j["props"]["k\"ey"], 1);
  EXPECT_EQ(j["type"], "x_text");
  EXPECT_EQ(j["seq"], 1);
  // No raw control characters survive on the wire.
  for (char c : r->wire()) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

TEST(EventBuilder, ExposesProfileFieldsOfEveryType) {
  EventBuilder builder;
  Rng rng(12);
  auto r = builder.build("learning_session", R"({"duration":600,"completion_rate":0.75,"content_type":"video"})", "",
                         kT0, rng);
  EXPECT_EQ(*r->facts().duration_s, 600);
  EXPECT_EQ(*r->facts().completion_rate, 0.75);
  EXPECT_EQ(r->content_type(), "video");
  r = builder.build("quiz_attempt", R"({"score":7.5,"total_questions":10,"time_taken":95,"course_id":"c9"})", "",
                    kT0, rng);
  EXPECT_EQ(*r->facts().score, 7.5);
  EXPECT_EQ(*r->facts().total_questions, 10);
  EXPECT_EQ(*r->facts().time_taken_s, 95);
  EXPECT_EQ(r->course_id(), "c9");
  r = builder.build("recommendation_feedback", R"({"item_id":"c3","feedback":"dismissed","reason":"seen it"})", "",
                    kT0, rng);
  EXPECT_EQ(r->item_id(), "c3");
  EXPECT_EQ(*r->facts().feedback, Feedback::dismissed);
  EXPECT_EQ(r->purpose(), Purpose::personalization);
  r = builder.build("recommendation_impression", R"({"item_ids":["c1","c2"],"algorithm_version":"v3"})", "", kT0, rng);
  ASSERT_EQ(r->item_id_count(), 2u);
  EXPECT_EQ(r->item_id_at(1), "c2");
  EXPECT_EQ(r->algorithm_version(), "v3");
  r = builder.build("experiment_exposure", R"({"experiment":"e1","variant":"b"})", "", kT0, rng);
  EXPECT_EQ(r->experiment(), "e1");
  EXPECT_EQ(r->variant(), "b");
  r = builder.build("search", R"({"query":"graph theory","results_count":12})", "", kT0, rng);
  EXPECT_EQ(r->query(), "graph theory");
  EXPECT_EQ(*r->facts().results_count, 12);
  // Views survive a copy of the event.
  const StampedEvent copy = *r;
  EXPECT_EQ(copy.id(), r->id());
  EXPECT_NE(copy.id().data(), r->id().data());
}

TEST(EventBuilder, StateRoundTripsThroughJson) {
  EventBuilder builder;
  Rng rng(21);
  ASSERT_TRUE(builder.identify("u-1").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(builder.build("page_view", "", "", kT0 + i, rng).ok());
  const json state = builder.to_json();
  EXPECT_EQ(state["version"], 1);
  EXPECT_EQ(state["seq"], 3);

  EventBuilder restored;
  ASSERT_TRUE(restored.restore(state).ok());
  EXPECT_EQ(restored.to_json(), state);
  const auto next = restored.build("page_view", "", "", kT0 + 10, rng);
  EXPECT_EQ(next->seq(), 4u);
  EXPECT_EQ(next->session_id(), builder.session_id());
  EXPECT_EQ(next->user_id(), "u-1");

  EventBuilder fresh;
  const json empty = fresh.to_json();
  EXPECT_TRUE(empty["session_id"].is_null());
  EXPECT_TRUE(restored.restore(empty).ok());
  EXPECT_EQ(restored.last_seq(), 0u);
}

TEST(EventBuilder, CorruptStateIsRefusedAndLeavesStateUnchanged) {
  EventBuilder builder;
  Rng rng(22);
  ASSERT_TRUE(builder.identify("u-1").ok());
  ASSERT_TRUE(builder.build("page_view", "", "", kT0, rng).ok());
  const json good = builder.to_json();
  const auto with = [&](const char* key, json value) {
    json copy = good;
    copy[key] = std::move(value);
    return copy;
  };
  json missing_seq = good;
  missing_seq.erase("seq");
  const std::vector<std::pair<json, ErrorCode>> bad = {
      {json::array(), ErrorCode::snapshot_corrupt},
      {json("text"), ErrorCode::snapshot_corrupt},
      {with("version", 2), ErrorCode::snapshot_version},
      {with("version", "1"), ErrorCode::snapshot_corrupt},
      {missing_seq, ErrorCode::snapshot_corrupt},
      {with("seq", -1), ErrorCode::snapshot_corrupt},
      {with("seq", 1.5), ErrorCode::snapshot_corrupt},
      {with("seq", 9007199254740992ll), ErrorCode::snapshot_corrupt},
      {with("session_id", "not-a-uuid"), ErrorCode::snapshot_corrupt},
      {with("session_id", 7), ErrorCode::snapshot_corrupt},
      {with("last_activity_ms", nullptr), ErrorCode::snapshot_corrupt},
      {with("last_activity_ms", -5), ErrorCode::snapshot_corrupt},
      {with("user_id", "jane@example.com"), ErrorCode::snapshot_corrupt},
      {with("user_id", 5), ErrorCode::snapshot_corrupt},
      {with("extra", true), ErrorCode::snapshot_corrupt},
  };
  for (const auto& [doc, code] : bad) {
    const Status status = builder.restore(doc);
    EXPECT_EQ(status.code(), code) << doc.dump();
    EXPECT_EQ(builder.to_json(), good) << doc.dump();
  }
  json no_session = good;
  no_session["session_id"] = nullptr;  // last_activity_ms still set: inconsistent
  EXPECT_EQ(builder.restore(no_session).code(), ErrorCode::snapshot_corrupt);
  EXPECT_EQ(builder.to_json(), good);
}
