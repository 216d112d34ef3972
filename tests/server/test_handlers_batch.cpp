// POST /v1/batch in process, against a real SQLite file: the fast path (one
// structural pass, each event parsed once) accepts exactly what the
// whole-body path accepts and words every refusal the same way; plus the
// pieces it is built from (body slicer, JSON string writer, token cache).
#include <gtest/gtest.h>

#include "gradvy/json_reader.hpp"
#include "gradvy_sync/auth_token.hpp"
#include "gradvy_sync/handlers.hpp"
#include "gradvy_sync/handlers_batch_body.hpp"
#include "gradvy_sync/http_response.hpp"
#include "gradvy_sync/verified_token_cache.hpp"
#include "support/sync_server.hpp"

using namespace gradvy_sync;
using gradvy_test::make_batch;
using nlohmann::json;

namespace {

constexpr const char* kUser = "batch-handler-learner";

class BatchHandler : public ::testing::Test {
 protected:
  BatchHandler()
      : storage_(open_storage("sqlite:" + dir_.file("handler.sqlite"))),
        config_(load_config()),
        ctx_{config_, *storage_, candidates_, metrics_, {}} {}

  ServeConfig load_config() {
    std::ofstream(dir_.file("secret")) << "handler-test-secret-value\n";
    const auto loaded = load_serve_config({"--catalog", gradvy_test::fixture_catalog(), "--secret-file", dir_.file("secret")},
                                          [](const std::string&) { return std::optional<std::string>(); });
    EXPECT_TRUE(loaded.ok) << loaded.error;
    return loaded.config;
  }

  ApiResponse post(const std::string& body) { return handle_post_batch(ctx_, kUser, body, gradvy_test::now_ms()); }

  // What a whole-body parse says about `body` (the refusal the server must give).
  static std::string json_error_of(const std::string& body) {
    gradvy::JsonDocument doc;
    gradvy::JsonLimits limits;
    limits.max_depth = 32;
    limits.max_bytes = body.size() + 1;
    const gradvy::Status status = doc.parse(body, limits);
    EXPECT_FALSE(status.ok()) << body;
    return "body: not valid JSON: " + status.message();
  }

  void expect_refused(const std::string& body, int status, const std::string& code, const std::string& message) {
    const ApiResponse r = post(body);
    EXPECT_EQ(r.status, status) << body.substr(0, 200) << "\n" << r.body;
    const json reply = json::parse(r.body, nullptr, false);
    EXPECT_EQ(reply["error"]["code"], code) << r.body;
    EXPECT_EQ(reply["error"]["message"], message) << r.body;
    EXPECT_EQ(storage_->count_events(kUser), 0) << "a refused batch stored events";
  }

  gradvy_test::TempDir dir_;
  std::unique_ptr<Storage> storage_;
  ServeConfig config_;
  Metrics metrics_;
  CandidateCache candidates_;
  ApiContext ctx_;
};

// The events of `batch` as compact JSON texts, in order.
std::vector<std::string> event_texts(const json& batch) {
  std::vector<std::string> out;
  for (const auto& e : batch["events"]) out.push_back(e.dump());
  return out;
}

TEST_F(BatchHandler, UnusualButValidBodiesAreStoredVerbatim) {
  const json batch = make_batch(kUser, 3);
  const auto events = event_texts(batch);
  // events first, whitespace everywhere, an unknown member holding nested
  // values (even a member named like a field), a batch id spelled with escapes.
  const std::string body = " \n{ \"events\" :\t[ " + events[0] + " ,\n" + events[1] + "," + events[2] +
                           " ] , \"extra\" : {\"events\": [1, {\"x\": \"]}\\\"\"}], \"n\": null} ,"
                           " \"batch_id\" : \"b\\u002d1\", \"device_id\":\"d-1\", \"sent_at\": 1763700000000 } \r\n";
  const ApiResponse r = post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  const json reply = json::parse(r.body);
  EXPECT_EQ(reply, json::parse(R"({"batch_id":"b-1","accepted":3,"duplicates":0,"refused":0,"refused_ids":[]})"));
  const auto stored = storage_->list_events(kUser);
  ASSERT_EQ(stored.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(stored[i], json::parse(events[i]));

  // The same batch id written plainly is the same batch; the events are duplicates.
  const ApiResponse again = post(json{{"batch_id", "b-1"}, {"device_id", "d-1"}, {"sent_at", 1}, {"events", batch["events"]}}.dump());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["duplicates"], 3);
  EXPECT_EQ(storage_->count_events(kUser), 3);
}

TEST_F(BatchHandler, CourseColumnsAreFilledWhetherOrNotTheEventUsesEscapes) {
  json batch = make_batch(kUser, 1);
  json& e = batch["events"][0];
  e["type"] = "course_interaction";
  e["purpose"] = "analytics";
  e["props"] = {{"course_id", "py-101"}, {"action", "enroll"}};
  std::string body = batch.dump();
  // "py-101" written as "py\u002d101": the cut-out value would be wrong, the parser's is right.
  const auto at = body.find("\"py-101\"");
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 8, "\"py\\u002d101\"");
  ASSERT_EQ(post(body).status, 200);
  const auto interactions = storage_->load_interactions();
  ASSERT_EQ(interactions.size(), 1u);
  EXPECT_EQ(interactions[0].item_id, "py-101");
  EXPECT_EQ(interactions[0].action, "enroll");
}

TEST_F(BatchHandler, BodiesTheSlicerWouldMisreadGetTheWholeBodyParsersRefusal) {
  const std::string e = make_batch(kUser, 1)["events"][0].dump();
  const std::string head = R"({"batch_id":"b","device_id":"d","sent_at":1,)";
  for (const std::string& body : {
           head + R"("events":[)" + e + R"(],"events":[)" + e + "]}",       // duplicate member
           head + R"("events":[)" + e + ",]}",                             // trailing comma
           head + R"("events":[)" + e + " " + e + "]}",                     // missing comma
           head + R"("events":[)" + e + R"(],"x":tru})",                    // bad literal elsewhere
           head + R"("events":[)" + e + R"(],"x":)" + std::string(40, '[') + std::string(40, ']') + "}",  // too deep
           head + R"("events":[)" + e + "]} {}",                            // text after the object
           head + R"("events":[)" + e + "]",                                // unterminated object
       }) {
    expect_refused(body, 400, "invalid_json", json_error_of(body));
  }
  // A member name written with escapes is still refused as before.
  expect_refused(head + R"("ev\u0065nts":[)" + e + "]}", 400, "invalid_batch",
                 "events: member name must be written without escapes");
  // An event that only fails the core's rules is named by index, as before.
  expect_refused(head + R"("events":[)" + e + ",{}]}", 400, "invalid_event", "events[1].id: must be a lower-case UUID");
}

TEST(BatchBodySlicer, CutsMembersAndEventsAndGivesUpOnAnythingUnusual) {
  BatchBodySlices s;
  ASSERT_TRUE(slice_batch_body(R"( {"a" : 1 ,"events":[ {"x":"]},\"{"} , {"y":[{}]} ],"b":{"c":[1,2]}} )", s));
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0], R"({"x":"]},\"{"})");
  EXPECT_EQ(s.events[1], R"({"y":[{}]})");
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.members[0].first, "a");
  EXPECT_EQ(s.members[0].second, "1");
  EXPECT_EQ(s.members[1].second, R"({"c":[1,2]})");
  EXPECT_TRUE(slice_batch_body(R"({"events":[]})", s));
  EXPECT_TRUE(s.has_events && s.events.empty());
  for (const char* unusual : {"", "[]", "{}", R"({"events":[1]})", R"({"events":{}})", R"({"a":1,"a":2,"events":[]})",
                              R"({"e\u0076ents":[]})", R"({"events":[],"events":[]})", R"({"events":[{}] x)",
                              R"({"events":[{},]})", R"({"events":[{}]} {})", R"({"a" 1})", R"({"events":[{"a":"}]})"}) {
    EXPECT_FALSE(slice_batch_body(unusual, s)) << unusual;
  }
}

TEST(JsonStringWriter, WritesWhatNlohmannWrites) {
  for (const std::string& text : {std::string(""), std::string("plain"), std::string("q\"uote\\back/slash"),
                                  std::string("ctl\b\f\n\r\t\x01\x1f\x7f"), std::string("caf\xc3\xa9 \xf0\x9f\x98\x80"),
                                  std::string("nul\0byte", 8)}) {
    std::string out;
    append_json_string(out, text);
    EXPECT_EQ(out, json(text).dump()) << text;
  }
  std::string out;
  append_json_string(out, "bad\xff" "byte");
  EXPECT_EQ(out, "\"bad\xef\xbf\xbd" "byte\"");
}

TEST(VerifiedTokenCache, AnswersAsVerifyBearerDoesAndRechecksExpiry) {
  const std::string secret = "token-cache-secret-0123456789";
  VerifiedTokenCache cache(secret, 2);
  const std::int64_t now = 1'800'000'000;
  const std::string header = "Bearer " + make_token(secret, "learner-a", now + 60);
  for (int round = 0; round < 2; ++round) {  // first verified, then from the cache
    const TokenCheck ok = cache.verify(header, now);
    ASSERT_TRUE(ok.ok()) << ok.message;
    EXPECT_EQ(ok.claims.sub, "learner-a");
    EXPECT_EQ(ok.claims.exp, now + 60);
  }
  EXPECT_EQ(cache.size(), 1u);
  const TokenCheck expired = cache.verify(header, now + 60);
  EXPECT_EQ(expired.error, TokenError::expired);
  EXPECT_EQ(expired.message, verify_bearer(header, secret, now + 60).message);

  const std::string forged = "Bearer " + make_token("another-secret-0123456789", "learner-a", now + 60);
  EXPECT_EQ(cache.verify(forged, now).error, TokenError::invalid_signature);
  EXPECT_EQ(cache.verify("", now).error, TokenError::missing);
  for (int i = 0; i < 5; ++i) cache.verify("Bearer " + make_token(secret, "l" + std::to_string(i), now + 60), now);
  EXPECT_LE(cache.size(), 2u);
}

}  // namespace
