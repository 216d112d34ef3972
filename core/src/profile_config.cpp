#include "gradvy/profile_config.hpp"

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "gradvy/json_tree.hpp"

namespace gradvy {

using json = nlohmann::json;

namespace {

struct DoubleField {
  const char* name;
  double ProfileConfig::*member;
  double lo, hi;
};

const DoubleField kDoubleFields[] = {
    {"half_life_days", &ProfileConfig::half_life_days, 0.01, 36500},
    {"short_term_half_life_days", &ProfileConfig::short_term_half_life_days, 0.01, 36500},
    {"retention_days", &ProfileConfig::retention_days, 0.01, 36500},
    {"weight_view", &ProfileConfig::weight_view, -100, 100},
    {"weight_enroll", &ProfileConfig::weight_enroll, -100, 100},
    {"weight_progress", &ProfileConfig::weight_progress, -100, 100},
    {"weight_complete", &ProfileConfig::weight_complete, -100, 100},
    {"weight_drop", &ProfileConfig::weight_drop, -100, 100},
    {"weight_session", &ProfileConfig::weight_session, -100, 100},
    {"weight_quiz", &ProfileConfig::weight_quiz, -100, 100},
    {"weight_thumbs_up", &ProfileConfig::weight_thumbs_up, -100, 100},
    {"weight_thumbs_down", &ProfileConfig::weight_thumbs_down, -100, 100},
    {"weight_dismissed", &ProfileConfig::weight_dismissed, -100, 100},
    {"session_gap_minutes", &ProfileConfig::session_gap_minutes, 1, 1440},
};

struct SizeField {
  const char* name;
  std::size_t ProfileConfig::*member;
  std::size_t lo, hi;
};

const SizeField kSizeFields[] = {
    {"cold_start_min_events", &ProfileConfig::cold_start_min_events, 0, 1000},
    {"max_items", &ProfileConfig::max_items, 10, 20000},
    {"max_activity", &ProfileConfig::max_activity, 10, 100000},
};

Status bad(const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_argument, "profile_config." + field + ": " + rule);
}

}  // namespace

Status ProfileConfig::validate() const {
  for (const auto& f : kDoubleFields) {
    const double v = this->*f.member;
    if (!std::isfinite(v) || v < f.lo || v > f.hi) return bad(f.name, number_between_rule(f.lo, f.hi));
  }
  for (const auto& f : kSizeFields) {
    const std::size_t v = this->*f.member;
    if (v < f.lo || v > f.hi) return bad(f.name, number_between_rule(double(f.lo), double(f.hi)));
  }
  if (tz_offset_minutes < -840 || tz_offset_minutes > 840) return bad("tz_offset_minutes", "must be between -840 and 840");
  return Status();
}

Result<ProfileConfig> ProfileConfig::from_json(const json& doc) {
  if (!doc.is_object()) return Result<ProfileConfig>(bad("", "must be an object"));
  ProfileConfig c;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    bool known = false;
    for (const auto& f : kDoubleFields) {
      if (key != f.name) continue;
      known = true;
      if (!it->is_number()) return Result<ProfileConfig>(bad(key, number_between_rule(f.lo, f.hi)));
      c.*f.member = it->get<double>();
    }
    for (const auto& f : kSizeFields) {
      if (key != f.name) continue;
      known = true;
      if (!it->is_number_unsigned()) return Result<ProfileConfig>(bad(key, "must be a whole number >= 0"));
      c.*f.member = static_cast<std::size_t>(it->get<std::uint64_t>());
    }
    if (key == "log_scale_intensity") {
      known = true;
      if (!it->is_boolean()) return Result<ProfileConfig>(bad(key, "must be true or false"));
      c.log_scale_intensity = it->get<bool>();
    }
    if (key == "tz_offset_minutes") {
      known = true;
      if (!it->is_number_integer()) return Result<ProfileConfig>(bad(key, "must be a whole number of minutes"));
      const auto v = it->get<std::int64_t>();
      if (v < -840 || v > 840) return Result<ProfileConfig>(bad(key, "must be between -840 and 840"));
      c.tz_offset_minutes = static_cast<int>(v);
    }
    if (!known) return Result<ProfileConfig>(bad(key, "unknown field"));
  }
  Status s = c.validate();
  if (!s.ok()) return s;
  return c;
}

json ProfileConfig::to_json() const {
  json out = json::object();
  for (const auto& f : kDoubleFields) out[f.name] = this->*f.member;
  for (const auto& f : kSizeFields) out[f.name] = static_cast<std::uint64_t>(this->*f.member);
  out["log_scale_intensity"] = log_scale_intensity;
  out["tz_offset_minutes"] = tz_offset_minutes;
  return out;
}

}  // namespace gradvy
