// Seeded randomized test of the consent and delivery guarantees, through the
// Engine as a host drives it: >= 10,000 random operations per seed (track of
// valid/invalid events, consent changes through every input, take/ack/fail
// with retryable, Retry-After, rejected and 413 outcomes, unpark, snapshot +
// restore into a new engine, corrupt restores, local-only toggles, clock jumps
// forward and backward), then a drain. The test keeps its own model of every
// event it tracked, identified by a marker in ctx.page_url, and asserts:
//   1. an event whose purpose was not granted at collection never enters the
//      queue (track bits) and is never in a batch;
//   2. an event whose purpose was withdrawn (or local-only turned on) before
//      it was acknowledged is never acknowledged, never re-sent, and is gone
//      from the engine's state when the consent call returns;
//   3. every other accepted event is acknowledged exactly once (after the drain);
//   4. nothing is lost silently: every accepted event ends acknowledged or in
//      a dropped_* counter, and the counters add up exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/engine.hpp"
#include "gradvy/random.hpp"

namespace gradvy {
namespace {

using json = nlohmann::json;

// --- a minimal TCF v2 core-segment encoder (independent of the decoder) --------
class TcBits {
 public:
  void put(std::uint64_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) bits_.push_back(((value >> i) & 1u) != 0);
  }
  std::string base64url() const {
    std::vector<bool> b = bits_;
    while (b.size() % 8 != 0) b.push_back(false);
    while (b.size() % 6 != 0) b.push_back(false);
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (std::size_t i = 0; i < b.size(); i += 6) {
      int v = 0;
      for (int k = 0; k < 6; ++k) v = (v << 1) | (b[i + k] ? 1 : 0);
      out.push_back(alphabet[v]);
    }
    return out;
  }

 private:
  std::vector<bool> bits_;
};

// purposes: bit (n-1) = TCF purpose n has consent.
std::string tc_string(std::uint32_t purposes, std::int64_t now_ms) {
  const std::int64_t ds = now_ms / 100 > 1000 ? now_ms / 100 - 1000 : 1;
  TcBits w;
  w.put(2, 6);                         // version
  w.put(static_cast<std::uint64_t>(ds), 36);  // created
  w.put(static_cast<std::uint64_t>(ds), 36);  // last updated
  w.put(7, 12);                        // cmp id
  w.put(1, 12);                        // cmp version
  w.put(1, 6);                         // consent screen
  w.put(4, 6), w.put(13, 6);           // "EN"
  w.put(100, 12);                      // vendor list version
  w.put(4, 6);                         // policy version
  w.put(0, 1), w.put(0, 1);            // service specific, non-standard texts
  w.put(0, 12);                        // special features
  std::uint64_t field = 0;             // purpose n at bit index n-1 from the left
  for (int n = 1; n <= 24; ++n)
    if (purposes & (1u << (n - 1))) field |= 1ull << (24 - n);
  w.put(field, 24);                    // purpose consents
  w.put(0, 24);                        // legitimate interests
  w.put(0, 1);                         // purpose one treatment
  w.put(3, 6), w.put(4, 6);            // "DE"
  w.put(1, 16), w.put(0, 1), w.put(0, 1);  // vendor consents: max id 1, bitfield, none
  w.put(1, 16), w.put(0, 1), w.put(0, 1);  // vendor LI: same
  w.put(0, 12);                        // no publisher restrictions
  return w.base64url();
}

// --- the model -------------------------------------------------------------------------
struct ModelEvent {
  Purpose purpose = Purpose::analytics;
  bool queued = false;     // track said it entered the queue
  bool tainted = false;    // withdrawn / local-only before acknowledged: must never be acked
  bool acked = false;
  bool too_large = false;  // dropped by a 413 of a single-event batch
};

struct HostBatch {
  std::string id;
  std::vector<std::string> markers;
};

const char* kConfig = R"({
  "queue": {"batch_size": 8, "max_age_ms": 5000, "max_events": 120, "max_bytes": 400000,
            "max_attempts": 4, "backoff_base_ms": 100, "backoff_cap_ms": 4000,
            "max_in_flight_batches": 2},
  "events": {"custom_types": {"x_note": "marketing", "x_sys": "essential", "x_share": "social_integration"}},
  "gpc_also_withdraw": ["social_integration"]
})";

class DeliveryProperty {
 public:
  explicit DeliveryProperty(std::uint64_t seed) : rng_(seed), seed_(seed) {
    auto created = Engine::create(kConfig, hex(seed));
    EXPECT_TRUE(created.ok()) << created.message();
    engine_ = std::move(*created);
  }

  void run(int operations) {
    for (int op = 0; op < operations && !::testing::Test::HasFatalFailure(); ++op) {
      step();
      if (op % 500 == 0) audit();
    }
    drain();
    final_accounting();
  }

  std::size_t tracked() const { return model_.size(); }
  std::size_t acked() const { return acked_count_; }
  std::size_t tainted() const {
    std::size_t n = 0;
    for (const auto& [m, e] : model_) n += e.tainted ? 1 : 0;
    return n;
  }

 private:
  static std::string hex(std::uint64_t v) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (int i = 60; i >= 0; i -= 4) out.push_back(digits[(v >> i) & 0xF]);
    return out;
  }
  bool chance(double p) { return rng_.next_double() < p; }
  std::uint64_t below(std::uint64_t n) { return rng_.next_below(n); }

  void step() {
    const std::uint64_t r = below(1000);
    if (r < 430) return track_random();
    if (r < 560) return take();
    if (r < 680) return ack_random();
    if (r < 760) return fail_random();
    if (r < 840) return advance_clock();
    if (r < 905) return consent_random();
    if (r < 915) return snapshot_restore();
    if (r < 920) return corrupt_restore();
    if (r < 950) return unpark();
    if (r < 956) return toggle_local_only();
    return track_invalid();
  }

  // --- operations ---------------------------------------------------------------------
  void track_random() {
    const std::string marker = "/m/" + std::to_string(next_marker_++);
    const std::string ctx = json{{"page_url", marker}}.dump();
    std::string type, props;
    Purpose purpose = Purpose::analytics;
    switch (below(6)) {
      case 0: type = "page_view", props = "{}"; break;
      case 1:
        type = "course_interaction";
        props = json{{"course_id", "c" + std::to_string(below(50))}, {"action", "complete"}}.dump();
        break;
      case 2:
        type = "recommendation_feedback", purpose = Purpose::personalization;
        props = json{{"item_id", "c" + std::to_string(below(50))}, {"feedback", "thumbs_up"}}.dump();
        break;
      case 3:
        type = "x_note", purpose = Purpose::marketing;
        // Sometimes big, so byte-limited batches and 413 splits happen.
        props = chance(0.06) ? json{{"a", std::string(4000, 'a')}, {"b", std::string(4000, 'b')}}.dump()
                            : json{{"text", "short note"}}.dump();
        break;
      case 4: type = "x_sys", purpose = Purpose::essential, props = R"({"ok":true})"; break;
      default: type = "x_share", purpose = Purpose::social_integration, props = R"({"n":1})"; break;
    }
    const PurposeSet granted = engine_->consent().granted();
    const bool local_only = engine_->local_only();
    const QueueStats before = engine_->queue_stats();
    auto result = engine_->track(type, props, ctx, now_);
    if (!result.ok()) {
      // Only a full queue of unevictable events may refuse a valid event.
      ASSERT_EQ(result.code(), ErrorCode::limit_exceeded) << result.message();
      EXPECT_EQ(engine_->queue_stats().refused_overflow, before.refused_overflow + 1);
      return;
    }
    const int bits = *result;
    const bool expect_queued = granted.contains(purpose) && !local_only;
    ASSERT_EQ((bits & kTrackQueued) != 0, expect_queued)
        << type << " purpose granted=" << granted.contains(purpose) << " local_only=" << local_only;
    ASSERT_EQ((bits & kTrackProfiled) != 0, granted.contains(Purpose::personalization));
    ModelEvent event;
    event.purpose = purpose;
    event.queued = expect_queued;
    model_[marker] = event;
    if (expect_queued) ++accepted_;
  }

  void track_invalid() {
    const std::string ctx = json{{"page_url", "/m/invalid"}}.dump();
    const std::uint64_t before = engine_->counters().dropped_invalid;
    Result<int> r = Status();
    switch (below(3)) {
      case 0: r = engine_->track("quiz_attempt", R"({"score":5,"total_questions":2,"time_taken":1})", ctx, now_); break;
      case 1: r = engine_->track("no_such_type", "{}", ctx, now_); break;
      default: r = engine_->track("course_interaction", R"({"course_id":)", ctx, now_); break;
    }
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(engine_->counters().dropped_invalid, before + 1);
  }

  void take() {
    auto batch = engine_->take_batch(now_, chance(0.4));
    if (!batch) return;
    const json body = json::parse(batch->body);
    ASSERT_EQ(body["batch_id"], batch->batch_id);
    ASSERT_EQ(body["events"].size(), batch->event_count);
    HostBatch host{batch->batch_id, {}};
    for (const json& event : body["events"]) {
      const std::string marker = event["ctx"]["page_url"];
      const std::string id = event["id"];
      auto it = model_.find(marker);
      ASSERT_NE(it, model_.end()) << "unknown event in a batch: " << marker;
      ModelEvent& m = it->second;
      ASSERT_TRUE(m.queued) << marker << ": collected without consent, yet sent";
      ASSERT_FALSE(m.tainted) << marker << ": withdrawn before ack, yet sent again";
      ASSERT_FALSE(m.acked) << marker << ": already acknowledged, yet sent again";
      ASSERT_EQ(event["purpose"], std::string(to_string(m.purpose)));
      marker_of_id_[id] = marker;
      host.markers.push_back(marker);
    }
    in_flight_.push_back(std::move(host));
  }

  void ack_random() {
    if (in_flight_.empty()) return;
    const std::size_t pick = below(in_flight_.size());
    HostBatch batch = in_flight_[pick];
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(pick));
    auto acked = engine_->ack(batch.id, now_);
    ASSERT_TRUE(acked.ok()) << acked.message();
    std::set<std::string> expected;
    for (const auto& marker : batch.markers) {
      if (!model_[marker].tainted) expected.insert(marker);
    }
    std::set<std::string> got;
    for (const auto& id : *acked) {
      auto it = marker_of_id_.find(id);
      ASSERT_NE(it, marker_of_id_.end());
      ModelEvent& m = model_[it->second];
      ASSERT_FALSE(m.tainted) << it->second << ": acknowledged after its consent was withdrawn";
      ASSERT_FALSE(m.acked) << it->second << ": acknowledged twice";
      m.acked = true;
      ++acked_count_;
      got.insert(it->second);
    }
    ASSERT_EQ(got, expected) << "ack must cover exactly the batch's still-allowed events";
  }

  void fail_random() {
    if (in_flight_.empty()) return;
    const std::size_t pick = below(in_flight_.size());
    HostBatch batch = in_flight_[pick];
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(pick));
    FailureInfo info;
    switch (below(4)) {
      case 0: info.retryable = true; break;
      case 1: info.retryable = true, info.retry_after_ms = static_cast<std::int64_t>(below(3000)); break;
      case 2: info.retryable = false; break;  // parked as rejected
      default: info.too_large = true; break;  // 413
    }
    auto outcome = engine_->fail(batch.id, info, now_);
    ASSERT_TRUE(outcome.ok()) << outcome.message();
    if (outcome->action == FailAction::retry_scheduled) {
      ASSERT_GE(outcome->retry_at_ms, now_ + (info.retry_after_ms ? *info.retry_after_ms : 0));
    }
    if (outcome->action == FailAction::dropped_too_large) {
      std::size_t live = 0;
      for (const auto& marker : batch.markers) {
        if (!model_[marker].tainted) {
          model_[marker].too_large = true;
          ++live;
        }
      }
      ASSERT_EQ(live, 1u) << "only a single-event batch is dropped as too large";
    }
  }

  void advance_clock() {
    const std::uint64_t r = below(10);
    if (r < 6) {
      now_ += static_cast<std::int64_t>(below(3000));
    } else if (r < 8) {
      now_ += static_cast<std::int64_t>(below(60000));
    } else if (r < 9) {
      now_ -= static_cast<std::int64_t>(below(30000));  // the clock went backwards
    } else {
      now_ += 3'600'000;  // laptop lid closed
    }
    if (now_ < 1) now_ = 1;
  }

  void consent_random() {
    const PurposeSet before = engine_->consent().granted();
    Result<ConsentUpdate> update = Status();
    switch (below(5)) {
      case 0: {
        json toggles = json::object();
        static const char* names[] = {"analytics", "personalization", "marketing", "social_integration",
                                      "external_enrichment"};
        const int changes = 1 + static_cast<int>(below(3));
        for (int i = 0; i < changes; ++i) toggles[names[below(5)]] = chance(0.55);
        update = engine_->set_consent(toggles.dump(), now_);
        break;
      }
      case 1: {
        std::uint32_t purposes = 0;
        for (int n = 1; n <= 10; ++n)
          if (chance(0.7)) purposes |= 1u << (n - 1);
        update = engine_->apply_tcf(tc_string(purposes, now_), now_);
        break;
      }
      case 2: {
        auto state = [&] { return chance(0.6) ? "granted" : "denied"; };
        json states = {{"analytics_storage", state()}, {"personalization_storage", state()},
                       {"ad_storage", state()}, {"ad_user_data", state()}, {"ad_personalization", state()}};
        update = engine_->apply_consent_mode(states.dump(), now_);
        break;
      }
      case 3: update = engine_->set_gpc(chance(0.5), now_); break;
      default: {
        // Malformed inputs: an error and no change, never a grant.
        const json consent_before = engine_->consent_json();
        const std::uint64_t revision_before = engine_->revision();
        const bool tcf = chance(0.5);
        auto bad = tcf ? engine_->apply_tcf("C" + std::string(below(40), '!'), now_)
                       : engine_->set_consent(R"({"essential":false})", now_);
        ASSERT_FALSE(bad.ok());
        ASSERT_EQ(bad.code(), tcf ? ErrorCode::invalid_tc_string : ErrorCode::invalid_consent);
        ASSERT_EQ(engine_->consent_json(), consent_before);
        ASSERT_EQ(engine_->revision(), revision_before);
        return;
      }
    }
    ASSERT_TRUE(update.ok()) << update.message();
    const PurposeSet after = engine_->consent().granted();
    for (int p = 0; p < kPurposeCount; ++p) {
      const auto purpose = static_cast<Purpose>(p);
      const bool withdrawn = before.contains(purpose) && !after.contains(purpose);
      ASSERT_EQ(update->change.withdrawn.contains(purpose), withdrawn) << to_string(purpose);
      if (withdrawn) taint_purpose(purpose);
    }
    // The purge happened before the call returned: nothing of a withdrawn
    // purpose is held any more (a full scan is costly: every 4th withdrawal).
    if (update->change.withdrawn.bits() != 0 && ++withdrawals_ % 4 == 0) assert_nothing_tainted_is_held();
  }

  void taint_purpose(Purpose purpose) {
    for (auto& [marker, m] : model_) {
      if (m.queued && !m.acked && !m.too_large && m.purpose == purpose) m.tainted = true;
    }
  }

  void toggle_local_only() {
    const bool on = !engine_->local_only();
    engine_->set_local_only(on);
    if (on) {
      for (auto& [marker, m] : model_) {
        if (m.queued && !m.acked && !m.too_large) m.tainted = true;
      }
      ASSERT_EQ(engine_->queue_stats().held_events, 0u);
    }
  }

  void unpark() { engine_->unpark(now_, chance(0.5)); }

  void snapshot_restore() {
    // A page reload: the snapshot is restored into a new engine (other seed);
    // batches the old page had in flight are forgotten by the host and
    // become sendable again.
    const std::string snap = engine_->snapshot();
    auto created = Engine::create(kConfig, hex(seed_ ^ (++reloads_ * 0x9E3779B97F4A7C15ull)));
    ASSERT_TRUE(created.ok());
    auto fresh = std::move(*created);
    const Status restored = fresh->restore(snap);
    ASSERT_TRUE(restored.ok()) << restored.message();
    json a = json::parse(snap), b = json::parse(fresh->snapshot());
    a.erase("revision"), b.erase("revision");
    // In-flight batches are ready to resend after a restore; everything else is identical.
    ASSERT_EQ(a["consent"], b["consent"]);
    ASSERT_EQ(a["events"], b["events"]);
    ASSERT_EQ(a["counters"], b["counters"]);
    ASSERT_EQ(a["rng"], b["rng"]);
    engine_ = std::move(fresh);
    in_flight_.clear();
  }

  void corrupt_restore() {
    const std::string before = engine_->snapshot();
    std::string bad = before;
    switch (below(3)) {
      case 0: bad.resize(below(bad.size())); break;
      case 1: bad[below(bad.size())] = '\x01'; break;
      default: {
        json doc = json::parse(before);
        doc["version"] = 2;
        bad = doc.dump();
      }
    }
    const Status s = engine_->restore(bad);
    ASSERT_FALSE(s.ok());
    ASSERT_TRUE(s.code() == ErrorCode::snapshot_corrupt || s.code() == ErrorCode::snapshot_version) << s.message();
    ASSERT_EQ(engine_->snapshot(), before) << "a refused restore must leave the state untouched";
  }

  // --- checks ---------------------------------------------------------------------------
  std::vector<std::string> held_markers() const {
    std::vector<std::string> out;
    const json exported = engine_->export_data(now_);
    for (const json& held : exported["queued_events"]) out.push_back(held["event"]["ctx"]["page_url"]);
    return out;
  }

  void assert_nothing_tainted_is_held() {
    for (const auto& marker : held_markers()) {
      auto it = model_.find(marker);
      ASSERT_NE(it, model_.end()) << marker;
      ASSERT_FALSE(it->second.tainted) << marker << ": still held after its consent was withdrawn";
      ASSERT_FALSE(it->second.acked) << marker << ": still held after it was acknowledged";
    }
  }

  void audit() {
    assert_nothing_tainted_is_held();
    const QueueStats q = engine_->queue_stats();
    ASSERT_EQ(q.accepted, accepted_);
    ASSERT_EQ(q.sent, acked_count_);
    ASSERT_EQ(q.accepted, q.queued + q.in_flight + q.retry_waiting + q.parked + q.sent + q.dropped_overflow +
                              q.dropped_consent_withdrawn + q.dropped_too_large + q.dropped_cleared);
  }

  void drain() {
    for (int round = 0; round < 10000; ++round) {
      engine_->unpark(now_, true);
      auto batch_taken = engine_->take_batch(now_, true);
      if (!batch_taken) {
        if (engine_->queue_stats().held_events == 0) return;
        now_ += 10'000;  // past any backoff or Retry-After
        continue;
      }
      // Re-run the batch checks through the model, then acknowledge.
      const json body = json::parse(batch_taken->body);
      HostBatch host{batch_taken->batch_id, {}};
      for (const json& event : body["events"]) {
        const std::string marker = event["ctx"]["page_url"];
        ASSERT_FALSE(model_[marker].tainted) << marker;
        ASSERT_FALSE(model_[marker].acked) << marker;
        marker_of_id_[event["id"]] = marker;
        host.markers.push_back(marker);
      }
      in_flight_.assign(1, host);
      ack_random();
    }
    FAIL() << "the queue did not drain";
  }

  void final_accounting() {
    const QueueStats q = engine_->queue_stats();
    ASSERT_EQ(q.held_events, 0u);
    std::size_t unacked = 0, unacked_allowed = 0, too_large = 0;
    for (const auto& [marker, m] : model_) {
      if (!m.queued) {
        ASSERT_FALSE(m.acked) << marker;
        continue;
      }
      if (m.acked) continue;
      ++unacked;
      if (m.too_large) ++too_large;
      if (!m.tainted && !m.too_large) ++unacked_allowed;
    }
    // Every accepted, allowed event was acknowledged unless overflow evicted it.
    EXPECT_LE(unacked_allowed, q.dropped_overflow);
    EXPECT_EQ(too_large, q.dropped_too_large);
    // Nothing is lost silently: the unacknowledged are exactly the counted drops.
    EXPECT_EQ(unacked, q.dropped_overflow + q.dropped_consent_withdrawn + q.dropped_too_large + q.dropped_cleared);
    EXPECT_EQ(q.accepted, accepted_);
    EXPECT_EQ(q.sent, acked_count_);
  }

  Rng rng_;
  std::uint64_t seed_;
  std::unique_ptr<Engine> engine_;
  std::int64_t now_ = 1'763'800'000'000;
  std::uint64_t next_marker_ = 0;
  std::uint64_t reloads_ = 0;
  std::map<std::string, ModelEvent> model_;
  std::unordered_map<std::string, std::string> marker_of_id_;
  std::vector<HostBatch> in_flight_;
  std::size_t accepted_ = 0;
  std::size_t acked_count_ = 0;
  std::size_t withdrawals_ = 0;
};

class DeliveryPropertyTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(DeliveryPropertyTest, ConsentAndExactlyOnceHoldOverTenThousandRandomOperations) {
  DeliveryProperty property(GetParam());
  property.run(12'000);
  // The run must have exercised the interesting paths, or it proves nothing.
  EXPECT_GT(property.tracked(), 3000u);
  EXPECT_GT(property.acked(), 300u);
  EXPECT_GT(property.tainted(), 10u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DeliveryPropertyTest,
                         ::testing::Values(1u, 2u, 0xC0FFEEu, 20261122u, 0xDEADBEEFCAFEull));

}  // namespace
}  // namespace gradvy
