// Catalog loading and the candidate set the server ships: features passed
// through, popularity/trending, embeddings with their fallbacks, ETag.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "gradvy_sync/candidates.hpp"
#include "gradvy_sync/catalog.hpp"

using namespace gradvy_sync;
using nlohmann::json;

namespace {

Catalog fixture() {
  Catalog c;
  std::string error;
  EXPECT_TRUE(load_catalog_file(std::string(GRADVY_SOURCE_DIR) + "/tests/server/fixtures/catalog.json", c, error)) << error;
  return c;
}

const json& item(const json& set, const std::string& id) {
  for (const auto& i : set["items"]) {
    if (i["id"] == id) return i;
  }
  static const json none;
  return none;
}

double dot(const json& a, const json& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i].get<double>() * b[i].get<double>();
  return s;
}

TEST(Catalog, FixtureLoadsWithItsFields) {
  const Catalog c = fixture();
  ASSERT_EQ(c.items.size(), 12u);
  EXPECT_EQ(c.version, "fixture-1");
  EXPECT_EQ(c.items[0].id, "py-101");
  EXPECT_EQ(c.items[0].content_type, "video");
  EXPECT_EQ(c.items[0].topics, (std::vector<std::string>{"python", "programming"}));
}

TEST(Catalog, ErrorsNameTheItemAndField) {
  Catalog c;
  std::string error;
  EXPECT_FALSE(parse_catalog("[]", c, error));
  EXPECT_EQ(error, "catalog: must be an object with an \"items\" array");
  EXPECT_FALSE(parse_catalog(R"({"items":[{"id":"a"},{"title":"no id"}]})", c, error));
  EXPECT_EQ(error, "catalog.items[1].id: must be a string of 1..128 bytes");
  EXPECT_FALSE(parse_catalog(R"({"items":[{"id":"a"},{"id":"a"}]})", c, error));
  EXPECT_EQ(error, "catalog.items[1].id: duplicate id 'a'");
  EXPECT_FALSE(parse_catalog(R"({"items":[{"id":"a","topics":"python"}]})", c, error));
  EXPECT_EQ(error, "catalog.items[0].topics: must be an array of strings");
  EXPECT_FALSE(parse_catalog(R"({"items":[{"id":"a","prerequisites":[1]}]})", c, error));
  EXPECT_EQ(error, "catalog.items[0].prerequisites: must be an array of item ids");
  EXPECT_FALSE(parse_catalog("{", c, error));
  EXPECT_EQ(error, "catalog: not valid JSON");
}

TEST(Candidates, WithoutInteractionsEveryItemGetsAUnitContentVectorAndZeroPopularity) {
  const Catalog c = fixture();
  const CandidateSet set = build_candidate_set(c, {}, EmbeddingTable{}, 7, 1000);
  const json body = json::parse(set.body);
  EXPECT_EQ(body["dim"], kDefaultEmbeddingDim);
  EXPECT_EQ(set.content_hash, 12u);
  for (const auto& i : body["items"]) {
    EXPECT_EQ(i["embedding_source"], "content_hash");
    EXPECT_NEAR(dot(i["embedding"], i["embedding"]), 1.0, 1e-4);
    EXPECT_EQ(i["popularity"], 0.0);
  }
  // Items sharing content features are closer than items sharing none.
  EXPECT_GT(dot(item(body, "py-101")["embedding"], item(body, "py-201")["embedding"]),
            dot(item(body, "py-101")["embedding"], item(body, "web-101")["embedding"]));
  // Catalog fields pass through unchanged.
  EXPECT_EQ(item(body, "py-201")["prerequisites"], json::array({"py-101"}));
  EXPECT_EQ(item(body, "py-201")["rating_count"], 2100);
}

TEST(Candidates, PopularityIsLogLearnersOverTheMaxAndTrendingIsRecentOverTheMax) {
  const Catalog c = fixture();
  std::unordered_map<std::string, PopularityCounts> pop = {
      {"py-101", {100, 10, 99}}, {"web-101", {20, 20, 9}}, {"not-in-catalog", {5000, 5000, 5000}}};
  const json body = json::parse(build_candidate_set(c, pop, EmbeddingTable{}, 7, 0).body);
  EXPECT_DOUBLE_EQ(item(body, "py-101")["popularity"].get<double>(), 1.0);
  EXPECT_NEAR(item(body, "web-101")["popularity"].get<double>(), std::log(10.0) / std::log(100.0), 1e-6);
  EXPECT_DOUBLE_EQ(item(body, "web-101")["trending"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(item(body, "py-101")["trending"].get<double>(), 0.5);
  EXPECT_EQ(item(body, "py-101")["learners"], 99);
  EXPECT_EQ(item(body, "sql-101")["popularity"], 0.0);
}

TEST(Candidates, LearnedVectorsAreUsedAndNewItemsBorrowFromSimilarItems) {
  const Catalog c = fixture();
  json doc = {{"dim", 3}, {"items", json::array()}};
  doc["items"].push_back({{"id", "py-101"}, {"vector", {1, 0, 0}}, {"source", "cooccurrence"}});
  doc["items"].push_back({{"id", "py-201"}, {"vector", {0.6, 0.8, 0}}, {"source", "cooccurrence"}});
  doc["items"].push_back({{"id", "web-101"}, {"vector", {0, 0, 1}}, {"source", "cooccurrence"}});
  doc["items"].push_back({{"id", "sql-101"}, {"vector", {0, 1, 0}}, {"source", "content"}});  // not learned: ignored
  doc["items"].push_back({{"id", "ds-101"}, {"vector", {1, 0}}, {"source", "cooccurrence"}});  // wrong length: skipped
  std::string error;
  const EmbeddingTable table = parse_embeddings_doc(doc, &error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(table.vectors.size(), 3u);
  const CandidateSet set = build_candidate_set(c, {}, table, 7, 0);
  const json body = json::parse(set.body);
  EXPECT_EQ(body["dim"], 3);
  EXPECT_EQ(set.learned, 3u);
  EXPECT_EQ(item(body, "py-101")["embedding"], json::array({1.0, 0.0, 0.0}));
  EXPECT_EQ(item(body, "py-101")["embedding_source"], "interactions");
  // py-301 (course py, python topic) is not learned: it borrows from py-101/py-201.
  const json& py301 = item(body, "py-301");
  EXPECT_EQ(py301["embedding_source"], "content_neighbours");
  EXPECT_GT(dot(py301["embedding"], item(body, "py-101")["embedding"]), 0.8);
  EXPECT_NEAR(dot(py301["embedding"], item(body, "web-101")["embedding"]), 0.0, 1e-6);
  EXPECT_NEAR(dot(py301["embedding"], py301["embedding"]), 1.0, 1e-5);
}

TEST(Candidates, EtagDependsOnContentNotOnBuildTime) {
  const Catalog c = fixture();
  const CandidateSet a = build_candidate_set(c, {}, EmbeddingTable{}, 7, 1000);
  const CandidateSet b = build_candidate_set(c, {}, EmbeddingTable{}, 7, 999999);
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_NE(a.body, b.body);  // generated_at differs
  const CandidateSet d = build_candidate_set(c, {{"py-101", {1, 1, 1}}}, EmbeddingTable{}, 7, 1000);
  EXPECT_NE(a.etag, d.etag);
  EXPECT_EQ(a.etag.front(), '"');
  EXPECT_EQ(a.etag.back(), '"');
}

TEST(Candidates, IfNoneMatchParsing) {
  const std::string tag = "\"abc\"";
  EXPECT_TRUE(etag_matches("\"abc\"", tag));
  EXPECT_TRUE(etag_matches("W/\"abc\"", tag));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", tag));
  EXPECT_TRUE(etag_matches("*", tag));
  EXPECT_FALSE(etag_matches("\"abd\"", tag));
  EXPECT_FALSE(etag_matches("abc", tag));
  EXPECT_FALSE(etag_matches("", tag));
}

TEST(Candidates, CacheAgeIsMinusOneUntilTheFirstBuild) {
  CandidateCache cache;
  EXPECT_EQ(cache.age_seconds(5000), -1);
  EXPECT_EQ(cache.current(), nullptr);
  CandidateSet s;
  s.built_at_ms = 1000;
  cache.publish(s);
  EXPECT_DOUBLE_EQ(cache.age_seconds(5000), 4.0);
}

}  // namespace
