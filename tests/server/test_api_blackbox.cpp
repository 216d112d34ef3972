// Black-box tests of the real gradvy-sync binary over loopback HTTP: what a
// device or an app backend sees. Storage-dependent behaviour runs on SQLite and
// PostgreSQL (GRADVY_TEST_PG).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "support/sync_server.hpp"

using gradvy_test::auth;
using gradvy_test::body_json;
using gradvy_test::make_batch;
using gradvy_test::ServerOptions;
using gradvy_test::SyncServer;
using gradvy_test::TempDir;
using nlohmann::json;

namespace {

class ApiOnBackend : public ::testing::TestWithParam<std::string> {};

std::string learner(const char* name) { return std::string(name) + "-" + gradvy_test::random_hex(10); }

httplib::Result post_json(httplib::Client& c, const std::string& path, const std::string& token, const json& body) {
  return c.Post(path.c_str(), auth(token), body.dump(), "application/json");
}

TEST_P(ApiOnBackend, RetriedBatchIsStoredOnceAndReplySaysDuplicates) {
  TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  SyncServer server(dir, ServerOptions{db});
  const std::string user = learner("retry");
  const std::string token = server.token(user);
  auto c = server.client();
  const json batch = make_batch(user, 50);

  auto first = post_json(c, "/v1/batch", token, batch);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(body_json(first)["accepted"], 50);
  EXPECT_EQ(body_json(first)["duplicates"], 0);

  for (int retry = 0; retry < 3; ++retry) {
    auto again = post_json(c, "/v1/batch", token, batch);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->status, 200) << again->body;
    EXPECT_EQ(body_json(again)["accepted"], 0);
    EXPECT_EQ(body_json(again)["duplicates"], 50);
  }

  auto exported = c.Get("/v1/me/export", auth(token));
  ASSERT_TRUE(exported);
  ASSERT_EQ(exported->status, 200);
  const auto ids = gradvy_test::exported_event_ids(body_json(exported));
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 50u);
}

TEST_P(ApiOnBackend, OverlappingBatchesStoreEachEventOnce) {
  TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  SyncServer server(dir, ServerOptions{db});
  const std::string user = learner("overlap");
  const std::string token = server.token(user);
  auto c = server.client();
  const json all = make_batch(user, 30);
  // Batch A: events 0..19; batch B (another batch id): events 10..29.
  json a = all, b = all;
  a["batch_id"] = gradvy_test::uuid4();
  b["batch_id"] = gradvy_test::uuid4();
  a["events"] = json(std::vector<json>(all["events"].begin(), all["events"].begin() + 20));
  b["events"] = json(std::vector<json>(all["events"].begin() + 10, all["events"].end()));

  auto ra = post_json(c, "/v1/batch", token, a);
  auto rb = post_json(c, "/v1/batch", token, b);
  ASSERT_TRUE(ra && rb);
  ASSERT_EQ(ra->status, 200) << ra->body;
  ASSERT_EQ(rb->status, 200) << rb->body;
  EXPECT_EQ(body_json(ra)["accepted"], 20);
  EXPECT_EQ(body_json(rb)["accepted"], 10);
  EXPECT_EQ(body_json(rb)["duplicates"], 10);

  // The same event twice inside one batch counts once.
  json twice = make_batch(user, 2);
  twice["events"][1] = twice["events"][0];
  auto rt = post_json(c, "/v1/batch", token, twice);
  ASSERT_TRUE(rt);
  EXPECT_EQ(body_json(rt)["accepted"], 1);
  EXPECT_EQ(body_json(rt)["duplicates"], 1);

  const auto ids = gradvy_test::exported_event_ids(body_json(c.Get("/v1/me/export", auth(token))));
  EXPECT_EQ(ids.size(), 31u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 31u);
}

TEST_P(ApiOnBackend, ExportThenDeleteThenExportIsEmptyAndReceiptListsWhatWent) {
  TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  SyncServer server(dir, ServerOptions{db});
  const std::string user = learner("forget");
  const std::string token = server.token(user);
  auto c = server.client();

  ASSERT_EQ(post_json(c, "/v1/batch", token, make_batch(user, 10))->status, 200);
  ASSERT_EQ(post_json(c, "/v1/batch", token, make_batch(user, 5))->status, 200);
  const json consent = {{"purpose", "analytics"}, {"granted", true}, {"at", gradvy_test::now_ms()},
                        {"source", "app"},        {"policy_version", "2026-01"}};
  ASSERT_EQ(c.Put("/v1/consent", auth(token), consent.dump(), "application/json")->status, 200);
  json aggregate = {{"device_id", "dev-1"}, {"from_ms", 1}, {"to_ms", 2}, {"epsilon", 1.0}, {"counts", json::object()}};
  for (const char* k : {"page_view", "course_interaction.view", "course_interaction.enroll", "course_interaction.progress",
                        "course_interaction.complete", "course_interaction.drop", "learning_session", "quiz_attempt",
                        "search", "button_click", "link_click", "form_submit", "recommendation_impression",
                        "recommendation_feedback.thumbs_up", "recommendation_feedback.thumbs_down",
                        "recommendation_feedback.dismissed", "experiment_exposure", "custom"}) {
    aggregate["counts"][k] = 1.5;
  }
  auto agg = post_json(c, "/v1/aggregates", token, aggregate);
  ASSERT_TRUE(agg);
  ASSERT_EQ(agg->status, 200) << agg->body;

  const json before = body_json(c.Get("/v1/me/export", auth(token)));
  EXPECT_EQ(before["user_id"], user);
  EXPECT_EQ(before["events"].size(), 15u);
  EXPECT_EQ(before["consent"].size(), 1u);
  EXPECT_EQ(before["aggregates"].size(), 1u);
  EXPECT_EQ(before["batches"].size(), 2u);

  const std::int64_t t0 = gradvy_test::now_ms();
  auto del = c.Delete("/v1/me", auth(token));
  ASSERT_TRUE(del);
  ASSERT_EQ(del->status, 200) << del->body;
  const json receipt = body_json(del);
  EXPECT_EQ(receipt["user_id"], user);
  EXPECT_GE(receipt["deleted_at"].get<std::int64_t>(), t0 - 1000);
  EXPECT_EQ(receipt["rows_by_table"]["events"], 15);
  EXPECT_EQ(receipt["rows_by_table"]["consent"], 1);
  EXPECT_EQ(receipt["rows_by_table"]["aggregates"], 1);
  EXPECT_EQ(receipt["rows_by_table"]["batches"], 2);
  EXPECT_EQ(receipt["total_rows"], 19);

  const json after = body_json(c.Get("/v1/me/export", auth(token)));
  EXPECT_EQ(after["user_id"], user);
  EXPECT_TRUE(after["events"].empty());
  EXPECT_TRUE(after["consent"].empty());
  EXPECT_TRUE(after["aggregates"].empty());
  EXPECT_TRUE(after["batches"].empty());
  EXPECT_TRUE(body_json(c.Get("/v1/consent", auth(token)))["history"].empty());

  // A second delete finds nothing left.
  const json again = body_json(c.Delete("/v1/me", auth(token)));
  EXPECT_EQ(again["total_rows"], 0);
}

TEST_P(ApiOnBackend, EventsOfAPurposeTheLatestConsentRecordDeniesAreRefused) {
  TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  SyncServer server(dir, ServerOptions{db});
  const std::string user = learner("consent");
  const std::string token = server.token(user);
  auto c = server.client();
  // No record on the server yet: accepted (the device enforced consent before sending).
  auto first = post_json(c, "/v1/batch", token, make_batch(user, 4));
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(body_json(first)["accepted"], 4);

  const std::int64_t t = gradvy_test::now_ms();
  const json history = json::array({
      {{"purpose", "analytics"}, {"granted", true}, {"at", t - 5000}, {"source", "app"}, {"policy_version", "v1"}},
      {{"purpose", "analytics"}, {"granted", false}, {"at", t - 1000}, {"source", "app"}, {"policy_version", "v1"}},
      {{"purpose", "personalization"}, {"granted", true}, {"at", t - 1000}, {"source", "app"}, {"policy_version", "v1"}},
  });
  auto put = c.Put("/v1/consent", auth(token), history.dump(), "application/json");
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(body_json(put)["stored"], 3);
  EXPECT_EQ(body_json(put)["latest"]["analytics"]["granted"], false);

  // make_batch: variants 0,1,2 are analytics events, 3 is personalization.
  const json batch = make_batch(user, 8);
  auto r = post_json(c, "/v1/batch", token, batch);
  ASSERT_EQ(r->status, 200) << r->body;
  const json reply = body_json(r);
  EXPECT_EQ(reply["accepted"], 2);
  EXPECT_EQ(reply["refused"], 6);
  std::set<std::string> refused(reply["refused_ids"].begin(), reply["refused_ids"].end());
  for (const auto& e : batch["events"]) {
    EXPECT_EQ(refused.count(e["id"].get<std::string>()) == 1, e["purpose"] == "analytics") << e.dump();
  }
  // Stored: the 4 from before + the 2 personalization events.
  EXPECT_EQ(body_json(c.Get("/v1/me/export", auth(token)))["events"].size(), 6u);
  // The history is append-only and oldest first.
  const json got = body_json(c.Get("/v1/consent", auth(token)));
  ASSERT_EQ(got["history"].size(), 3u);
  EXPECT_EQ(got["history"][0]["granted"], true);
  EXPECT_EQ(got["history"][1]["granted"], false);
  EXPECT_EQ(got["latest"]["analytics"]["granted"], false);
  EXPECT_EQ(got["latest"]["personalization"]["granted"], true);

  // Granting again lets analytics events in again.
  const json regrant = {{"purpose", "analytics"}, {"granted", true}, {"at", t}, {"source", "app"}, {"policy_version", "v2"}};
  ASSERT_EQ(c.Put("/v1/consent", auth(token), regrant.dump(), "application/json")->status, 200);
  EXPECT_EQ(body_json(post_json(c, "/v1/batch", token, make_batch(user, 3)))["accepted"], 3);
}

TEST_P(ApiOnBackend, CandidatesCarryFeaturesEmbeddingsPopularityAndAnEtag) {
  TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  ServerOptions options{db};
  options.extra_args = {"--rate-limit", "0", "--candidates-refresh-s", "1"};
  SyncServer server(dir, options);
  const std::string token = server.token(learner("cand"));
  auto c = server.client();
  // The catalog-only set served at start is replaced by the one built from
  // stored data right after; a shared PostgreSQL already holds other tests'
  // interactions, so wait for that swap before taking the ETag.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const json health = body_json(c.Get("/healthz"));
    if (health.value("candidates_basis", "") == "stored") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  auto r = c.Get("/v1/candidates", auth(token));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  const json set = body_json(r);
  ASSERT_EQ(set["items"].size(), 12u);
  const int dim = set["dim"];
  EXPECT_GT(dim, 0);
  for (const auto& item : set["items"]) {
    EXPECT_TRUE(item.contains("id"));
    EXPECT_TRUE(item.contains("topics"));
    EXPECT_TRUE(item.contains("difficulty"));
    ASSERT_EQ(item["embedding"].size(), static_cast<std::size_t>(dim));
    double norm = 0;
    for (double x : item["embedding"]) norm += x * x;
    EXPECT_NEAR(norm, 1.0, 1e-4) << item["id"];
    EXPECT_GE(item["popularity"].get<double>(), 0.0);
    EXPECT_LE(item["popularity"].get<double>(), 1.0);
  }

  // If-None-Match with the current tag: 304 without a body.
  httplib::Headers h = auth(token);
  h.emplace("If-None-Match", etag);
  auto not_modified = c.Get("/v1/candidates", h);
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_TRUE(not_modified->body.empty());

  // Interactions with web-301 by several learners make it the most popular
  // item after the next rebuild (every second here), with a new ETag.
  for (int i = 0; i < 3; ++i) {
    const std::string u = learner("fan");
    json batch = make_batch(u, 1);
    batch["events"][0]["type"] = "course_interaction";
    batch["events"][0]["purpose"] = "analytics";
    batch["events"][0]["props"] = {{"course_id", "web-301"}, {"action", "complete"}};
    ASSERT_EQ(post_json(c, "/v1/batch", server.token(u), batch)->status, 200);
  }
  json updated;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto again = c.Get("/v1/candidates", h);
    ASSERT_TRUE(again);
    if (again->status == 200) {
      updated = body_json(again);
      EXPECT_NE(again->get_header_value("ETag"), etag);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(updated.is_null()) << "candidate set never changed after new interactions; server log:\n"
                                  << server.log_text();
  const auto& items = updated["items"];
  const auto web301 = std::find_if(items.begin(), items.end(), [](const json& i) { return i["id"] == "web-301"; });
  ASSERT_NE(web301, items.end());
  EXPECT_GE((*web301)["learners"].get<int>(), 3);
  EXPECT_GT((*web301)["popularity"].get<double>(), 0.0);
  // On a fresh database nobody else touched any other item (a shared PostgreSQL has other tests' rows).
  if (GetParam() == "sqlite") {
    EXPECT_DOUBLE_EQ((*web301)["popularity"].get<double>(), 1.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiOnBackend, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// --- SQLite-only behaviour of the server process -----------------------------

TEST(ApiServer, EmbeddingJobLearnsVectorsFromStoredInteractions) {
  TempDir dir;
  ServerOptions options{"sqlite:" + dir.file("embed.sqlite")};
  options.extra_args = {"--rate-limit", "0", "--embeddings-refresh-s", "1", "--candidates-refresh-s", "1"};
  SyncServer server(dir, options);
  auto c = server.client();
  // Learners who take py-101 then py-201, others web-101 then web-201.
  const char* pairs[][2] = {{"py-101", "py-201"}, {"web-101", "web-201"}, {"ds-101", "ds-201"}};
  for (int l = 0; l < 12; ++l) {
    const std::string u = learner("co");
    json batch = make_batch(u, 2);
    for (int k = 0; k < 2; ++k) {
      batch["events"][k]["type"] = "course_interaction";
      batch["events"][k]["purpose"] = "analytics";
      batch["events"][k]["props"] = {{"course_id", pairs[l % 3][k]}, {"action", "complete"}};
    }
    ASSERT_EQ(c.Post("/v1/batch", auth(server.token(u)), batch.dump(), "application/json")->status, 200);
  }
  const std::string token = server.token(learner("reader"));
  json set;
  for (int attempt = 0; attempt < 150; ++attempt) {
    set = body_json(c.Get("/v1/candidates", auth(token)));
    bool learned = false;
    for (const auto& i : set["items"]) learned = learned || i["embedding_source"] == "interactions";
    if (learned) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::map<std::string, json> by_id;
  for (const auto& i : set["items"]) by_id[i["id"]] = i;
  ASSERT_EQ(by_id["py-101"]["embedding_source"], "interactions") << server.log_text();
  EXPECT_EQ(by_id["web-201"]["embedding_source"], "interactions");
  // Items nobody touched borrow from similar learned items.
  EXPECT_EQ(by_id["py-301"]["embedding_source"], "content_neighbours");
  auto cosine = [&](const char* a, const char* b) {
    double s = 0;
    for (std::size_t k = 0; k < by_id[a]["embedding"].size(); ++k) {
      s += by_id[a]["embedding"][k].get<double>() * by_id[b]["embedding"][k].get<double>();
    }
    return s;
  };
  EXPECT_GT(cosine("py-101", "py-201"), cosine("py-101", "web-201"));
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("gradvy_sync_background_job_runs_total{job=\"embeddings\",outcome=\"ok\"}"), std::string::npos);
}


TEST(ApiServer, HealthzAndStructuredLogLines) {
  TempDir dir;
  SyncServer server(dir, ServerOptions{"sqlite:" + dir.file("db.sqlite")});
  auto c = server.client();
  httplib::Headers h = {{"X-Request-Id", "req-abc-123"}};
  auto r = c.Get("/healthz", h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body_json(r)["status"], "ok");
  EXPECT_EQ(body_json(r)["storage"], "sqlite");
  EXPECT_EQ(r->get_header_value("X-Request-Id"), "req-abc-123");
  auto missing = c.Get("/v1/me/export");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  c.stop();  // an idle keep-alive connection would hold shutdown for up to 5 s
  EXPECT_EQ(server.terminate(), 0);

  bool saw_request = false, saw_401 = false;
  for (const auto& line : server.log_lines()) {
    EXPECT_TRUE(line.contains("ts") && line.contains("level") && line.contains("msg")) << line.dump();
    if (line["msg"] == "request" && line.value("request_id", "") == "req-abc-123") {
      saw_request = true;
      EXPECT_EQ(line["route"], "/healthz");
      EXPECT_EQ(line["status"], 200);
      EXPECT_TRUE(line["latency_ms"].is_number());
    }
    if (line["msg"] == "request" && line.value("status", 0) == 401) {
      saw_401 = true;
      EXPECT_EQ(line["error_code"], "token_missing");
      EXPECT_EQ(line["route"], "/v1/me/export");
    }
  }
  EXPECT_TRUE(saw_request) << server.log_text();
  EXPECT_TRUE(saw_401) << server.log_text();
}

TEST(ApiServer, ConfiguredThroughEnvironmentVariables) {
  TempDir dir;
  ServerOptions options{"sqlite:" + dir.file("env.sqlite")};
  options.pass_flags = false;
  options.env = {{"GRADVY_MAX_BODY_BYTES", "4096"}, {"GRADVY_RETENTION_DAYS", "30"}};
  SyncServer server(dir, options);
  auto c = server.client();
  const std::string user = learner("env");
  auto big = c.Post("/v1/batch", auth(server.token(user)), make_batch(user, 30).dump(), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(body_json(big)["error"]["message"], "body: larger than 4096 bytes");
  bool saw = false;
  for (const auto& line : server.log_lines()) {
    if (line["msg"] == "listening") {
      saw = true;
      EXPECT_EQ(line["retention_days"], 30);
      EXPECT_EQ(line["max_body_bytes"], 4096);
    }
  }
  EXPECT_TRUE(saw);
}

TEST(ApiServer, BadCommandLineExitsWithUsage) {
  TempDir dir;
  ServerOptions options{"sqlite:" + dir.file("x.sqlite")};
  options.extra_args = {"--retention-days", "0"};
  try {
    SyncServer server(dir, options);
    FAIL() << "server started with --retention-days 0";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exited with status 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--retention-days '0': must be an integer 1..36500"), std::string::npos)
        << e.what();
  }
}

TEST(ApiServer, RetentionJobPurgesEventsOlderThanTheWindow) {
  // SQLite only: the purge is global, and a shared PostgreSQL holds other tests' rows.
  TempDir dir;
  const std::string db = "sqlite:" + dir.file("retention.sqlite");
  const std::string user = learner("old");
  std::string old_id, fresh_id;
  {
    ServerOptions options{db};
    options.extra_args = {"--rate-limit", "0", "--retention-days", "30"};
    SyncServer server(dir, options);
    auto c = server.client();
    json batch = make_batch(user, 2);
    batch["events"][0]["ts"] = gradvy_test::now_ms() - 31LL * 86400000;  // outside the window
    batch["events"][1]["ts"] = gradvy_test::now_ms() - 29LL * 86400000;  // inside
    old_id = batch["events"][0]["id"];
    fresh_id = batch["events"][1]["id"];
    ASSERT_EQ(c.Post("/v1/batch", auth(server.token(user)), batch.dump(), "application/json")->status, 200);
    const auto ids = gradvy_test::exported_event_ids(body_json(c.Get("/v1/me/export", auth(server.token(user)))));
    EXPECT_EQ(ids.size(), 2u);
    EXPECT_EQ(server.terminate(), 0);
  }
  // The job runs at start (and every --retention-interval-s).
  ServerOptions options{db};
  options.extra_args = {"--rate-limit", "0", "--retention-days", "30"};
  SyncServer server(dir, options);
  auto c = server.client();
  std::vector<std::string> ids;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ids = gradvy_test::exported_event_ids(body_json(c.Get("/v1/me/export", auth(server.token(user)))));
    if (ids.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], fresh_id);
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("gradvy_sync_retention_events_purged_total 1"), std::string::npos) << metrics;
}

TEST(ApiServer, RateLimitGives429WithRetryAfterPerLearner) {
  TempDir dir;
  ServerOptions options{"sqlite:" + dir.file("rate.sqlite")};
  options.extra_args = {"--rate-limit", "0.5", "--rate-burst", "3"};
  SyncServer server(dir, options);
  auto c = server.client();
  const std::string a = server.token(learner("greedy"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.Get("/v1/consent", auth(a))->status, 200) << i;
  auto limited = c.Get("/v1/consent", auth(a));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(body_json(limited)["error"]["code"], "rate_limited");
  EXPECT_EQ(limited->get_header_value("Retry-After"), "2");  // one token at 0.5/s
  EXPECT_EQ(body_json(limited)["error"]["message"], "too many requests for this learner; retry after 2 s");
  // Another learner has a bucket of their own.
  EXPECT_EQ(c.Get("/v1/consent", auth(server.token(learner("patient"))))->status, 200);
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("gradvy_sync_rate_limited_total 1"), std::string::npos) << metrics;
}

TEST(ApiServer, MetricsExposeRequestsLatencyEventsJobsAndFreshness) {
  TempDir dir;
  SyncServer server(dir, ServerOptions{"sqlite:" + dir.file("metrics.sqlite")});
  auto c = server.client();
  const std::string user = learner("metrics");
  const std::string token = server.token(user);
  const json batch = make_batch(user, 5);
  ASSERT_EQ(c.Post("/v1/batch", auth(token), batch.dump(), "application/json")->status, 200);
  ASSERT_EQ(c.Post("/v1/batch", auth(token), batch.dump(), "application/json")->status, 200);
  const json deny = {{"purpose", "analytics"}, {"granted", false}, {"at", 1}, {"source", "app"}, {"policy_version", "v1"}};
  ASSERT_EQ(c.Put("/v1/consent", auth(token), deny.dump(), "application/json")->status, 200);
  ASSERT_EQ(c.Post("/v1/batch", auth(token), make_batch(user, 3).dump(), "application/json")->status, 200);
  ASSERT_EQ(c.Get("/v1/nothing-here")->status, 404);

  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string& m = r->body;
  for (const char* expected : {
           "gradvy_sync_http_requests_total{route=\"/v1/batch\",method=\"POST\",code=\"200\"} 3",
           "gradvy_sync_http_requests_total{route=\"unmatched\",method=\"GET\",code=\"404\"} 1",
           "gradvy_sync_http_request_duration_seconds_bucket{route=\"/v1/batch\",le=\"+Inf\"} 3",
           "gradvy_sync_http_request_duration_seconds_count{route=\"/v1/batch\"} 3",
           "gradvy_sync_events_total{outcome=\"accepted\"} 5",
           "gradvy_sync_events_total{outcome=\"duplicate\"} 5",
           "gradvy_sync_events_total{outcome=\"refused_consent\"} 3",
           "# TYPE gradvy_sync_background_jobs_queued gauge",
           "gradvy_sync_background_job_runs_total{job=\"retention\",outcome=\"ok\"} 1",
           "# TYPE gradvy_sync_candidates_freshness_seconds gauge",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << "missing: " << expected << "\n" << m;
  }
  const auto pos = m.find("\ngradvy_sync_candidates_freshness_seconds ");
  ASSERT_NE(pos, std::string::npos);
  const double age = std::stod(m.substr(pos + 42));
  EXPECT_GE(age, 0.0);
  EXPECT_LT(age, 300.0);
}

}  // namespace
