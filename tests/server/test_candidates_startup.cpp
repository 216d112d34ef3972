// GET /v1/candidates right after `gradvy-sync serve` starts: the first answer
// is a 200 with the whole catalog (never a 503 the page has to retry), and the
// background jobs later replace it with the set learned from stored events,
// under a new ETag. Black-box: the real binary over SQLite, the demo catalog.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "gradvy_sync/catalog.hpp"
#include "support/sync_server.hpp"

using namespace gradvy_test;
using nlohmann::json;

namespace {

std::string demo_catalog_path() { return std::string(GRADVY_SOURCE_DIR) + "/demo/catalog.json"; }

std::vector<std::string> catalog_ids(const std::string& path) {
  gradvy_sync::Catalog catalog;
  std::string error;
  EXPECT_TRUE(gradvy_sync::load_catalog_file(path, catalog, error)) << error;
  std::vector<std::string> ids;
  for (const auto& item : catalog.items) ids.push_back(item.id);
  return ids;
}

// Every catalog item, in catalog order, each with a unit embedding of the set's dim.
void expect_whole_catalog(const json& set, const std::vector<std::string>& ids, int expected_dim) {
  ASSERT_EQ(set.value("dim", 0), expected_dim);
  ASSERT_EQ(set["items"].size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const json& item = set["items"][i];
    ASSERT_EQ(item["id"], ids[i]);
    ASSERT_EQ(item["embedding"].size(), static_cast<std::size_t>(expected_dim)) << ids[i];
    double norm = 0;
    for (double x : item["embedding"]) norm += x * x;
    EXPECT_NEAR(norm, 1.0, 1e-4) << ids[i];
  }
}

void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << message;
}

std::string healthz_basis(httplib::Client& c) {
  const json health = body_json(c.Get("/healthz"));
  return health.value("candidates_basis", json()).is_string() ? health["candidates_basis"].get<std::string>() : "";
}

// The /metrics gauge that says the same for monitoring: 1 while catalog-only.
std::string content_only_gauge(httplib::Client& c) {
  const auto r = c.Get("/metrics");
  if (!r) return "";
  const std::string name = "\ngradvy_sync_candidates_content_only ";
  const auto at = r->body.find(name);
  return at == std::string::npos ? "" : r->body.substr(at + name.size(), 1);
}

// /healthz says which set is served; true once it is `basis` (within 10 s).
bool wait_for_basis(httplib::Client& c, const std::string& basis) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (healthz_basis(c) == basis) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Course interactions in pairs (learners who take a11y-101 take a11y-102 next, ...)
// so the embedding job has co-occurrence to learn from.
void store_paired_interactions(const SyncServer& server, httplib::Client& c) {
  const char* pairs[][2] = {{"a11y-101", "a11y-102"}, {"a11y-201", "a11y-202"}, {"a11y-103", "a11y-104"}};
  for (int l = 0; l < 12; ++l) {
    const std::string user = "startup-" + random_hex(10);
    json batch = make_batch(user, 2);
    for (int k = 0; k < 2; ++k) {
      batch["events"][k]["type"] = "course_interaction";
      batch["events"][k]["purpose"] = "analytics";
      batch["events"][k]["props"] = {{"course_id", pairs[l % 3][k]}, {"action", "complete"}};
    }
    auto r = c.Post("/v1/batch", auth(server.token(user)), batch.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
}

}  // namespace

TEST(CandidatesAtStart, FirstAnswerHasTheWholeCatalogThenTheLearnedSetGetsANewEtag) {
  TempDir dir;
  ServerOptions options{"sqlite:" + dir.file("fresh.sqlite")};
  options.catalog = demo_catalog_path();
  options.extra_args = {"--rate-limit", "0", "--embeddings-refresh-s", "1", "--candidates-refresh-s", "1"};
  SyncServer server(dir, options);
  const std::vector<std::string> ids = catalog_ids(options.catalog);
  ASSERT_EQ(ids.size(), 292u);
  auto c = server.client();
  const httplib::Headers h = auth(server.token("reader-" + random_hex(8)));

  // The very first request, as soon as the server listens.
  auto first = c.Get("/v1/candidates", h);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  const std::string first_etag = first->get_header_value("ETag");
  ASSERT_FALSE(first_etag.empty());
  const json first_set = body_json(first);
  expect_whole_catalog(first_set, ids, 32);
  for (const auto& item : first_set["items"]) EXPECT_EQ(item["embedding_source"], "content_hash") << item["id"];

  httplib::Headers conditional = h;
  conditional.emplace("If-None-Match", first_etag);
  auto unchanged = c.Get("/v1/candidates", conditional);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->status, 304);

  store_paired_interactions(server, c);

  // The embedding job (every second here) learns vectors and republishes.
  json learned_set;
  std::string learned_etag;
  for (int attempt = 0; attempt < 200 && learned_set.is_null(); ++attempt) {
    auto r = c.Get("/v1/candidates", h);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const json set = body_json(r);
    for (const auto& item : set["items"]) {
      if (item["embedding_source"] == "interactions") {
        learned_set = set;
        learned_etag = r->get_header_value("ETag");
        break;
      }
    }
    if (learned_set.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(learned_set.is_null()) << "no learned embeddings after the jobs ran; log:\n" << server.log_text();
  EXPECT_NE(learned_etag, first_etag);
  expect_whole_catalog(learned_set, ids, learned_set.value("dim", 0));
  EXPECT_GT(learned_set["items"][0]["popularity"].get<double>(), 0.0);  // a11y-101 was taken
  EXPECT_EQ(healthz_basis(c), "stored");
  EXPECT_EQ(content_only_gauge(c), "0");

  // The device's old tag no longer matches: it gets the new set, then 304 on the new tag.
  auto refetch = c.Get("/v1/candidates", conditional);
  ASSERT_TRUE(refetch);
  EXPECT_EQ(refetch->status, 200);
  httplib::Headers current = h;
  current.emplace("If-None-Match", refetch->get_header_value("ETag"));
  auto cached = c.Get("/v1/candidates", current);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
}

// When the database cannot give the stored set (here: the embeddings table is
// gone), the server still answers 200 from the catalog alone, says so in
// /healthz, and switches to the stored set as soon as it can be read.
TEST(CandidatesAtStart, UnreadableStoredDataStillServesTheCatalogAndRecovers) {
  TempDir dir;
  const std::string path = dir.file("damaged.sqlite");
  ServerOptions options{"sqlite:" + path};
  options.catalog = demo_catalog_path();
  options.extra_args = {"--rate-limit", "0", "--candidates-refresh-s", "1"};
  const std::vector<std::string> ids = catalog_ids(options.catalog);
  SyncServer server(dir, options);
  std::string stored_etag;
  {
    auto c = server.client();
    auto r = c.Get("/v1/candidates", auth(server.token("reader")));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    stored_etag = r->get_header_value("ETag");
    EXPECT_TRUE(wait_for_basis(c, "stored")) << server.log_text();
  }
  ASSERT_EQ(server.terminate(), 0);
  sqlite_exec(path, "ALTER TABLE embeddings RENAME TO embeddings_away");

  server.start();
  auto c = server.client();
  auto r = c.Get("/v1/candidates", auth(server.token("reader")));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  expect_whole_catalog(body_json(r), ids, 32);
  // Nothing was stored yet, so the catalog-only set is the same set: same tag, no refetch.
  EXPECT_EQ(r->get_header_value("ETag"), stored_etag);
  // The rebuild from the database fails (logged), and the catalog-only set stays served.
  bool job_failed = false;
  for (int attempt = 0; attempt < 100 && !job_failed; ++attempt) {
    for (const auto& line : server.log_lines()) {
      job_failed = job_failed || (line.value("msg", "") == "job failed" && line.value("job", "") == "candidates");
    }
    if (!job_failed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(job_failed) << server.log_text();
  EXPECT_EQ(healthz_basis(c), "content");
  EXPECT_EQ(content_only_gauge(c), "1");
  auto still = c.Get("/v1/candidates", auth(server.token("reader")));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);

  sqlite_exec(path, "ALTER TABLE embeddings_away RENAME TO embeddings");
  EXPECT_TRUE(wait_for_basis(c, "stored")) << server.log_text();
}
