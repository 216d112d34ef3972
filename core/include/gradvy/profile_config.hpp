// Tunables of the learner profile. Everything that shapes learning is here,
// not buried in code, so the offline evaluation can tune it and apps can
// override it from JSON.
#pragma once

#include <cstddef>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/status.hpp"

namespace gradvy {

struct ProfileConfig {
  // Every learned signal halves in weight after this many days (the long-term
  // interests: what a learner keeps coming back to over weeks).
  double half_life_days = 30.0;
  // The short-term interest ("what next") uses the same item signals with this
  // much shorter half-life, so the last few study sessions dominate it: a
  // session 3 days ago counts half, a week ago under a fifth, a month ago ~0.
  double short_term_half_life_days = 3.0;
  // Signals older than this are forgotten (apply_retention / forget_before).
  double retention_days = 180.0;

  // Per-action weights (view < enroll < progress < complete); drop is negative.
  double weight_view = 1.0;
  double weight_enroll = 2.0;
  double weight_progress = 3.0;
  double weight_complete = 5.0;
  double weight_drop = -1.0;
  double weight_session = 1.5;    // learning_session on an item, x completion_rate if known
  double weight_quiz = 2.0;       // quiz on an item, x (0.5 + score ratio)
  double weight_thumbs_up = 4.0;
  double weight_thumbs_down = -4.0;
  double weight_dismissed = -1.0;
  // Intensity (ProfileEvent::weight, e.g. clicks) counts as 1 + ln(w) above 1,
  // so one resource clicked 200 times does not drown everything else.
  bool log_scale_intensity = true;

  // Below this many item events the profile is "cold": rerank falls back.
  std::size_t cold_start_min_events = 3;
  std::size_t max_items = 2000;     // tracked items (signals, flags, cached embeddings)
  std::size_t max_activity = 1000;  // activity records kept for behavioural patterns
  int tz_offset_minutes = 0;        // local time for peak hours / days (UTC by default)
  double session_gap_minutes = 30.0;  // a longer gap starts a new session

  // Partial override: keys present in `doc` replace the defaults above;
  // unknown keys and out-of-range values are refused (invalid_argument).
  static Result<ProfileConfig> from_json(const nlohmann::json& doc);
  nlohmann::json to_json() const;
  Status validate() const;
};

}  // namespace gradvy
