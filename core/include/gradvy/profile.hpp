// LearnerProfile: the on-device model of one learner.
//
// Declared preferences (what the learner said) + learned signals (what they
// did). The engine calls observe() only while `personalization` is granted.
//
// Design of the learned part (why it looks like this):
// - Per item we keep ONE time-decayed weight: w(t) = sum_i a_i * 2^-((t - t_i)/h)
//   stored as (value at its last timestamp, that timestamp), so an update is
//   O(1) and events may arrive out of order. a_i = action weight (config) x
//   intensity. Topic and content-type affinities and the interest vector are
//   all sums of these item weights.
// - Item embeddings arrive with candidates at rerank time, not with events, so
//   the profile caches the (unit-normalized) embedding, topics, content type and
//   difficulty of items it already tracks whenever a rerank call (or
//   remember_item) shows them. The interest vector is composed from that cache:
//   interest = normalize(sum_i w_i * e_i). Because every weight decays with the
//   same half-life, the DIRECTION of that sum does not depend on "now", so it is
//   cached and only recomputed after a change (observe, remember, retention).
// - Two interest vectors from the same items: the long-term one (half_life_days)
//   and a short-term one (short_term_half_life_days, per item a second decayed
//   weight) for "what next": learners mostly continue from what they did in
//   the last sessions, while long-term interests keep items on topic.
// - Everything is bounded: max_items tracked items (lowest |weight| unflagged
//   item evicted first), max_activity activity records.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/fifo.hpp"
#include "gradvy/profile_config.hpp"
#include "gradvy/profile_event.hpp"
#include "gradvy/profile_preferences.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// A value that halves every half-life: stored at the time of its last update.
struct DecayedValue {
  double value = 0.0;
  std::int64_t ts = 0;
  double at(std::int64_t t, double half_life_ms) const;
  void add(double amount, std::int64_t t, double half_life_ms);
};

struct ItemState {
  DecayedValue signal;             // learned weight of this item
  DecayedValue recent;             // the same amounts with the short-term half-life
  std::int64_t first_ts = 0;
  std::uint32_t events = 0;        // events that touched it (retained ones)
  bool enrolled = false, completed = false, dropped = false;
  bool thumbs_up = false, thumbs_down = false, dismissed = false;
  std::int64_t flag_ts = 0;        // time of the latest flag change
  bool level_evidence_applied = false;  // its completion already moved the level estimate
  // Metadata, from events or cached from candidates:
  std::vector<std::string> topics;  // normalized
  std::string content_type;         // normalized
  double difficulty = 0.0;          // 1..3, 0 unknown
  std::vector<float> embedding;     // unit length; empty if not seen yet

  bool flagged() const { return completed || thumbs_down || dismissed; }
};

// One observed event, reduced to what the behavioural patterns need.
struct ActivityRecord {
  std::int64_t ts = 0;
  ProfileEvent::Kind kind = ProfileEvent::Kind::other;
  ProfileEvent::Action action = ProfileEvent::Action::none;
  ProfileEvent::Feedback feedback = ProfileEvent::Feedback::none;
  double duration_s = 0.0;
  double completion_rate = -1.0;
  double quiz_ratio = -1.0;  // score / total_questions, -1 if not a quiz
};

class LearnerProfile {
 public:
  explicit LearnerProfile(ProfileConfig config = ProfileConfig());

  const ProfileConfig& config() const { return config_; }
  // Replaces the configuration (validated). Learned state is kept.
  Status set_config(const ProfileConfig& config);

  // --- declared preferences ---
  const DeclaredPreferences& preferences() const { return preferences_; }
  void set_preferences(DeclaredPreferences prefs) { preferences_ = std::move(prefs); }
  // Parses and validates JSON text; on error nothing changes.
  Status set_preferences_json(std::string_view text);

  // --- learning ---
  // Validates then learns from one event. Invalid -> invalid_event, unchanged.
  Status observe(const ProfileEvent& event);
  // Caches metadata/embedding of an item the profile already tracks; items it
  // does not track are ignored (returns false). `embedding` may be null (d = 0).
  bool remember_item(std::string_view id, const float* embedding, std::size_t d,
                     const std::vector<std::string>& normalized_topics,
                     std::string_view normalized_content_type, double difficulty);
  bool tracks(std::string_view id) const { return find_item(id) != nullptr; }

  // --- retention and deletion ---
  void forget_before(std::int64_t cutoff_ms);
  void apply_retention(std::int64_t now_ms);
  void clear_learned();  // behaviour only; declared preferences stay
  void clear();          // everything, back to a new profile (config kept)

  // --- read side ---
  bool is_cold() const { return signal_event_count() < config_.cold_start_min_events; }
  std::size_t signal_event_count() const;
  const ItemState* find_item(std::string_view id) const;
  const std::unordered_map<std::string, ItemState>& items() const { return items_; }
  const Fifo<ActivityRecord>& activity() const { return activity_; }
  std::int64_t last_activity_ts() const { return last_ts_; }
  double item_weight(std::string_view id, std::int64_t now_ms) const;
  // Estimated level 1..3 from the declared level, completions of items with a
  // known difficulty and quiz results; 0 if nothing is known.
  double level_estimate() const;
  // Learned topic / content-type affinities, normalized so the top one is 1
  // (negative totals dropped), sorted by affinity then name. Cached.
  const std::vector<std::pair<std::string, double>>& topic_affinities() const;
  const std::vector<std::pair<std::string, double>>& content_type_affinities() const;
  // Unit interest vector in the d-dim embedding space, empty if no tracked item
  // has an embedding of that dimension. Cached until the next change.
  const std::vector<float>& interest_vector(std::size_t d) const;
  // Same, from the short-term weights: what the learner did most recently.
  const std::vector<float>& recent_interest_vector(std::size_t d) const;
  // Unit embeddings (dimension d) of thumbs-down items, most recent first.
  std::vector<const float*> thumbs_down_embeddings(std::size_t d, std::size_t max_count) const;

  // --- persistence ---
  // Snapshot of everything (config, preferences, learned state, cached
  // embeddings as base64 float32 LE). restore() validates the whole document
  // first: corrupt -> snapshot_corrupt, other format/version -> snapshot_version,
  // and in both cases the profile is left unchanged.
  nlohmann::json to_json() const;
  Status restore(const nlohmann::json& doc);
  Status restore_json(std::string_view text);
  // Human-readable data export for the learner (no embeddings).
  nlohmann::json export_json(std::int64_t now_ms) const;

 private:
  double half_life_ms() const { return config_.half_life_days * 86400000.0; }
  double short_half_life_ms() const { return config_.short_term_half_life_days * 86400000.0; }
  struct VectorCache {
    std::size_t dim = 0;  // 0 = not computed
    std::vector<float> unit;
  };
  // normalize(sum_i w_i * e_i) with w_i = (item.*signal) at last_ts_.
  const std::vector<float>& compose_vector(std::size_t d, DecayedValue ItemState::*signal, double half_life,
                                           VectorCache& cache) const;
  double action_weight(const ProfileEvent& e) const;
  ItemState& touch_item(const std::string& id, std::int64_t ts);
  void add_level_evidence(double level, std::int64_t ts);
  void evict_if_needed();
  void invalidate() {
    caches_valid_ = false;
    interest_cache_.dim = 0;
    recent_cache_.dim = 0;
  }
  void rebuild_affinities() const;

  ProfileConfig config_;
  DeclaredPreferences preferences_;
  std::unordered_map<std::string, ItemState> items_;
  std::map<std::string, DecayedValue> session_content_types_;  // sessions without an item
  Fifo<ActivityRecord> activity_;
  double level_sum_ = 0.0, level_n_ = 0.0;
  std::int64_t level_ts_ = 0;
  std::int64_t last_ts_ = 0;

  mutable bool caches_valid_ = false;
  mutable std::vector<std::pair<std::string, double>> topic_cache_, content_type_cache_;
  mutable VectorCache interest_cache_, recent_cache_;

};

}  // namespace gradvy
