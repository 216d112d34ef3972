// Behavioural patterns and insights derived from a LearnerProfile.
//
// Formulas (W = the 28 days ending at now; local time = ts + tz_offset):
//   active_days      distinct local days with any activity in W
//   sessions         activity sorted by time; a gap > session_gap_minutes starts a
//                    new session; session minutes = max(last - first, sum of
//                    durations) / 60 s
//   engagement       0.5 * min(1, active_days / 12) + 0.3 * 2^(-days_since_last / 7)
//                    + 0.2 * min(1, avg_session_minutes / 30)            in 0..1
//   learning_velocity  completions in W / 4                   (per week)
//   completion_rate  items completed / items started (enrolled, completed or
//                    dropped); null when nothing was started
//   dropout_risk     logistic(z), z = -1 + 0.25 * min(days_since_last, 60)
//                    - 1.5 * trend + 2 * drop_ratio - 2 * engagement, where
//                    trend = (active days in the last 14 - in the 14 before) / 14
//                    and drop_ratio = dropped / started; 0 with no activity
//   hour_histogram   share of all retained activity per local hour (24 bins);
//                    peak_hours = up to 3 fullest bins (ties -> earlier hour)
//   preferred_content_types  top 3 learned content-type affinities
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/profile.hpp"

namespace gradvy {

struct SessionPattern {
  std::size_t sessions = 0;        // in W
  double sessions_per_week = 0.0;
  double avg_minutes = 0.0;
  double avg_events = 0.0;
  int typical_start_hour = -1;     // most common local start hour, -1 if none
};

struct BehaviorPatterns {
  double engagement = 0.0;
  double learning_velocity = 0.0;
  std::optional<double> completion_rate;
  double dropout_risk = 0.0;
  std::size_t active_days = 0;
  double days_since_last_activity = -1.0;  // -1 if no activity
  std::array<double, 24> hour_histogram{};
  std::vector<int> peak_hours;
  std::vector<std::pair<std::string, double>> preferred_content_types;
  SessionPattern session;
};

BehaviorPatterns compute_behavior_patterns(const LearnerProfile& profile, std::int64_t now_ms);
nlohmann::json to_json(const BehaviorPatterns& patterns);

// {top_interests, completion_rate, preferred_times{peak_hours, label},
//  preferred_content_types, engagement, learning_velocity, dropout_risk,
//  level_estimate, level_label, sessions, active_days_28}
nlohmann::json insights(const LearnerProfile& profile, std::int64_t now_ms);

}  // namespace gradvy
