// A table of malformed requests against the real server: each gets its exact
// status, error code and message, and none of them stores anything.
#include <gtest/gtest.h>

#include <ctime>

#include "support/sync_server.hpp"

using gradvy_test::body_json;
using gradvy_test::make_event;
using gradvy_test::uuid4;
using nlohmann::json;

namespace {

enum class Auth { valid, none, basic, expired, forged, malformed };

struct Case {
  std::string name;
  std::string method;
  std::string path;
  std::string content_type;  // "" = no Content-Type header
  Auth auth;
  std::string body;
  int status;
  std::string code;
  std::string message;
};

constexpr const char* kUser = "table-learner";

json event(int variant = 0) { return make_event(kUser, "2b4e28ba-2fa1-41d2-883f-0016d3cca427", 1, 1763700000000, variant); }

std::string batch_with(const json& events) {
  return json{{"batch_id", "b-1"}, {"device_id", "d-1"}, {"sent_at", 1763700000000}, {"events", events}}.dump();
}
std::string batch_with_event(const json& e) { return batch_with(json::array({e})); }

json with(json e, const std::string& key, const json& value) {
  e[key] = value;
  return e;
}
json without(json e, const std::string& key) {
  e.erase(key);
  return e;
}

std::string all_aggregate_keys_but(const std::string& missing, double epsilon = 1.0) {
  json counts = json::object();
  for (const char* k : {"page_view", "course_interaction.view", "course_interaction.enroll",
                        "course_interaction.progress", "course_interaction.complete", "course_interaction.drop",
                        "learning_session", "quiz_attempt", "search", "button_click", "link_click", "form_submit",
                        "recommendation_impression", "recommendation_feedback.thumbs_up",
                        "recommendation_feedback.thumbs_down", "recommendation_feedback.dismissed",
                        "experiment_exposure", "custom"}) {
    if (k != missing) counts[k] = 0.25;
  }
  return json{{"device_id", "d-1"}, {"from_ms", 1}, {"to_ms", 2}, {"epsilon", epsilon}, {"counts", counts}}.dump();
}

std::vector<Case> cases() {
  const std::string J = "application/json";
  std::vector<Case> t;
  auto batch = [&](std::string name, std::string body, int status, std::string code, std::string message) {
    t.push_back({std::move(name), "POST", "/v1/batch", J, Auth::valid, std::move(body), status, std::move(code),
                 std::move(message)});
  };
  // --- the body as a whole
  batch("truncated JSON", R"({"batch_id":)", 400, "invalid_json", "body: not valid JSON: at byte 12: unexpected end of input");
  batch("trailing garbage", R"({} x)", 400, "invalid_json", "body: not valid JSON: at byte 3: unexpected text after the JSON value");
  batch("duplicate key", R"({"batch_id":"a","batch_id":"b"})", 400, "invalid_json",
        "body: not valid JSON: at byte 16: duplicate key \"batch_id\" in an object");
  batch("nested 40 deep", std::string(40, '[') + std::string(40, ']'), 400, "invalid_json",
        "body: not valid JSON: JSON nested deeper than 32 levels at byte 32");
  batch("invalid UTF-8 byte", std::string("{\"batch_id\":\"b\xff\"}"), 400, "invalid_utf8", "body: invalid UTF-8 at byte 14");
  batch("overlong UTF-8", std::string("{\"a\":\"\xc0\xaf\"}"), 400, "invalid_utf8", "body: invalid UTF-8 at byte 6");
  batch("UTF-16 surrogate in UTF-8", std::string("{\"a\":\"\xed\xa0\x80\"}"), 400, "invalid_utf8", "body: invalid UTF-8 at byte 6");
  batch("body is an array", "[]", 400, "invalid_batch", "body: must be a JSON object");
  // --- the envelope
  batch("missing batch_id", R"({"device_id":"d","sent_at":1,"events":[{}]})", 400, "invalid_batch",
        "batch_id: must be a string of 1..128 bytes");
  batch("batch_id is a number", R"({"batch_id":7,"device_id":"d","sent_at":1,"events":[{}]})", 400, "invalid_batch",
        "batch_id: must be a string of 1..128 bytes");
  batch("batch_id too long", json{{"batch_id", std::string(129, 'b')}, {"device_id", "d"}, {"sent_at", 1}, {"events", {1}}}.dump(),
        400, "invalid_batch", "batch_id: must be a string of 1..128 bytes");
  batch("missing device_id", R"({"batch_id":"b","sent_at":1,"events":[{}]})", 400, "invalid_batch",
        "device_id: must be a string of 1..128 bytes");
  batch("sent_at is a string", R"({"batch_id":"b","device_id":"d","sent_at":"now","events":[{}]})", 400, "invalid_batch",
        "sent_at: must be a non-negative integer (ms since epoch)");
  batch("sent_at is fractional", R"({"batch_id":"b","device_id":"d","sent_at":1.5,"events":[{}]})", 400, "invalid_batch",
        "sent_at: must be a non-negative integer (ms since epoch)");
  batch("sent_at is negative", R"({"batch_id":"b","device_id":"d","sent_at":-5,"events":[{}]})", 400, "invalid_batch",
        "sent_at: must be a non-negative integer (ms since epoch)");
  batch("events missing", R"({"batch_id":"b","device_id":"d","sent_at":1})", 400, "invalid_batch",
        "events: must be an array of events");
  batch("events is an object", R"({"batch_id":"b","device_id":"d","sent_at":1,"events":{"0":{}}})", 400, "invalid_batch",
        "events: must be an array of events");
  batch("events empty", R"({"batch_id":"b","device_id":"d","sent_at":1,"events":[]})", 400, "invalid_batch",
        "events: must hold at least one event");
  {
    json many = json::array();
    for (int i = 0; i < 1001; ++i) many.push_back(json::object());
    batch("huge events array", batch_with(many), 413, "too_many_events", "events: 1001 events; at most 1000 per batch");
  }
  batch("body over 1 MiB", batch_with_event(with(event(), "pad", std::string(1100000, 'p'))), 413, "body_too_large",
        "body: larger than 1048576 bytes");
  // --- the events (the core's rules; the message names the event and field)
  {
    json big = event();
    big["type"] = "x_big";
    big["props"] = {{"blob", std::string(40000, 'z')}};
    const std::size_t size = big.dump().size();
    batch("event over 32 KiB", batch_with_event(big), 413, "event_too_large",
          "events[0]: " + std::to_string(size) + " bytes; the limit is 32768 bytes");
  }
  batch("event is not an object", batch_with(json::array({1})), 400, "invalid_event", "events[0]: must be a JSON object");
  batch("unknown event type", batch_with_event(with(event(), "type", "page_viewx")), 400, "invalid_event",
        "events[0].type: unknown event type \"page_viewx\" (built-in, or custom x_ followed by 1-62 of a-z 0-9 _)");
  batch("id is not a UUID", batch_with_event(with(event(), "id", "evt-1")), 400, "invalid_event",
        "events[0].id: must be a lower-case UUID");
  batch("ts is a string", batch_with_event(with(event(), "ts", "yesterday")), 400, "invalid_event",
        "events[0].ts: must be an integer number of milliseconds between 0 and 2^53-1");
  batch("seq is zero", batch_with_event(with(event(), "seq", 0)), 400, "invalid_event",
        "events[0].seq: must be an integer between 1 and 2^53-1");
  batch("missing session_id", batch_with_event(without(event(), "session_id")), 400, "invalid_event",
        "events[0].session_id: must be a lower-case UUID");
  batch("unknown envelope key", batch_with_event(with(event(), "extra", 1)), 400, "invalid_event",
        "events[0].extra: unknown event field (allowed: id, type, ts, seq, session_id, user_id, purpose, props, ctx)");
  batch("wrong purpose for type", batch_with_event(with(event(), "purpose", "marketing")), 400, "invalid_event",
        "events[0].purpose: must be analytics for course_interaction");
  batch("props.action not allowed", batch_with_event(with(event(), "props", {{"course_id", "py-101"}, {"action", "binge"}})),
        400, "invalid_event", "events[0].props.action: must be one of view, enroll, progress, complete, drop");
  batch("props.course_id wrong type", batch_with_event(with(event(), "props", {{"course_id", 101}, {"action", "view"}})),
        400, "invalid_event",
        "events[0].props.course_id: must be an identifier: a string of 1-128 characters from A-Z a-z 0-9 . _ : / -");
  batch("quiz score above total", batch_with_event(with(event(2), "props", {{"score", 11}, {"total_questions", 10}, {"time_taken", 5}})),
        400, "invalid_event", "events[0].props.score: must be a number between 0 and total_questions");
  batch("second event bad, first fine", batch_with(json::array({event(), with(event(1), "id", "nope")})), 400,
        "invalid_event", "events[1].id: must be a lower-case UUID");
  batch("user_id is someone else", batch_with_event(with(event(), "user_id", "someone-else")), 403, "user_mismatch",
        "events[0].user_id: must equal the token's subject");
  batch("user_id missing", batch_with_event(without(event(), "user_id")), 403, "user_mismatch",
        "events[0].user_id: must equal the token's subject");
  // --- transport and auth
  const std::string good = batch_with_event(event());
  t.push_back({"text/plain content type", "POST", "/v1/batch", "text/plain", Auth::valid, good, 415,
               "unsupported_media_type", "Content-Type: must be application/json"});
  t.push_back({"no content type", "POST", "/v1/batch", "", Auth::valid, good, 415, "unsupported_media_type",
               "Content-Type: must be application/json"});
  t.push_back({"form content type", "POST", "/v1/batch", "application/x-www-form-urlencoded", Auth::valid, good, 415,
               "unsupported_media_type", "Content-Type: must be application/json"});
  t.push_back({"no token", "POST", "/v1/batch", J, Auth::none, good, 401, "token_missing",
               "Authorization: Bearer <token> header is required"});
  t.push_back({"basic auth instead of bearer", "POST", "/v1/batch", J, Auth::basic, good, 401, "token_missing",
               "Authorization header must use the Bearer scheme"});
  t.push_back({"expired token", "POST", "/v1/batch", J, Auth::expired, good, 401, "token_expired", "token expired"});
  t.push_back({"forged token", "POST", "/v1/batch", J, Auth::forged, good, 401, "token_invalid_signature",
               "token signature does not match"});
  t.push_back({"malformed token", "POST", "/v1/batch", J, Auth::malformed, good, 401, "token_malformed",
               "token must be <payload>.<signature>"});
  t.push_back({"GET on the batch route", "GET", "/v1/batch", "", Auth::valid, "", 405, "method_not_allowed",
               "GET /v1/batch: allowed POST"});
  t.push_back({"unknown route", "GET", "/v2/batch", "", Auth::valid, "", 404, "not_found", "no route for GET /v2/batch"});
  // --- consent and aggregates
  const std::string C = "/v1/consent";
  t.push_back({"consent: unknown purpose", "PUT", C, J, Auth::valid,
               R"({"purpose":"telepathy","granted":true,"at":1,"source":"app","policy_version":"v1"})", 400,
               "invalid_consent", "purpose: unknown purpose 'telepathy'"});
  t.push_back({"consent: essential withdrawn", "PUT", C, J, Auth::valid,
               R"({"purpose":"essential","granted":false,"at":1,"source":"app","policy_version":"v1"})", 400,
               "invalid_consent", "granted: essential cannot be withdrawn"});
  t.push_back({"consent: granted is a string", "PUT", C, J, Auth::valid,
               R"({"purpose":"analytics","granted":"yes","at":1,"source":"app","policy_version":"v1"})", 400,
               "invalid_consent", "granted: must be true or false"});
  t.push_back({"consent: second record of a list bad", "PUT", C, J, Auth::valid,
               R"([{"purpose":"analytics","granted":true,"at":1,"source":"app","policy_version":"v1"},{"purpose":"analytics","granted":true,"at":-1,"source":"app","policy_version":"v1"}])",
               400, "invalid_consent", "body[1].at: must be an integer number of milliseconds >= 0"});
  t.push_back({"consent: empty list", "PUT", C, J, Auth::valid, "[]", 400, "invalid_consent",
               "body: must hold at least one consent record"});
  t.push_back({"consent: a number", "PUT", C, J, Auth::valid, "42", 400, "invalid_consent",
               "body: must be a consent record or an array of them"});
  {
    json many = json::array();
    for (int i = 0; i < 101; ++i)
      many.push_back({{"purpose", "analytics"}, {"granted", true}, {"at", i}, {"source", "app"}, {"policy_version", "v1"}});
    t.push_back({"consent: 101 records", "PUT", C, J, Auth::valid, many.dump(), 413, "too_many_records",
                 "body: 101 records; at most 100 per request"});
  }
  t.push_back({"aggregates: a domain key missing", "POST", "/v1/aggregates", J, Auth::valid,
               all_aggregate_keys_but("search"), 400, "invalid_aggregate",
               "counts.search: missing (every domain key is required)"});
  t.push_back({"aggregates: epsilon zero (no noise)", "POST", "/v1/aggregates", J, Auth::valid,
               all_aggregate_keys_but("", 0.0), 400, "invalid_aggregate",
               "epsilon: must be a number between 0.01 and 10 (the noise the device added)"});
  return t;
}

class MalformedRequests : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new gradvy_test::TempDir();
    server_ = new gradvy_test::SyncServer(*dir_, gradvy_test::ServerOptions{"sqlite:" + dir_->file("table.sqlite")});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static gradvy_test::TempDir* dir_;
  static gradvy_test::SyncServer* server_;
};
gradvy_test::TempDir* MalformedRequests::dir_ = nullptr;
gradvy_test::SyncServer* MalformedRequests::server_ = nullptr;

TEST_F(MalformedRequests, EachGetsItsExactStatusCodeAndMessageAndNothingIsStored) {
  const auto table = cases();
  ASSERT_GE(table.size(), 30u);
  auto c = server_->client();
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (const Case& k : table) {
    SCOPED_TRACE(k.name);
    httplib::Headers h;
    switch (k.auth) {
      case Auth::valid: h.emplace("Authorization", "Bearer " + server_->token(kUser)); break;
      case Auth::none: break;
      case Auth::basic: h.emplace("Authorization", "Basic dXNlcjpwYXNz"); break;
      case Auth::expired: h.emplace("Authorization", "Bearer " + gradvy_sync::make_token(server_->secret(), kUser, now - 10)); break;
      case Auth::forged: h.emplace("Authorization", "Bearer " + gradvy_sync::make_token("a-different-secret-value", kUser, now + 600)); break;
      case Auth::malformed: h.emplace("Authorization", "Bearer abc"); break;
    }
    if (!k.content_type.empty()) h.emplace("Content-Type", k.content_type);
    httplib::Request req;
    req.method = k.method;
    req.path = k.path;
    req.headers = h;
    req.body = k.body;
    // httplib adds a Content-Type only if the request names one; an empty one stays absent.
    auto r = c.send(req);
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, k.status) << r->body;
    const json body = body_json(r);
    EXPECT_EQ(body["error"]["code"], k.code) << r->body;
    EXPECT_EQ(body["error"]["message"], k.message) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  }
  const json exported = body_json(c.Get("/v1/me/export", gradvy_test::auth(server_->token(kUser))));
  EXPECT_TRUE(exported["events"].empty()) << exported.dump();
  EXPECT_TRUE(exported["batches"].empty()) << exported.dump();
  EXPECT_TRUE(exported["consent"].empty()) << exported.dump();
  EXPECT_TRUE(exported["aggregates"].empty()) << exported.dump();
  // The server is still healthy after all of that.
  EXPECT_EQ(c.Get("/healthz")->status, 200);
}

}  // namespace
