#include <gtest/gtest.h>

#include "gradvy/queue_config.hpp"

using namespace gradvy;
using nlohmann::json;

TEST(QueueConfig, DefaultsAreTheDocumentedOnesAndValid) {
  const QueueConfig c;
  EXPECT_EQ(c.batch_size, 50u);
  EXPECT_EQ(c.max_age_ms, 10'000);
  EXPECT_EQ(c.batch_max_bytes, 460'800);
  EXPECT_EQ(c.max_event_bytes, 32'768);
  EXPECT_EQ(c.max_events, 10'000u);
  EXPECT_EQ(c.max_bytes, 5 * 1024 * 1024);
  EXPECT_EQ(c.backoff_base_ms, 1'000);
  EXPECT_EQ(c.backoff_cap_ms, 300'000);
  EXPECT_EQ(c.max_attempts, 10u);
  EXPECT_EQ(c.max_in_flight_batches, 1u);
  EXPECT_TRUE(validate_queue_config(c).ok());
}

TEST(QueueConfig, PartialJsonKeepsDefaultsForMissingFields) {
  auto parsed = queue_config_from_json(json{{"batch_size", 10}, {"max_age_ms", 0}});
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->batch_size, 10u);
  EXPECT_EQ(parsed->max_age_ms, 0);
  EXPECT_EQ(parsed->max_events, 10'000u);
}

TEST(QueueConfig, RoundTripsThroughJson) {
  QueueConfig c;
  c.batch_size = 7;
  c.backoff_cap_ms = 60'000;
  c.max_in_flight_batches = 3;
  auto back = queue_config_from_json(queue_config_to_json(c));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(queue_config_to_json(*back), queue_config_to_json(c));
}

TEST(QueueConfig, RefusesBadInputNamingTheField) {
  struct Case {
    json input;
    const char* field;
  };
  const Case cases[] = {
      {json{{"batch_size", 0}}, "queue.batch_size"},
      {json{{"batch_size", 1001}}, "queue.batch_size"},
      {json{{"batch_size", "50"}}, "queue.batch_size"},
      {json{{"batch_size", 2.5}}, "queue.batch_size"},
      {json{{"max_age_ms", -1}}, "queue.max_age_ms"},
      {json{{"batchSize", 10}}, "queue.batchSize"},  // typo is an error, not a silent default
      {json{{"max_event_bytes", 460'799}}, "queue.batch_max_bytes"},  // event must fit a batch
      {json{{"max_events", 10}}, "queue.max_events"},                 // below batch_size 50
      {json{{"max_bytes", 1000}}, "queue.max_bytes"},                 // below max_event_bytes
      {json{{"backoff_base_ms", 600'000}}, "queue.backoff_base_ms"},  // above the cap
      {json{{"max_attempts", 0}}, "queue.max_attempts"},
      {json{{"max_in_flight_batches", 17}}, "queue.max_in_flight_batches"},
      {json{{"max_retry_after_ms", -5}}, "queue.max_retry_after_ms"},
      {json{{"max_events", 18'446'744'073'709'551'615ull}}, "queue.max_events"},
  };
  for (const Case& c : cases) {
    auto parsed = queue_config_from_json(c.input);
    ASSERT_FALSE(parsed.ok()) << c.input.dump();
    EXPECT_EQ(parsed.code(), ErrorCode::invalid_argument);
    EXPECT_NE(parsed.message().find(c.field), std::string::npos) << parsed.message();
  }
  EXPECT_FALSE(queue_config_from_json(json::array()).ok());
}
