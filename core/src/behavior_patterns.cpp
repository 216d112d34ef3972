#include "gradvy/behavior_patterns.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "gradvy/sort_order.hpp"

namespace gradvy {

using json = nlohmann::json;

namespace {

constexpr std::int64_t kHourMs = 3600000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kWindowMs = 28 * kDayMs;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int local_hour(std::int64_t ts, int tz_offset_minutes) {
  const std::int64_t local = ts + std::int64_t(tz_offset_minutes) * 60000;
  return static_cast<int>(floor_div(local, kHourMs) - floor_div(local, kDayMs) * 24);
}

std::int64_t local_day(std::int64_t ts, int tz_offset_minutes) {
  return floor_div(ts + std::int64_t(tz_offset_minutes) * 60000, kDayMs);
}

const char* time_of_day_label(int hour) {
  if (hour < 0) return "unknown";
  if (hour >= 5 && hour < 12) return "morning";
  if (hour >= 12 && hour < 17) return "afternoon";
  if (hour >= 17 && hour < 22) return "evening";
  return "night";
}

}  // namespace

BehaviorPatterns compute_behavior_patterns(const LearnerProfile& profile, std::int64_t now_ms) {
  BehaviorPatterns out;
  const ProfileConfig& cfg = profile.config();
  const int tz = cfg.tz_offset_minutes;

  std::vector<ActivityRecord> window;
  std::int64_t last = -1;
  double total = 0.0;
  for (const auto& r : profile.activity()) {
    if (r.ts > now_ms) continue;
    last = std::max(last, r.ts);
    out.hour_histogram[local_hour(r.ts, tz)] += 1.0;
    total += 1.0;
    if (r.ts > now_ms - kWindowMs) window.push_back(r);
  }
  if (total > 0.0) {
    for (double& v : out.hour_histogram) v /= total;
    std::vector<int> hours(24);
    for (int h = 0; h < 24; ++h) hours[h] = h;
    sort_stable(hours, [&](int a, int b) { return out.hour_histogram[a] > out.hour_histogram[b]; });
    for (int i = 0; i < 3 && out.hour_histogram[hours[i]] > 0.0; ++i) out.peak_hours.push_back(hours[i]);
  }
  sort_stable(window, [](const ActivityRecord& a, const ActivityRecord& b) { return a.ts < b.ts; });

  std::set<std::int64_t> days, recent_days, previous_days;
  const std::int64_t today = local_day(now_ms, tz);
  std::size_t completions = 0;
  for (const auto& r : window) {
    const std::int64_t day = local_day(r.ts, tz);
    days.insert(day);
    if (today - day < 14) recent_days.insert(day);
    else previous_days.insert(day);
    if (r.action == ProfileEvent::Action::complete) ++completions;
  }
  out.active_days = days.size();
  out.learning_velocity = static_cast<double>(completions) / 4.0;

  // Sessions.
  const auto gap_ms = static_cast<std::int64_t>(cfg.session_gap_minutes * 60000.0);
  double minutes_sum = 0.0, events_sum = 0.0;
  std::map<int, int> start_hours;
  for (std::size_t i = 0; i < window.size();) {
    std::size_t j = i;
    double durations = window[i].duration_s;
    while (j + 1 < window.size() && window[j + 1].ts - window[j].ts <= gap_ms) {
      ++j;
      durations += window[j].duration_s;
    }
    const double span_s = static_cast<double>(window[j].ts - window[i].ts) / 1000.0;
    minutes_sum += std::max(span_s, durations) / 60.0;
    events_sum += static_cast<double>(j - i + 1);
    start_hours[local_hour(window[i].ts, tz)] += 1;
    out.session.sessions += 1;
    i = j + 1;
  }
  if (out.session.sessions > 0) {
    const double n = static_cast<double>(out.session.sessions);
    out.session.sessions_per_week = n / 4.0;
    out.session.avg_minutes = minutes_sum / n;
    out.session.avg_events = events_sum / n;
    int best = -1, best_count = 0;
    for (const auto& [hour, count] : start_hours) {
      if (count > best_count) { best = hour; best_count = count; }
    }
    out.session.typical_start_hour = best;
  }

  std::size_t started = 0, completed = 0, dropped = 0;
  for (const auto& [id, item] : profile.items()) {
    if (item.enrolled || item.completed || item.dropped) ++started;
    if (item.completed) ++completed;
    if (item.dropped) ++dropped;
  }
  if (started > 0) out.completion_rate = static_cast<double>(completed) / static_cast<double>(started);

  if (last >= 0) {
    out.days_since_last_activity = static_cast<double>(now_ms - last) / static_cast<double>(kDayMs);
    const double recency = std::exp2(-out.days_since_last_activity / 7.0);
    out.engagement = 0.5 * std::min(1.0, static_cast<double>(out.active_days) / 12.0) + 0.3 * recency +
                     0.2 * std::min(1.0, out.session.avg_minutes / 30.0);
    const double trend =
        (static_cast<double>(recent_days.size()) - static_cast<double>(previous_days.size())) / 14.0;
    const double drop_ratio = started > 0 ? static_cast<double>(dropped) / static_cast<double>(started) : 0.0;
    const double z = -1.0 + 0.25 * std::min(out.days_since_last_activity, 60.0) - 1.5 * trend +
                     2.0 * drop_ratio - 2.0 * out.engagement;
    out.dropout_risk = 1.0 / (1.0 + std::exp(-z));
  }

  const auto& types = profile.content_type_affinities();
  for (std::size_t i = 0; i < types.size() && i < 3; ++i) out.preferred_content_types.push_back(types[i]);
  return out;
}

json to_json(const BehaviorPatterns& p) {
  json out = json::object();
  out["engagement"] = p.engagement;
  out["learning_velocity"] = p.learning_velocity;
  out["completion_rate"] = p.completion_rate ? json(*p.completion_rate) : json(nullptr);
  out["dropout_risk"] = p.dropout_risk;
  out["active_days_28"] = p.active_days;
  out["days_since_last_activity"] = p.days_since_last_activity >= 0 ? json(p.days_since_last_activity) : json(nullptr);
  out["hour_histogram"] = p.hour_histogram;
  out["peak_hours"] = p.peak_hours;
  json types = json::array();
  for (const auto& [t, a] : p.preferred_content_types) types.push_back({{"content_type", t}, {"affinity", a}});
  out["preferred_content_types"] = std::move(types);
  out["sessions"] = {{"count_28d", p.session.sessions}, {"per_week", p.session.sessions_per_week},
                     {"avg_minutes", p.session.avg_minutes}, {"avg_events", p.session.avg_events},
                     {"typical_start_hour", p.session.typical_start_hour}};
  return out;
}

json insights(const LearnerProfile& profile, std::int64_t now_ms) {
  const BehaviorPatterns p = compute_behavior_patterns(profile, now_ms);
  json out = to_json(p);
  json top = json::array();
  const auto& topics = profile.topic_affinities();
  for (std::size_t i = 0; i < topics.size() && i < 5; ++i) top.push_back({{"topic", topics[i].first}, {"affinity", topics[i].second}});
  out["top_interests"] = std::move(top);
  const int peak = p.peak_hours.empty() ? -1 : p.peak_hours.front();
  out["preferred_times"] = {{"peak_hours", p.peak_hours}, {"label", time_of_day_label(peak)}};
  const double level = profile.level_estimate();
  out["level_estimate"] = level > 0 ? json(level) : json(nullptr);
  out["level_label"] = level <= 0 ? "unknown" : level < 1.67 ? "beginner" : level < 2.34 ? "intermediate" : "advanced";
  return out;
}

}  // namespace gradvy
