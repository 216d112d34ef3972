// Queue snapshot: exact round trip, in-flight recovery, corrupt documents.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "gradvy/queue.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

QueuedEvent event(const std::string& id, Purpose purpose = Purpose::analytics) {
  QueuedEvent e;
  e.id = id;
  e.purpose = purpose;
  e.ts = 1'700'000'000'000 + static_cast<std::int64_t>(id.size());
  e.seq = 18'000'000'000'000'000'000ull;  // above int64: must survive as unsigned
  e.json = "{\"id\":\"" + id + "\",\"q\":\"caf\xC3\xA9 \\\"quoted\\\"\"}";
  return e;
}

// A queue in every state at once: pending, in flight, waiting, parked (both
// reasons), a purged batch id, and non-zero counters of every kind.
void build_busy_queue(EventQueue& q) {
  QueueConfig c;
  c.batch_size = 3;
  c.max_events = 20;
  c.max_in_flight_batches = 8;
  ASSERT_TRUE(q.configure(c).ok());
  // A marketing batch in flight, purged below (its id is remembered as retired).
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.push(event("m" + std::to_string(i), Purpose::marketing), 1'000).ok());
  auto marketing = q.take_batch(1'000, true);
  ASSERT_TRUE(marketing.has_value());
  // 19 more with 3 held: 2 are evicted (e1, e2; e0 is essential).
  for (int i = 0; i < 19; ++i) {
    ASSERT_TRUE(q.push(event("e" + std::to_string(i), i % 4 == 0 ? Purpose::essential : Purpose::analytics),
                       1'000 + i)
                    .ok());
  }
  QueuedEvent too_big = event("big");
  too_big.json.assign(40'000, '1');
  ASSERT_FALSE(q.push(too_big, 0).ok());
  auto rejected = q.take_batch(2'000);  // e0 e3 e4 -> parked (rejected)
  ASSERT_TRUE(q.fail(rejected->batch_id, FailureInfo{false, std::nullopt, false}, 2'000).ok());
  auto acked = q.take_batch(2'000);  // e5 e6 e7 -> sent
  ASSERT_TRUE(q.ack(acked->batch_id, 2'000).ok());
  auto split = q.take_batch(2'000);  // e8 e9 e10 -> 413 -> [e8 e9] [e10]
  ASSERT_TRUE(q.fail(split->batch_id, FailureInfo{true, std::nullopt, true}, 2'000).ok());
  auto first_half = q.take_batch(2'000);  // stays in flight
  ASSERT_TRUE(first_half.has_value());
  auto second_half = q.take_batch(2'000);  // waits for a retry (Retry-After 5 s)
  ASSERT_TRUE(second_half.has_value());
  ASSERT_TRUE(q.fail(second_half->batch_id, FailureInfo{true, 5'000, false}, 2'000).ok());
  ASSERT_EQ(q.purge_purpose(Purpose::marketing), 3u);
  const QueueStats s = q.stats();
  ASSERT_EQ(s.queued, 8u);  // e11..e18
  ASSERT_EQ(s.in_flight, 2u);
  ASSERT_EQ(s.retry_waiting, 1u);
  ASSERT_EQ(s.parked, 3u);
  ASSERT_EQ(s.dropped_overflow, 2u);
  ASSERT_EQ(s.refused_too_large, 1u);
  ASSERT_EQ(s.batches_split, 1u);
}

}  // namespace

TEST(QueueSnapshot, RoundTripWithoutInFlightIsByteIdenticalAndBehavesTheSame) {
  Rng rng_a(11);
  EventQueue a(rng_a);
  build_busy_queue(a);
  // Park what is in flight so nothing changes state on restore.
  while (a.stats().in_flight_batches > 0) {
    // Park whatever is in flight: parked batches round-trip as they are.
    const json doc = a.to_json();
    for (const json& b : doc["batches"]) {
      if (b["state"] == "in_flight") {
        ASSERT_TRUE(a.fail(b["batch_id"].get<std::string>(), FailureInfo{false, std::nullopt, false}, 2'000).ok());
      }
    }
  }
  const std::string dumped = a.to_json().dump();

  Rng rng_b(11);
  EventQueue b(rng_b);
  ASSERT_TRUE(b.configure(a.config()).ok());
  Status restored = b.restore(json::parse(dumped, nullptr, false));
  ASSERT_TRUE(restored.ok()) << restored.message();
  EXPECT_EQ(b.to_json().dump(), dumped);
  EXPECT_EQ(queue_stats_to_json(b.stats()), queue_stats_to_json(a.stats()));

  // Same state + same rng state (the engine snapshots its rng) => same future.
  rng_b.set_state(rng_a.state());
  for (std::int64_t now : {2'001, 7'000, 20'000, 40'000}) {
    auto from_a = a.take_batch(now, true);
    auto from_b = b.take_batch(now, true);
    ASSERT_EQ(from_a.has_value(), from_b.has_value());
    if (!from_a) continue;
    EXPECT_EQ(from_a->batch_id, from_b->batch_id);
    EXPECT_EQ(from_a->events_json, from_b->events_json);
    EXPECT_EQ(from_a->attempt, from_b->attempt);
    ASSERT_TRUE(a.ack(from_a->batch_id, now).ok());
    ASSERT_TRUE(b.ack(from_b->batch_id, now).ok());
  }
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
}

TEST(QueueSnapshot, InFlightBatchesAreResentAtOnceAfterRestore) {
  Rng rng(11);
  EventQueue q(rng);
  build_busy_queue(q);
  const json doc = q.to_json();
  std::vector<std::string> in_flight_ids;
  for (const json& b : doc["batches"]) {
    if (b["state"] == "in_flight") in_flight_ids.push_back(b["batch_id"].get<std::string>());
  }
  ASSERT_FALSE(in_flight_ids.empty());

  Rng other(99);
  EventQueue reloaded(other);
  ASSERT_TRUE(reloaded.configure(q.config()).ok());
  ASSERT_TRUE(reloaded.restore(doc).ok());
  EXPECT_EQ(reloaded.stats().in_flight, 0u);
  EXPECT_EQ(reloaded.stats().retry_waiting, q.stats().retry_waiting + q.stats().in_flight);
  // At any clock value (even long before the original send), it goes first.
  auto resent = reloaded.take_batch(-5);
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->batch_id, in_flight_ids.front());
  EXPECT_GE(resent->attempt, 2u);
  ASSERT_TRUE(reloaded.ack(resent->batch_id, 0).ok());

  // restore(to_json(restore(x))) is a fixed point.
  const std::string once = reloaded.to_json().dump();
  Rng third(1);
  EventQueue again(third);
  ASSERT_TRUE(again.restore(json::parse(once)).ok());
  EXPECT_EQ(again.to_json().dump(), once);
}

TEST(QueueSnapshot, CorruptDocumentsAreRefusedAndLeaveTheQueueUnchanged) {
  Rng rng(11);
  EventQueue source(rng);
  build_busy_queue(source);
  const json good = source.to_json();
  ASSERT_GE(good["pending"].size(), 2u);
  ASSERT_GE(good["batches"].size(), 2u);

  struct Case {
    const char* what;
    std::function<void(json&)> corrupt;
    ErrorCode code;
    const char* mentions;
  };
  const std::vector<Case> cases = {
      {"not an object", [](json& d) { d = json::array(); }, ErrorCode::snapshot_corrupt, "must be an object"},
      {"foreign format", [](json& d) { d["format"] = "someone.else"; }, ErrorCode::snapshot_version, "format"},
      {"newer version", [](json& d) { d["version"] = 2; }, ErrorCode::snapshot_version, "version"},
      {"pending not array", [](json& d) { d["pending"] = json::object(); }, ErrorCode::snapshot_corrupt,
       ".pending"},
      {"missing batches", [](json& d) { d.erase("batches"); }, ErrorCode::snapshot_corrupt, ".batches"},
      {"event without id", [](json& d) { d["pending"][1].erase("id"); }, ErrorCode::snapshot_corrupt,
       ".pending[1].id"},
      {"empty event id", [](json& d) { d["pending"][0]["id"] = ""; }, ErrorCode::snapshot_corrupt,
       ".pending[0]"},
      {"unknown purpose", [](json& d) { d["pending"][0]["purpose"] = "telepathy"; }, ErrorCode::snapshot_corrupt,
       ".pending[0].purpose"},
      {"ts not integer", [](json& d) { d["pending"][0]["ts"] = 1.5; }, ErrorCode::snapshot_corrupt,
       ".pending[0].ts"},
      {"negative seq", [](json& d) { d["pending"][0]["seq"] = -1; }, ErrorCode::snapshot_corrupt,
       ".pending[0].seq"},
      {"json not string", [](json& d) { d["pending"][0]["json"] = json::object(); }, ErrorCode::snapshot_corrupt,
       ".pending[0].json"},
      {"duplicate event id across batches",
       [](json& d) { d["batches"][1]["events"][0]["id"] = d["pending"][0]["id"]; }, ErrorCode::snapshot_corrupt,
       "duplicate event id"},
      {"duplicate batch id", [](json& d) { d["batches"][1]["batch_id"] = d["batches"][0]["batch_id"]; },
       ErrorCode::snapshot_corrupt, "duplicate batch id"},
      {"bad batch state", [](json& d) { d["batches"][0]["state"] = "lost"; }, ErrorCode::snapshot_corrupt,
       ".batches[0].state"},
      {"empty batch", [](json& d) { d["batches"][0]["events"] = json::array(); }, ErrorCode::snapshot_corrupt,
       ".batches[0].events"},
      {"parked without reason",
       [](json& d) {
         for (json& b : d["batches"])
           if (b["state"] == "parked") b.erase("park_reason");
       },
       ErrorCode::snapshot_corrupt, "park_reason"},
      {"negative delay",
       [](json& d) {
         for (json& b : d["batches"])
           if (b["state"] == "retry_wait") b["delay_ms"] = -1;
       },
       ErrorCode::snapshot_corrupt, "delay_ms"},
      {"counter is a string", [](json& d) { d["counters"]["sent"] = "7"; }, ErrorCode::snapshot_corrupt,
       ".counters.sent"},
      {"counters do not add up", [](json& d) { d["counters"]["accepted"] = d["counters"]["accepted"].get<int>() + 1; },
       ErrorCode::snapshot_corrupt, ".counters.accepted"},
      {"an event removed (truncated)", [](json& d) { d["pending"].erase(d["pending"].begin()); },
       ErrorCode::snapshot_corrupt, ".counters.accepted"},
      {"retired id reused", [](json& d) { d["retired_batch_ids"].push_back(d["batches"][0]["batch_id"]); },
       ErrorCode::snapshot_corrupt, ".retired_batch_ids"},
      {"invalid utf8 in event json",
       [](json& d) { d["pending"][0]["json"] = std::string("{\"a\":\"\xFF\"}"); }, ErrorCode::snapshot_corrupt,
       "UTF-8"},
  };

  // The target queue has its own, different contents that must survive.
  Rng target_rng(3);
  EventQueue target(target_rng);
  QueuedEvent mine{"mine", Purpose::analytics, 1, 1, "{\"id\":\"mine\"}"};
  ASSERT_TRUE(target.push(mine, 0).ok());
  const std::string before = target.to_json().dump();

  for (const Case& c : cases) {
    json doc = good;
    c.corrupt(doc);
    Status s = target.restore(doc);
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s.message();
    EXPECT_NE(s.message().find(c.mentions), std::string::npos) << c.what << ": " << s.message();
    EXPECT_EQ(target.to_json().dump(), before) << c.what;
  }
  // And the untouched document still restores.
  EXPECT_TRUE(target.restore(good).ok());
}
