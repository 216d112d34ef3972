// Seeded randomized run of the queue against a simulated host and server:
// pushes, takes (forced or not), acks, every kind of failure, purges, unparks,
// snapshot + restore through text (page reload), clock jumps both ways and
// the occasional forget-me. Properties checked throughout:
//  - nothing is lost silently: accepted == held + sent + dropped-by-reason;
//  - the bounds hold: held events/bytes never exceed max_events/max_bytes;
//  - no event is acknowledged twice, and none whose purpose was purged (or
//    that was cleared) after it was pushed;
//  - at the end everything still held is delivered.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gradvy/queue.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

struct Harness {
  explicit Harness(std::uint64_t seed) : rng(seed), dice(seed * 7919 + 1), queue(std::make_unique<EventQueue>(rng)) {
    config.batch_size = 20;
    config.max_age_ms = 2'000;
    config.max_event_bytes = 500;
    config.batch_max_bytes = 2'000;
    config.max_events = 150;
    config.max_bytes = 20'000;
    config.backoff_base_ms = 100;
    config.backoff_cap_ms = 5'000;
    config.max_attempts = 4;
    config.max_in_flight_batches = 3;
    EXPECT_TRUE(queue->configure(config).ok());
  }

  Rng rng;   // the queue's (engine-owned) rng
  Rng dice;  // the test's own choices
  QueueConfig config;
  std::unique_ptr<EventQueue> queue;
  std::int64_t now = 1'000'000;
  std::uint64_t op = 0;
  int next_id = 0;

  std::unordered_map<std::string, std::pair<Purpose, std::uint64_t>> pushed;  // id -> (purpose, op index)
  std::uint64_t last_purge[kPurposeCount] = {};
  std::uint64_t last_clear = 0;
  std::set<std::string> acked;
  std::vector<std::string> host_in_flight;
  bool offline = false;

  void check_invariants() {
    const QueueStats s = queue->stats();
    ASSERT_EQ(s.held_events, s.queued + s.in_flight + s.retry_waiting + s.parked);
    ASSERT_EQ(s.accepted, s.held_events + s.sent + s.dropped_overflow + s.dropped_consent_withdrawn +
                              s.dropped_too_large + s.dropped_cleared);
    ASSERT_LE(s.held_events, config.max_events);
    ASSERT_LE(s.held_bytes, static_cast<std::uint64_t>(config.max_bytes));
    ASSERT_EQ(s.sent, acked.size());
    ASSERT_LE(s.in_flight_batches, host_in_flight.size());  // the host may hold ids of purged batches
  }

  void record_ack(const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
      auto it = pushed.find(id);
      ASSERT_NE(it, pushed.end()) << id;
      const auto [purpose, at] = it->second;
      ASSERT_GT(at, last_purge[static_cast<int>(purpose)]) << id << " was purged before its ack";
      ASSERT_GT(at, last_clear) << id << " was cleared before its ack";
      ASSERT_TRUE(acked.insert(id).second) << id << " acknowledged twice";
    }
  }

  void push() {
    QueuedEvent e;
    e.id = "r" + std::to_string(next_id++);
    e.purpose = static_cast<Purpose>(dice.next_below(kPurposeCount));
    e.seq = static_cast<std::uint64_t>(next_id);
    e.ts = now;
    const std::size_t pad = dice.next_below(20) == 0 ? 600 : dice.next_below(300);  // 1 in 20 is over the limit
    e.json = "{\"id\":\"" + e.id + "\",\"pad\":\"" + std::string(pad, 'p') + "\"}";
    const std::string id = e.id;
    const Purpose purpose = e.purpose;
    Status s = queue->push(std::move(e), now);
    if (s.ok()) {
      pushed[id] = {purpose, op};
    } else {
      ASSERT_TRUE(s.code() == ErrorCode::event_too_large || s.code() == ErrorCode::limit_exceeded) << s.message();
    }
  }

  void take() {
    auto batch = queue->take_batch(now, dice.next_below(5) == 0);
    if (!batch) return;
    ASSERT_FALSE(batch->event_ids.empty());
    ASSERT_LE(batch->event_ids.size(), config.batch_size);
    ASSERT_TRUE(batch->events_json.size() <= static_cast<std::size_t>(config.batch_max_bytes));
    if (dice.next_below(8) == 0) {  // parsing every batch would dominate the run time
      json parsed = json::parse(batch->events_json, nullptr, false);
      ASSERT_TRUE(parsed.is_array());
      ASSERT_EQ(parsed.size(), batch->event_ids.size());
    }
    host_in_flight.push_back(batch->batch_id);
  }

  std::string pick_in_flight() {
    const std::size_t i = dice.next_below(host_in_flight.size());
    std::string id = host_in_flight[i];
    host_in_flight.erase(host_in_flight.begin() + static_cast<std::ptrdiff_t>(i));
    return id;
  }

  void ack() {
    if (host_in_flight.empty()) return;
    if (offline) {
      auto outcome = queue->fail(pick_in_flight(), FailureInfo{}, now);
      ASSERT_TRUE(outcome.ok()) << outcome.message();
      return;
    }
    auto ids = queue->ack(pick_in_flight(), now);
    ASSERT_TRUE(ids.ok()) << ids.message();
    record_ack(*ids);
  }

  void fail() {
    if (host_in_flight.empty()) return;
    FailureInfo info;
    switch (dice.next_below(5)) {
      case 0: info.retryable = false; break;               // 400
      case 1: info.too_large = true; break;                // 413
      case 2: info.retry_after_ms = 3'000; break;          // 429 + Retry-After
      default: break;                                      // network error / 5xx
    }
    auto outcome = queue->fail(pick_in_flight(), info, now);
    ASSERT_TRUE(outcome.ok()) << outcome.message();
  }

  void reload() {
    // Page reload: the persisted text is all that survives, host fetches die.
    const std::string text = queue->to_json().dump();
    std::uint64_t rng_state[4];
    std::copy(rng.state(), rng.state() + 4, rng_state);
    queue = std::make_unique<EventQueue>(rng);
    ASSERT_TRUE(queue->configure(config).ok());
    rng.set_state(rng_state);
    Status s = queue->restore(json::parse(text, nullptr, false));
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(queue->stats().in_flight, 0u);
    host_in_flight.clear();
  }

  void step() {
    ++op;
    const std::uint64_t roll = dice.next_below(1000);
    if (roll < 450) {
      push();
    } else if (roll < 650) {
      take();
    } else if (roll < 800) {
      ack();
    } else if (roll < 880) {
      fail();
    } else if (roll < 900) {
      const auto purpose = static_cast<Purpose>(1 + dice.next_below(kPurposeCount - 1));
      queue->purge_purpose(purpose);
      last_purge[static_cast<int>(purpose)] = op;
    } else if (roll < 915) {
      if (dice.next_below(2) == 0) {
        queue->unpark_exhausted(now);
      } else {
        queue->unpark_all(now);
      }
    } else if (roll < 925) {
      reload();
    } else if (roll < 926) {
      queue->clear();
      last_clear = op;
    } else if (roll < 935) {
      now -= static_cast<std::int64_t>(dice.next_below(60'000));  // clock corrected backwards
    } else if (roll < 938) {
      offline = !offline;  // while offline every send fails: the queue fills up
    } else {
      now += static_cast<std::int64_t>(dice.next_below(dice.next_below(10) == 0 ? 600'000 : 1'500));
    }
  }

  void drain() {
    offline = false;
    queue->unpark_all(now);
    for (int guard = 0; guard < 100'000; ++guard) {
      while (!host_in_flight.empty()) ack();
      auto batch = queue->take_batch(now, true);
      if (batch) {
        host_in_flight.push_back(batch->batch_id);
        continue;
      }
      auto wake = queue->next_wakeup_ms(now);
      if (!wake) break;
      ASSERT_GT(*wake, now) << "next_wakeup says now but take_batch gives nothing";
      now = *wake;
    }
  }
};

}  // namespace

TEST(QueueRandomized, NothingLostNothingDuplicatedNothingPurgedIsAcknowledged) {
  for (std::uint64_t seed : {1ull, 2ull, 3ull}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness h(seed);
    for (int i = 0; i < 12'000; ++i) {
      h.step();
      h.check_invariants();
      if (::testing::Test::HasFatalFailure()) return;
    }
    h.drain();
    h.check_invariants();
    const QueueStats s = h.queue->stats();
    EXPECT_EQ(s.held_events, 0u);
    EXPECT_GT(s.sent, 1'000u);
    EXPECT_GT(s.dropped_consent_withdrawn, 0u);
    EXPECT_GT(s.dropped_overflow + s.refused_overflow, 0u);
    EXPECT_GT(s.retries, 0u);
    EXPECT_GT(s.batches_split, 0u);
    EXPECT_GT(s.batches_parked, 0u);
    EXPECT_EQ(s.accepted, h.pushed.size());
  }
}
