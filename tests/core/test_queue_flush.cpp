// Queue: what push accepts, the bounded overflow policy and the flush triggers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gradvy/queue.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

// An event whose wire JSON is exactly `bytes` long.
QueuedEvent event_of_size(const std::string& id, std::size_t bytes, Purpose purpose = Purpose::analytics) {
  QueuedEvent e;
  e.id = id;
  e.purpose = purpose;
  std::string text = "{\"id\":\"" + id + "\",\"pad\":\"\"}";
  if (bytes < text.size()) {
    text = std::string(bytes, '7');  // a JSON number of the right length
  } else {
    text.insert(text.size() - 2, bytes - text.size(), 'x');
  }
  e.json = std::move(text);
  return e;
}

QueuedEvent event(const std::string& id, Purpose purpose = Purpose::analytics) {
  return event_of_size(id, 60, purpose);
}

QueueConfig small_config() {
  QueueConfig c;
  c.batch_size = 5;
  c.max_events = 10;
  return c;
}

// Everything still held, in sending order, by force-taking and acking every batch.
std::vector<std::string> drain_ids(EventQueue& q, std::int64_t now) {
  std::vector<std::string> ids;
  while (auto batch = q.take_batch(now, true)) {
    auto acked = q.ack(batch->batch_id, now);
    EXPECT_TRUE(acked.ok());
    ids.insert(ids.end(), acked->begin(), acked->end());
  }
  return ids;
}

}  // namespace

TEST(QueuePush, RefusesAnEventOverMaxEventBytesAndCountsIt) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.push(event_of_size("at-limit", 32'768), 0).ok());
  Status refused = q.push(event_of_size("over", 32'769), 0);
  EXPECT_EQ(refused.code(), ErrorCode::event_too_large);
  EXPECT_NE(refused.message().find("32769"), std::string::npos) << refused.message();
  EXPECT_EQ(q.stats().refused_too_large, 1u);
  EXPECT_EQ(q.stats().queued, 1u);
  EXPECT_EQ(q.stats().accepted, 1u);
}

TEST(QueuePush, RefusesEmptyIdsAndInvalidUtf8) {
  Rng rng(1);
  EventQueue q(rng);
  QueuedEvent no_id = event("x");
  no_id.id.clear();
  EXPECT_EQ(q.push(no_id, 0).code(), ErrorCode::invalid_argument);
  QueuedEvent bad_utf8 = event("y");
  bad_utf8.json = "{\"q\":\"\xC3\x28\"}";
  EXPECT_EQ(q.push(bad_utf8, 0).code(), ErrorCode::invalid_argument);
  QueuedEvent surrogate = event("z");
  surrogate.json = "{\"q\":\"\xED\xA0\x80\"}";
  EXPECT_EQ(q.push(surrogate, 0).code(), ErrorCode::invalid_argument);
  QueuedEvent fine = event("w");
  fine.json = "{\"q\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}";
  EXPECT_TRUE(q.push(fine, 0).ok());
  EXPECT_EQ(q.stats().refused_invalid, 3u);
  EXPECT_EQ(q.stats().queued, 1u);
}

TEST(QueueFlush, CountTriggerFiresExactlyAtBatchSize) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.configure(small_config()).ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.push(event("e" + std::to_string(i)), 100).ok());
  EXPECT_FALSE(q.due(100));
  EXPECT_FALSE(q.take_batch(100).has_value());
  ASSERT_TRUE(q.push(event("e4"), 100).ok());
  EXPECT_TRUE(q.due(100));
  auto batch = q.take_batch(100);
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->event_ids.size(), 5u);
}

TEST(QueueFlush, AgeTriggerFiresExactlyAtMaxAge) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.push(event("old"), 1'000).ok());
  ASSERT_TRUE(q.push(event("newer"), 5'000).ok());
  EXPECT_FALSE(q.due(10'999));
  EXPECT_EQ(q.next_wakeup_ms(10'999), 11'000);
  EXPECT_FALSE(q.take_batch(10'999).has_value());
  EXPECT_TRUE(q.due(11'000));
  EXPECT_EQ(q.next_wakeup_ms(11'000), 11'000);
  auto batch = q.take_batch(11'000);
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->event_ids, (std::vector<std::string>{"old", "newer"}));
}

TEST(QueueFlush, BytesTriggerFiresExactlyAtBatchMaxBytes) {
  Rng rng(1);
  EventQueue q(rng);
  QueueConfig c;
  c.batch_size = 1000;
  c.max_event_bytes = 500;
  c.batch_max_bytes = 1'000;
  ASSERT_TRUE(q.configure(c).ok());
  ASSERT_TRUE(q.push(event_of_size("a", 500), 0).ok());
  ASSERT_TRUE(q.push(event_of_size("b", 499), 0).ok());
  EXPECT_EQ(q.stats().queued_bytes, 999u);
  EXPECT_FALSE(q.due(0));
  ASSERT_TRUE(q.push(event_of_size("c", 1), 0).ok());
  EXPECT_TRUE(q.due(0));
  // "[" a "," b "]" is 1002 bytes > 1000: the batch stops before b.
  auto first = q.take_batch(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->event_ids, std::vector<std::string>{"a"});
  EXPECT_LE(first->events_json.size(), 1'000u);
}

TEST(QueueFlush, BatchIsAJsonArrayOfTheWireStringsInOrderWithinBothLimits) {
  Rng rng(1);
  EventQueue q(rng);
  QueueConfig c;
  c.batch_size = 4;
  c.max_event_bytes = 300;
  c.batch_max_bytes = 700;
  ASSERT_TRUE(q.configure(c).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(q.push(event_of_size("e" + std::to_string(i), 200), 0).ok());
  std::vector<std::string> all;
  while (auto batch = q.take_batch(0, true)) {
    EXPECT_LE(batch->events_json.size(), 700u);
    EXPECT_LE(batch->event_ids.size(), 4u);
    json parsed = json::parse(batch->events_json, nullptr, false);
    ASSERT_TRUE(parsed.is_array()) << batch->events_json;
    ASSERT_EQ(parsed.size(), batch->event_ids.size());
    for (std::size_t i = 0; i < parsed.size(); ++i) EXPECT_EQ(parsed[i]["id"], batch->event_ids[i]);
    EXPECT_EQ(batch->attempt, 1u);
    all.insert(all.end(), batch->event_ids.begin(), batch->event_ids.end());
    ASSERT_TRUE(q.ack(batch->batch_id, 0).ok());
  }
  ASSERT_EQ(all.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(all[i], "e" + std::to_string(i));  // 3 per batch (3*200+4 <= 700)
}

TEST(QueueFlush, NothingIsTakenBeforeDueUnlessForced) {
  Rng rng(1);
  EventQueue q(rng);
  EXPECT_FALSE(q.next_wakeup_ms(0).has_value());  // empty: nothing to wait for
  ASSERT_TRUE(q.push(event("only"), 0).ok());
  EXPECT_FALSE(q.take_batch(1).has_value());
  auto forced = q.take_batch(1, true);
  ASSERT_TRUE(forced.has_value());
  EXPECT_EQ(forced->event_ids, std::vector<std::string>{"only"});
}

TEST(QueueFlush, ClockGoingBackwardsFlushesRatherThanStalls) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.push(event("a"), 50'000).ok());
  EXPECT_TRUE(q.due(10'000));  // now is before the push time: age unknown
  EXPECT_TRUE(q.take_batch(10'000).has_value());
}

TEST(QueueOverflow, DropsTheOldestNonEssentialPendingEventAndCountsIt) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.configure(small_config()).ok());
  ASSERT_TRUE(q.push(event("ess0", Purpose::essential), 0).ok());
  for (int i = 1; i < 10; ++i) ASSERT_TRUE(q.push(event("a" + std::to_string(i)), 0).ok());
  ASSERT_TRUE(q.push(event("a10"), 0).ok());
  ASSERT_TRUE(q.push(event("a11", Purpose::marketing), 0).ok());
  const QueueStats s = q.stats();
  EXPECT_EQ(s.dropped_overflow, 2u);
  EXPECT_EQ(s.queued, 10u);
  EXPECT_EQ(s.accepted, 12u);
  EXPECT_EQ(drain_ids(q, 0), (std::vector<std::string>{"ess0", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10",
                                                       "a11"}));
}

TEST(QueueOverflow, ByteBoundEvictsAsManyOldEventsAsNeeded) {
  Rng rng(1);
  EventQueue q(rng);
  QueueConfig c;
  c.max_event_bytes = 200;
  c.batch_max_bytes = 1'000;
  c.max_bytes = 300;
  ASSERT_TRUE(q.configure(c).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.push(event_of_size("e" + std::to_string(i), 100), 0).ok());
  ASSERT_TRUE(q.push(event_of_size("big", 200), 0).ok());
  EXPECT_EQ(q.stats().dropped_overflow, 2u);
  EXPECT_EQ(q.stats().held_bytes, 300u);
  EXPECT_EQ(drain_ids(q, 0), (std::vector<std::string>{"e2", "big"}));
}

TEST(QueueOverflow, EssentialNewEventEvictsNonEssentialButNeverTheReverse) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.configure(small_config()).ok());
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(q.push(event("ess" + std::to_string(i), Purpose::essential), 0).ok());
  ASSERT_TRUE(q.push(event("a0"), 0).ok());
  ASSERT_TRUE(q.push(event("ess9", Purpose::essential), 0).ok());  // evicts a0
  EXPECT_EQ(q.stats().dropped_overflow, 1u);
  // Only essential events left: the new one is refused, nothing is evicted.
  Status refused = q.push(event("a1"), 0);
  EXPECT_EQ(refused.code(), ErrorCode::limit_exceeded);
  Status refused_essential = q.push(event("ess10", Purpose::essential), 0);
  EXPECT_EQ(refused_essential.code(), ErrorCode::limit_exceeded);
  const QueueStats s = q.stats();
  EXPECT_EQ(s.refused_overflow, 2u);
  EXPECT_EQ(s.dropped_overflow, 1u);
  EXPECT_EQ(s.queued, 10u);
}

TEST(QueueOverflow, InFlightEventsAreNeverEvicted) {
  Rng rng(1);
  EventQueue q(rng);
  ASSERT_TRUE(q.configure(small_config()).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(q.push(event("a" + std::to_string(i)), 0).ok());
  auto in_flight = q.take_batch(0);  // a0..a4
  ASSERT_TRUE(in_flight.has_value());
  for (int i = 10; i < 15; ++i) ASSERT_TRUE(q.push(event("a" + std::to_string(i)), 0).ok());  // evict a5..a9
  EXPECT_EQ(q.stats().dropped_overflow, 5u);
  // Pending now a10..a14; one more evicts a10, still never the batch.
  ASSERT_TRUE(q.push(event("a15"), 0).ok());
  auto acked = q.ack(in_flight->batch_id, 0);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(*acked, (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"}));
  EXPECT_EQ(drain_ids(q, 0), (std::vector<std::string>{"a11", "a12", "a13", "a14", "a15"}));
}

TEST(QueueOverflow, RefusesWithoutEvictingWhenEvictionCouldNotMakeRoom) {
  Rng rng(1);
  EventQueue q(rng);
  QueueConfig c;
  c.max_event_bytes = 200;
  c.batch_max_bytes = 1'000;
  c.max_bytes = 300;
  ASSERT_TRUE(q.configure(c).ok());
  ASSERT_TRUE(q.push(event_of_size("ess", 150, Purpose::essential), 0).ok());
  ASSERT_TRUE(q.push(event_of_size("small", 100), 0).ok());
  // 150 essential + 200 new > 300 even with "small" gone: keep "small", refuse "big".
  EXPECT_EQ(q.push(event_of_size("big", 200), 0).code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(q.stats().dropped_overflow, 0u);
  EXPECT_EQ(q.stats().refused_overflow, 1u);
  EXPECT_EQ(drain_ids(q, 0), (std::vector<std::string>{"ess", "small"}));
}
