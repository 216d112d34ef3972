// Small pieces of the HTTP layer: UTF-8 and content-type checks, the batch
// body splitter, serve's configuration, and the Prometheus rendering.
#include <gtest/gtest.h>

#include "gradvy_sync/handlers_batch_body.hpp"
#include "gradvy_sync/http_response.hpp"
#include "gradvy_sync/metrics.hpp"
#include "gradvy_sync/server_config.hpp"
#include "support/sync_server.hpp"

using namespace gradvy_sync;

TEST(HttpHelpers, Utf8ValidationFindsTheFirstBadByte) {
  EXPECT_EQ(first_invalid_utf8("plain ascii text that is longer than eight bytes"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("abc\xff"), 3u);
  EXPECT_EQ(first_invalid_utf8("abcdefghij\xc3"), 10u);           // truncated sequence
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);                  // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);             // surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);          // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("ok\xe2\x28\xa1"), 2u);            // bad continuation
}

TEST(HttpHelpers, JsonContentTypes) {
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_content_type(""));
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("application/jsonx"));
  EXPECT_EQ(error_body("x_code", "a \"quoted\" message"), R"({"error":{"code":"x_code","message":"a \"quoted\" message"}})");
}

TEST(HttpHelpers, BatchBodySplitterCutsEachEventExactly) {
  const std::string body =
      R"( { "batch_id" : "b", "nested": {"events": [9]}, "events" : [ {"a":"x,]}\"y"} , {"b":[1,{"c":2}]},3 ] , "z":1 } )";
  const auto events = find_top_level_member(body, "events");
  ASSERT_TRUE(events.has_value());
  const auto parts = split_json_array(*events);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], R"({"a":"x,]}\"y"})");
  EXPECT_EQ(parts[1], R"({"b":[1,{"c":2}]})");
  EXPECT_EQ(parts[2], "3");
  EXPECT_FALSE(find_top_level_member(body, "missing").has_value());
  EXPECT_FALSE(find_top_level_member("[1,2]", "events").has_value());
  EXPECT_TRUE(split_json_array("[ ]").empty());
}

TEST(ServeConfig, FlagsBeatEnvironmentAndEveryValueIsChecked) {
  gradvy_test::TempDir dir;
  std::ofstream(dir.file("secret")) << "sixteen-bytes-or-more\n";
  auto env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "GRADVY_CATALOG") return std::string("env-catalog.json");
    if (name == "GRADVY_SECRET_FILE") return dir.file("secret");
    if (name == "GRADVY_RETENTION_DAYS") return std::string("90");
    if (name == "GRADVY_LISTEN") return std::string("0.0.0.0:9000");
    return std::nullopt;
  };
  ConfigResult r = load_serve_config({"--listen", "127.0.0.1:0", "--db=sqlite:x.db"}, env);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.listen_host, "127.0.0.1");
  EXPECT_EQ(r.config.listen_port, 0);
  EXPECT_EQ(r.config.db_url, "sqlite:x.db");
  EXPECT_EQ(r.config.catalog_path, "env-catalog.json");
  EXPECT_EQ(r.config.retention_days, 90);
  EXPECT_EQ(r.config.secret, "sixteen-bytes-or-more");
  EXPECT_EQ(r.config.max_body_bytes, 1u << 20);

  const auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  r = load_serve_config({"--catalog", "c.json", "--secret-file", dir.file("secret"), "--listen", "nohost"}, no_env);
  EXPECT_EQ(r.error, "--listen 'nohost': must be HOST:PORT with PORT 0..65535");
  r = load_serve_config({"--catalog", "c.json"}, no_env);
  EXPECT_EQ(r.error, "--secret-file FILE (or GRADVY_SECRET_FILE) is required");
  r = load_serve_config({"--secret-file", dir.file("secret")}, no_env);
  EXPECT_EQ(r.error, "--catalog FILE (or GRADVY_CATALOG) is required");
  r = load_serve_config({"--catalog", "c", "--secret-file", dir.file("secret"), "--rate-limit", "-1"}, no_env);
  EXPECT_EQ(r.error, "--rate-limit '-1': must be a number >= 0 (0 = off)");
  r = load_serve_config({"--catalog", "c", "--secret-file", dir.file("nope")}, no_env);
  EXPECT_NE(r.error.find("cannot read secret file"), std::string::npos);
  r = load_serve_config({"--bogus", "1"}, no_env);
  EXPECT_EQ(r.error, "unknown option '--bogus'");
  EXPECT_TRUE(load_serve_config({"--help"}, no_env).help);
}

TEST(MetricsRender, HistogramBucketsAreCumulativeAndCountersLabelled) {
  Metrics m;
  m.observe_request("/v1/batch", "POST", 200, 0.0004);
  m.observe_request("/v1/batch", "POST", 200, 0.003);
  m.observe_request("/v1/batch", "POST", 400, 7.0);
  m.add_events(10, 2, 1);
  m.set_candidate_age_source([] { return 12.5; });
  const std::string text = m.render_prometheus();
  for (const char* line : {
           "gradvy_sync_http_requests_total{route=\"/v1/batch\",method=\"POST\",code=\"200\"} 2\n",
           "gradvy_sync_http_requests_total{route=\"/v1/batch\",method=\"POST\",code=\"400\"} 1\n",
           "gradvy_sync_http_request_duration_seconds_bucket{route=\"/v1/batch\",le=\"0.0005\"} 1\n",
           "gradvy_sync_http_request_duration_seconds_bucket{route=\"/v1/batch\",le=\"0.005\"} 2\n",
           "gradvy_sync_http_request_duration_seconds_bucket{route=\"/v1/batch\",le=\"2.5\"} 2\n",
           "gradvy_sync_http_request_duration_seconds_bucket{route=\"/v1/batch\",le=\"+Inf\"} 3\n",
           "gradvy_sync_http_request_duration_seconds_count{route=\"/v1/batch\"} 3\n",
           "gradvy_sync_events_total{outcome=\"accepted\"} 10\n",
           "gradvy_sync_events_total{outcome=\"duplicate\"} 2\n",
           "gradvy_sync_events_total{outcome=\"refused_consent\"} 1\n",
           "gradvy_sync_candidates_freshness_seconds 12.5\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
}
