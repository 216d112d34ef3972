// Queue: consent withdrawal purges everywhere an event can be, and forget-me.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gradvy/queue.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

QueuedEvent event(const std::string& id, Purpose purpose) {
  QueuedEvent e;
  e.id = id;
  e.purpose = purpose;
  e.json = "{\"id\":\"" + id + "\",\"purpose\":\"" + std::string(to_string(purpose)) + "\"}";
  return e;
}

std::vector<std::string> ids_in(const std::string& events_json) {
  std::vector<std::string> ids;
  for (const json& e : json::parse(events_json)) ids.push_back(e["id"].get<std::string>());
  return ids;
}

}  // namespace

TEST(QueuePurge, RemovesThePurposeFromPendingInFlightWaitingAndParked) {
  Rng rng(9);
  EventQueue q(rng);
  QueueConfig c;
  c.batch_size = 4;
  c.max_in_flight_batches = 4;
  ASSERT_TRUE(q.configure(c).ok());
  const Purpose A = Purpose::analytics;
  const Purpose M = Purpose::marketing;
  // Batch 1 -> parked, batch 2 -> waiting for retry, batch 3 -> in flight, rest pending.
  const Purpose purposes[] = {A, M, A, M, A, A, M, M, M, A, A, M, A, M};
  for (int i = 0; i < 14; ++i) ASSERT_TRUE(q.push(event("e" + std::to_string(i), purposes[i]), 0).ok());
  auto parked = q.take_batch(0);
  ASSERT_TRUE(q.fail(parked->batch_id, FailureInfo{false, std::nullopt, false}, 0).ok());
  auto waiting = q.take_batch(0);
  ASSERT_TRUE(q.fail(waiting->batch_id, FailureInfo{true, 60'000, false}, 0).ok());
  auto in_flight = q.take_batch(0, true);  // force: a backoff is running
  ASSERT_FALSE(in_flight.has_value());     // ...and force does not beat it
  ASSERT_TRUE(q.unpark_all(0) == 1);
  auto unparked = q.take_batch(0);  // the parked batch, now in flight
  ASSERT_TRUE(unparked.has_value());
  ASSERT_EQ(unparked->batch_id, parked->batch_id);
  const QueueStats before = q.stats();
  EXPECT_EQ(before.in_flight, 4u);
  EXPECT_EQ(before.retry_waiting, 4u);
  EXPECT_EQ(before.queued, 6u);

  const std::size_t purged = q.purge_purpose(A);
  EXPECT_EQ(purged, 7u);  // e0 e2 e4 e5 e9 e10 e12
  const QueueStats after = q.stats();
  EXPECT_EQ(after.dropped_consent_withdrawn, 7u);
  EXPECT_EQ(after.held_events, 7u);

  // The in-flight batch was already on the wire; its ack reports only the
  // events still consented to.
  auto acked = q.ack(unparked->batch_id, 0);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(*acked, (std::vector<std::string>{"e1", "e3"}));
  // The waiting batch is resent without the withdrawn events, same id.
  auto resent = q.take_batch(60'000);
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->batch_id, waiting->batch_id);
  EXPECT_EQ(resent->event_ids, (std::vector<std::string>{"e6", "e7"}));
  EXPECT_EQ(ids_in(resent->events_json), resent->event_ids);
  ASSERT_TRUE(q.ack(resent->batch_id, 60'000).ok());
  // Pending: only marketing left.
  auto rest = q.take_batch(60'000, true);
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->event_ids, (std::vector<std::string>{"e8", "e11", "e13"}));
  ASSERT_TRUE(q.ack(rest->batch_id, 60'000).ok());
  EXPECT_EQ(q.stats().sent, 7u);
  EXPECT_EQ(q.stats().held_events, 0u);
}

TEST(QueuePurge, ParkedEventsArePurgedToo) {
  Rng rng(9);
  EventQueue q(rng);
  ASSERT_TRUE(q.push(event("a", Purpose::personalization), 0).ok());
  ASSERT_TRUE(q.push(event("b", Purpose::analytics), 0).ok());
  auto batch = q.take_batch(0, true);
  ASSERT_TRUE(q.fail(batch->batch_id, FailureInfo{false, std::nullopt, false}, 0).ok());
  EXPECT_EQ(q.purge_purpose(Purpose::personalization), 1u);
  EXPECT_EQ(q.stats().parked, 1u);
  ASSERT_TRUE(q.unpark_batch(batch->batch_id, 0).ok());
  auto resent = q.take_batch(0);
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->event_ids, std::vector<std::string>{"b"});
}

TEST(QueuePurge, AckOrFailOfABatchEmptiedByAPurgeIsOkAndCountsNothing) {
  Rng rng(9);
  EventQueue q(rng);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.push(event("a" + std::to_string(i), Purpose::analytics), 0).ok());
  auto first = q.take_batch(0, true);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(q.push(event("b" + std::to_string(i), Purpose::analytics), 0).ok());
  auto second = q.take_batch(0, true);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(q.purge_purpose(Purpose::analytics), 5u);
  EXPECT_EQ(q.stats().in_flight_batches, 0u);
  auto acked = q.ack(first->batch_id, 0);
  ASSERT_TRUE(acked.ok());
  EXPECT_TRUE(acked->empty());
  auto failed = q.fail(second->batch_id, FailureInfo{}, 0);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->action, FailAction::already_gone);
  EXPECT_EQ(q.stats().sent, 0u);
  EXPECT_EQ(q.stats().dropped_consent_withdrawn, 5u);
  EXPECT_FALSE(q.take_batch(1'000'000, true).has_value());
}

TEST(QueuePurge, PurgeOfAnAbsentPurposeChangesNothing) {
  Rng rng(9);
  EventQueue q(rng);
  ASSERT_TRUE(q.push(event("a", Purpose::analytics), 0).ok());
  const std::string before = q.to_json().dump();
  EXPECT_EQ(q.purge_purpose(Purpose::marketing), 0u);
  EXPECT_EQ(q.to_json().dump(), before);
}

TEST(QueueClear, ForgetMeWipesEverythingAndCountsIt) {
  Rng rng(9);
  EventQueue q(rng);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.push(event("e" + std::to_string(i), Purpose::essential), 0).ok());
  auto in_flight = q.take_batch(0, true);
  ASSERT_TRUE(q.push(event("late", Purpose::analytics), 0).ok());
  EXPECT_EQ(q.clear(), 6u);
  const QueueStats s = q.stats();
  EXPECT_EQ(s.held_events, 0u);
  EXPECT_EQ(s.held_bytes, 0u);
  EXPECT_EQ(s.dropped_cleared, 6u);
  EXPECT_EQ(s.accepted, 6u);
  auto acked = q.ack(in_flight->batch_id, 0);
  ASSERT_TRUE(acked.ok());
  EXPECT_TRUE(acked->empty());
  EXPECT_EQ(q.stats().sent, 0u);
  EXPECT_FALSE(q.take_batch(0, true).has_value());
  // The queue works normally afterwards.
  ASSERT_TRUE(q.push(event("new", Purpose::analytics), 1).ok());
  EXPECT_TRUE(q.take_batch(1, true).has_value());
}
