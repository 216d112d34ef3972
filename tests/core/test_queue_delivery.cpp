// Queue delivery protocol: take / ack / fail, backoff, parking, 413 splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gradvy/queue.hpp"

using namespace gradvy;

namespace {

QueuedEvent event(const std::string& id, Purpose purpose = Purpose::analytics) {
  QueuedEvent e;
  e.id = id;
  e.purpose = purpose;
  e.json = "{\"id\":\"" + id + "\",\"type\":\"page_view\"}";
  return e;
}

void push_n(EventQueue& q, int from, int count, std::int64_t now) {
  for (int i = from; i < from + count; ++i) ASSERT_TRUE(q.push(event("e" + std::to_string(i)), now).ok());
}

const FailureInfo kNetworkError{true, std::nullopt, false};
const FailureInfo kBadRequest{false, std::nullopt, false};
const FailureInfo kTooLarge{true, std::nullopt, true};

}  // namespace

TEST(QueueDelivery, AckReturnsTheBatchIdsAndCountsThemSent) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 3, 0);
  auto batch = q.take_batch(0, true);
  ASSERT_TRUE(batch.has_value());
  EXPECT_TRUE(std::regex_match(batch->batch_id,
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(q.stats().in_flight, 3u);
  auto acked = q.ack(batch->batch_id, 10);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(*acked, (std::vector<std::string>{"e0", "e1", "e2"}));
  const QueueStats s = q.stats();
  EXPECT_EQ(s.sent, 3u);
  EXPECT_EQ(s.batches_sent, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.held_events, 0u);
  // A second ack of the same batch is a host bug, reported as such.
  EXPECT_EQ(q.ack(batch->batch_id, 10).code(), ErrorCode::unknown_batch);
  EXPECT_EQ(q.stats().sent, 3u);
}

TEST(QueueDelivery, UnknownBatchIsAnErrorAndChangesNothing) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 3, 0);
  auto batch = q.take_batch(0, true);
  ASSERT_TRUE(batch.has_value());
  const std::string before = q.to_json().dump();
  EXPECT_EQ(q.ack("no-such-batch", 0).code(), ErrorCode::unknown_batch);
  EXPECT_EQ(q.fail("no-such-batch", kNetworkError, 0).code(), ErrorCode::unknown_batch);
  EXPECT_EQ(q.unpark_batch("no-such-batch", 0).code(), ErrorCode::unknown_batch);
  EXPECT_EQ(q.to_json().dump(), before);
  // A batch waiting for its retry is not in flight either.
  ASSERT_TRUE(q.fail(batch->batch_id, kNetworkError, 0).ok());
  const std::string waiting = q.to_json().dump();
  EXPECT_EQ(q.ack(batch->batch_id, 0).code(), ErrorCode::unknown_batch);
  EXPECT_EQ(q.fail(batch->batch_id, kNetworkError, 0).code(), ErrorCode::unknown_batch);
  EXPECT_EQ(q.to_json().dump(), waiting);
}

TEST(QueueDelivery, OneBatchInFlightByDefaultButForceFlushesEverything) {
  Rng rng(5);
  EventQueue q(rng);
  QueueConfig c;
  c.batch_size = 2;
  ASSERT_TRUE(q.configure(c).ok());
  push_n(q, 0, 6, 0);
  auto first = q.take_batch(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(q.take_batch(0).has_value());  // waits for the ack
  EXPECT_FALSE(q.next_wakeup_ms(0).has_value());
  auto second = q.take_batch(0, true);  // page hide: send the rest now
  auto third = q.take_batch(0, true);
  ASSERT_TRUE(second && third);
  EXPECT_FALSE(q.take_batch(0, true).has_value());
  EXPECT_EQ(q.stats().in_flight_batches, 3u);
  std::set<std::string> ids{first->batch_id, second->batch_id, third->batch_id};
  EXPECT_EQ(ids.size(), 3u);
}

TEST(QueueDelivery, RetryKeepsTheBatchIdAndIsNotSentBeforeItsTime) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 50, 0);
  auto batch = q.take_batch(0);
  ASSERT_TRUE(batch.has_value());
  auto outcome = q.fail(batch->batch_id, kNetworkError, 1'000);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->action, FailAction::retry_scheduled);
  const std::int64_t at = outcome->retry_at_ms;
  EXPECT_GE(at, 1'000);
  EXPECT_LE(at, 2'000);  // first retry: [0, base]
  EXPECT_EQ(q.stats().retries, 1u);
  EXPECT_EQ(q.stats().retry_waiting, 50u);
  if (at > 1'000) {
    EXPECT_FALSE(q.take_batch(at - 1).has_value());
    EXPECT_FALSE(q.take_batch(at - 1, true).has_value());  // force never beats a backoff
    EXPECT_EQ(q.next_wakeup_ms(at - 1), at);
  }
  auto again = q.take_batch(at);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->batch_id, batch->batch_id);
  EXPECT_EQ(again->attempt, 2u);
  EXPECT_EQ(again->events_json, batch->events_json);
}

TEST(QueueDelivery, BackoffDelayForAttemptKStaysWithinFullJitterBoundsAndVaries) {
  QueueConfig c;
  c.backoff_base_ms = 1'000;
  c.backoff_cap_ms = 60'000;
  c.max_attempts = 12;
  std::map<int, std::set<std::int64_t>> delays_by_retry;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    Rng rng(seed);
    EventQueue q(rng);
    ASSERT_TRUE(q.configure(c).ok());
    push_n(q, 0, 1, 0);
    std::int64_t now = 0;
    auto batch = q.take_batch(now, true);
    for (int k = 0; k + 1 < 12; ++k) {
      ASSERT_TRUE(batch.has_value());
      auto outcome = q.fail(batch->batch_id, kNetworkError, now);
      ASSERT_TRUE(outcome.ok());
      ASSERT_EQ(outcome->action, FailAction::retry_scheduled);
      const std::int64_t delay = outcome->retry_at_ms - now;
      const std::int64_t ceiling = std::min<std::int64_t>(60'000, 1'000ll << k);
      ASSERT_GE(delay, 0);
      ASSERT_LE(delay, ceiling) << "retry " << k;
      delays_by_retry[k].insert(delay);
      now = outcome->retry_at_ms;
      batch = q.take_batch(now);
    }
  }
  for (const auto& [k, delays] : delays_by_retry) EXPECT_GT(delays.size(), 100u) << "retry " << k;
}

TEST(QueueDelivery, RetryAfterIsHonouredEvenWhenJitterWouldBeShorter) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 1, 0);
  for (int round = 0; round < 5; ++round) {
    auto batch = q.take_batch(round * 100'000, true);
    ASSERT_TRUE(batch.has_value());
    const std::int64_t failed_at = round * 100'000;
    auto outcome = q.fail(batch->batch_id, FailureInfo{true, 30'000, false}, failed_at);
    ASSERT_TRUE(outcome.ok());
    EXPECT_GE(outcome->retry_at_ms, failed_at + 30'000);
    EXPECT_FALSE(q.take_batch(failed_at + 29'999).has_value());
    EXPECT_FALSE(q.take_batch(failed_at + 29'999, true).has_value());
  }
}

TEST(QueueDelivery, AfterMaxAttemptsTheBatchIsParkedNotDroppedAndCanBeUnparked) {
  Rng rng(5);
  EventQueue q(rng);
  QueueConfig c;
  c.max_attempts = 3;
  ASSERT_TRUE(q.configure(c).ok());
  push_n(q, 0, 4, 0);
  std::int64_t now = 0;
  auto batch = q.take_batch(now, true);
  ASSERT_TRUE(batch.has_value());
  const std::string id = batch->batch_id;
  for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ(batch->attempt, attempt);
    auto outcome = q.fail(id, kNetworkError, now);
    ASSERT_TRUE(outcome.ok());
    if (attempt < 3) {
      ASSERT_EQ(outcome->action, FailAction::retry_scheduled);
      now = outcome->retry_at_ms;
      batch = q.take_batch(now);
    } else {
      EXPECT_EQ(outcome->action, FailAction::parked);
      EXPECT_EQ(outcome->park_reason, ParkReason::attempts_exhausted);
    }
  }
  QueueStats s = q.stats();
  EXPECT_EQ(s.parked, 4u);
  EXPECT_EQ(s.parked_batches, 1u);
  EXPECT_EQ(s.batches_parked, 1u);
  EXPECT_EQ(s.held_events, 4u);
  EXPECT_EQ(s.retries, 2u);
  // Parked batches are not sent, however long we wait, and do not block new batches.
  EXPECT_FALSE(q.take_batch(now + 10'000'000, true).has_value());
  push_n(q, 10, 1, now);
  auto fresh = q.take_batch(now, true);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->event_ids, std::vector<std::string>{"e10"});
  ASSERT_TRUE(q.ack(fresh->batch_id, now).ok());
  // Back online: unparked, same id, fresh attempt count, ready at once.
  EXPECT_EQ(q.unpark_exhausted(now), 1u);
  auto resent = q.take_batch(now);
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->batch_id, id);
  EXPECT_EQ(resent->attempt, 1u);
  auto acked = q.ack(id, now);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(acked->size(), 4u);
  EXPECT_EQ(q.stats().sent, 5u);
  EXPECT_EQ(q.stats().parked, 0u);
}

TEST(QueueDelivery, NonRetryableFailureParksAsRejected) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 2, 0);
  auto batch = q.take_batch(0, true);
  ASSERT_TRUE(batch.has_value());
  auto outcome = q.fail(batch->batch_id, kBadRequest, 0);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->action, FailAction::parked);
  EXPECT_EQ(outcome->park_reason, ParkReason::rejected);
  EXPECT_EQ(q.stats().parked, 2u);
  EXPECT_EQ(q.stats().retries, 0u);
  // Going online does not resend a batch the server refused...
  EXPECT_EQ(q.unpark_exhausted(0), 0u);
  EXPECT_FALSE(q.take_batch(0, true).has_value());
  // ...an explicit unpark (server fixed) does.
  ASSERT_TRUE(q.unpark_batch(batch->batch_id, 0).ok());
  auto resent = q.take_batch(0);
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->batch_id, batch->batch_id);
  EXPECT_EQ(q.unpark_batch(batch->batch_id, 0).code(), ErrorCode::unknown_batch);  // in flight, not parked
}

TEST(QueueDelivery, ABackoffHoldsBackNewBatchesToo) {
  Rng rng(5);
  EventQueue q(rng);
  QueueConfig c;
  c.batch_size = 2;
  c.max_in_flight_batches = 4;
  ASSERT_TRUE(q.configure(c).ok());
  push_n(q, 0, 2, 0);
  auto batch = q.take_batch(0);
  ASSERT_TRUE(batch.has_value());
  auto outcome = q.fail(batch->batch_id, FailureInfo{true, 60'000, false}, 0);
  ASSERT_TRUE(outcome.ok());
  push_n(q, 2, 4, 1);
  EXPECT_TRUE(q.due(1));
  EXPECT_FALSE(q.take_batch(1).has_value());
  EXPECT_FALSE(q.take_batch(1, true).has_value());
  EXPECT_EQ(q.next_wakeup_ms(1), outcome->retry_at_ms);
  // When the wait is over the retried batch goes first, then the new ones.
  auto retried = q.take_batch(outcome->retry_at_ms);
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->batch_id, batch->batch_id);
  auto next = q.take_batch(outcome->retry_at_ms);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->event_ids, (std::vector<std::string>{"e2", "e3"}));
}

TEST(QueueDelivery, ClockGoingBackwardsRestartsTheWaitInsteadOfSendingEarly) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 1, 0);
  auto batch = q.take_batch(100'000, true);
  ASSERT_TRUE(batch.has_value());
  auto outcome = q.fail(batch->batch_id, FailureInfo{true, 5'000, false}, 100'000);
  ASSERT_TRUE(outcome.ok());
  const std::int64_t delay = outcome->retry_at_ms - 100'000;
  ASSERT_GE(delay, 5'000);
  EXPECT_FALSE(q.take_batch(20'000).has_value());  // clock jumped back 80 s
  EXPECT_EQ(q.next_wakeup_ms(20'000), 20'000 + delay);
  EXPECT_FALSE(q.take_batch(20'000 + delay - 1).has_value());
  EXPECT_TRUE(q.take_batch(20'000 + delay).has_value());
}

TEST(QueueDelivery, TooLargeSplitsIntoHalvesThatHoldEveryEventExactlyOnce) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 7, 0);
  auto batch = q.take_batch(0, true);
  ASSERT_TRUE(batch.has_value());
  auto outcome = q.fail(batch->batch_id, kTooLarge, 0);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->action, FailAction::split);
  ASSERT_EQ(outcome->new_batch_ids.size(), 2u);
  EXPECT_NE(outcome->new_batch_ids[0], batch->batch_id);
  EXPECT_NE(outcome->new_batch_ids[1], batch->batch_id);
  EXPECT_EQ(q.stats().batches_split, 1u);
  EXPECT_EQ(q.stats().held_events, 7u);
  // The old id is gone; the halves are ready at once, in order.
  EXPECT_EQ(q.ack(batch->batch_id, 0).code(), ErrorCode::unknown_batch);
  auto first = q.take_batch(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->batch_id, outcome->new_batch_ids[0]);
  EXPECT_EQ(first->event_ids, (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
  ASSERT_TRUE(q.ack(first->batch_id, 0).ok());
  auto second = q.take_batch(0);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->batch_id, outcome->new_batch_ids[1]);
  EXPECT_EQ(second->event_ids, (std::vector<std::string>{"e4", "e5", "e6"}));
  ASSERT_TRUE(q.ack(second->batch_id, 0).ok());
  EXPECT_EQ(q.stats().sent, 7u);
  EXPECT_EQ(q.stats().held_events, 0u);
}

TEST(QueueDelivery, SplitHalvesTakeTheFailedBatchsPlaceAmongTheOthers) {
  Rng rng(5);
  EventQueue q(rng);
  std::vector<std::string> ids;
  for (int b = 0; b < 3; ++b) {
    push_n(q, 2 * b, 2, 0);
    auto batch = q.take_batch(0, true);
    ASSERT_TRUE(batch.has_value());
    ids.push_back(batch->batch_id);
  }
  auto outcome = q.fail(ids[1], kTooLarge, 0);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome->new_batch_ids.size(), 2u);
  // Oldest events first: A, then the two halves of B, then C.
  std::vector<std::string> order;
  const auto snapshot = q.to_json();
  for (const auto& b : snapshot["batches"]) order.push_back(b["batch_id"].get<std::string>());
  EXPECT_EQ(order, (std::vector<std::string>{ids[0], outcome->new_batch_ids[0], outcome->new_batch_ids[1], ids[2]}));
}

TEST(QueueDelivery, RepeatedTooLargeNarrowsDownToTheOffenderWhichIsDroppedAndCounted) {
  Rng rng(5);
  EventQueue q(rng);
  push_n(q, 0, 8, 0);
  // A server that refuses any batch containing e5.
  std::multiset<std::string> delivered;
  std::int64_t now = 0;
  int rounds = 0;
  while (auto batch = q.take_batch(now, true)) {
    ASSERT_LT(++rounds, 100);
    const bool has_offender =
        std::find(batch->event_ids.begin(), batch->event_ids.end(), "e5") != batch->event_ids.end();
    if (has_offender) {
      auto outcome = q.fail(batch->batch_id, kTooLarge, now);
      ASSERT_TRUE(outcome.ok());
      if (batch->event_ids.size() == 1) {
        EXPECT_EQ(outcome->action, FailAction::dropped_too_large);
      }
    } else {
      auto acked = q.ack(batch->batch_id, now);
      ASSERT_TRUE(acked.ok());
      delivered.insert(acked->begin(), acked->end());
    }
  }
  EXPECT_EQ(delivered, (std::multiset<std::string>{"e0", "e1", "e2", "e3", "e4", "e6", "e7"}));
  const QueueStats s = q.stats();
  EXPECT_EQ(s.dropped_too_large, 1u);
  EXPECT_EQ(s.sent, 7u);
  EXPECT_EQ(s.held_events, 0u);
}
