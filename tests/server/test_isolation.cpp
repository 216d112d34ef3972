// A token only ever reaches its own learner's data: learner A tries every
// route against learner B's rows and sees, changes and deletes nothing of B's.
#include <gtest/gtest.h>

#include <set>

#include "support/sync_server.hpp"

using gradvy_test::auth;
using gradvy_test::body_json;
using gradvy_test::make_batch;
using nlohmann::json;

namespace {

class IsolationOnBackend : public ::testing::TestWithParam<std::string> {};

json consent_record(const char* purpose, bool granted, std::int64_t at) {
  return {{"purpose", purpose}, {"granted", granted}, {"at", at}, {"source", "app"}, {"policy_version", "v1"}};
}

TEST_P(IsolationOnBackend, LearnerACannotSeeChangeOrDeleteLearnerBsDataThroughAnyRoute) {
  gradvy_test::TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  gradvy_test::SyncServer server(dir, gradvy_test::ServerOptions{db});
  auto c = server.client();
  const std::string a = "alice-" + gradvy_test::random_hex(8);
  const std::string b = "bob-" + gradvy_test::random_hex(8);
  const std::string ta = server.token(a), tb = server.token(b);
  const std::string J = "application/json";

  // B's data: events, consent, an aggregate.
  const json b_batch = make_batch(b, 6);
  ASSERT_EQ(c.Post("/v1/batch", auth(tb), b_batch.dump(), J)->status, 200);
  ASSERT_EQ(c.Put("/v1/consent", auth(tb), consent_record("analytics", true, 10).dump(), J)->status, 200);
  const json b_before = body_json(c.Get("/v1/me/export", auth(tb)));
  ASSERT_EQ(b_before["events"].size(), 6u);
  const std::string b_before_consent = body_json(c.Get("/v1/consent", auth(tb))).dump();

  // 1. Writing events in B's name.
  json as_b = make_batch(b, 2);
  auto r = c.Post("/v1/batch", auth(ta), as_b.dump(), J);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(body_json(r)["error"]["code"], "user_mismatch");
  // A batch mixing A's and B's events is refused whole.
  json mixed = make_batch(a, 2);
  mixed["events"][1]["user_id"] = b;
  EXPECT_EQ(c.Post("/v1/batch", auth(ta), mixed.dump(), J)->status, 403);

  // 2. Reusing B's batch id and B's event ids for A's own events: stored as
  // A's, and the reply does not reveal that B has them (no "duplicates").
  json copy = b_batch;
  copy["device_id"] = "device-" + a;
  for (auto& e : copy["events"]) e["user_id"] = a;
  r = c.Post("/v1/batch", auth(ta), copy.dump(), J);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_json(r)["accepted"], 6);
  EXPECT_EQ(body_json(r)["duplicates"], 0);

  // 3. Reading: export and consent never show B's rows, whatever the query says.
  for (const std::string& path : std::vector<std::string>{"/v1/me/export", "/v1/me/export?user_id=" + b, "/v1/me/export?sub=" + b}) {
    const json mine = body_json(c.Get(path.c_str(), auth(ta)));
    EXPECT_EQ(mine["user_id"], a) << path;
    for (const auto& e : mine["events"]) EXPECT_EQ(e["user_id"], a) << path;
    EXPECT_EQ(mine.dump().find(b), std::string::npos) << path;
  }
  for (const std::string& path : std::vector<std::string>{"/v1/consent", "/v1/consent?user_id=" + b}) {
    const json mine = body_json(c.Get(path.c_str(), auth(ta)));
    EXPECT_TRUE(mine["history"].empty()) << path;
    EXPECT_EQ(mine.dump().find(b), std::string::npos) << path;
  }
  // Paths that name another learner do not exist.
  for (const std::string& path : std::vector<std::string>{"/v1/users/" + b + "/export", "/v1/me/" + b, "/v1/consent/" + b}) {
    EXPECT_EQ(c.Get(path.c_str(), auth(ta))->status, 404) << path;
  }
  // Candidates and metrics carry no learner ids.
  EXPECT_EQ(c.Get("/v1/candidates", auth(ta))->body.find(b), std::string::npos);
  EXPECT_EQ(c.Get("/metrics")->body.find(b), std::string::npos);

  // 4. Writing consent and aggregates only touches A.
  ASSERT_EQ(c.Put("/v1/consent?user_id=" + b, auth(ta), consent_record("analytics", false, 20).dump(), J)->status, 200);
  EXPECT_EQ(body_json(c.Get("/v1/consent", auth(tb))).dump(), b_before_consent);

  // 5. A forged token for B (wrong secret) is refused.
  const std::string forged = gradvy_sync::make_token("guessed-secret-guessed-secret", b, std::time(nullptr) + 600);
  EXPECT_EQ(c.Get("/v1/me/export", auth(forged))->status, 401);
  EXPECT_EQ(c.Delete("/v1/me", auth(forged))->status, 401);

  // 6. Deleting: A's receipt counts A's rows only; B keeps everything.
  r = c.Delete("/v1/me?user_id=" + b, auth(ta));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(body_json(r)["user_id"], a);
  EXPECT_EQ(body_json(r)["rows_by_table"]["events"], 6);
  EXPECT_EQ(body_json(r)["rows_by_table"]["consent"], 1);
  const json b_after = body_json(c.Get("/v1/me/export", auth(tb)));
  EXPECT_EQ(b_after["events"], b_before["events"]);
  EXPECT_EQ(b_after["consent"], b_before["consent"]);
  EXPECT_EQ(b_after["batches"], b_before["batches"]);
  EXPECT_TRUE(body_json(c.Get("/v1/me/export", auth(ta)))["events"].empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, IsolationOnBackend, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
