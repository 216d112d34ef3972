#include "gradvy/profile_preferences.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "gradvy/profile_event.hpp"

namespace gradvy {

using json = nlohmann::json;

std::string_view to_string(DifficultyPreference pref) {
  switch (pref) {
    case DifficultyPreference::comfortable: return "comfortable";
    case DifficultyPreference::stretch: return "stretch";
    case DifficultyPreference::challenge: return "challenge";
  }
  return "stretch";
}

bool DeclaredPreferences::operator==(const DeclaredPreferences& o) const {
  return goals == o.goals && experience_level == o.experience_level &&
         preferred_content_types == o.preferred_content_types &&
         difficulty_preference == o.difficulty_preference && free_only == o.free_only &&
         weekly_minutes == o.weekly_minutes;
}

std::string normalize_label(std::string_view label) {
  std::size_t begin = 0, end = label.size();
  while (begin < end && (label[begin] == ' ' || label[begin] == '\t')) ++begin;
  while (end > begin && (label[end - 1] == ' ' || label[end - 1] == '\t')) --end;
  std::string out(label.substr(begin, end - begin));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {

Status bad(const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_argument, "preferences." + field + ": " + rule);
}

Status read_labels(const json& doc, const char* key, std::vector<std::string>* out) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return Status();
  if (!it->is_array()) return bad(key, "must be an array of strings");
  if (it->size() > kMaxGoals) return bad(key, "at most 50 entries");
  for (const auto& v : *it) {
    if (!v.is_string()) return bad(key, "must be an array of strings");
    std::string label = normalize_label(v.get<std::string>());
    if (label.empty() || label.size() > kMaxLabelLength) return bad(key, "each entry must be 1..100 characters");
    if (std::find(out->begin(), out->end(), label) == out->end()) out->push_back(std::move(label));
  }
  return Status();
}

}  // namespace

Result<DeclaredPreferences> preferences_from_json(const json& doc) {
  if (!doc.is_object()) return Result<DeclaredPreferences>(bad("", "must be an object"));
  static const char* kKeys[] = {"goals", "experience_level", "preferred_content_types",
                                "difficulty_preference", "free_only", "weekly_minutes"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    bool known = false;
    for (const char* k : kKeys) known = known || it.key() == k;
    if (!known) return Result<DeclaredPreferences>(bad(it.key(), "unknown field"));
  }
  DeclaredPreferences p;
  Status s = read_labels(doc, "goals", &p.goals);
  if (!s.ok()) return s;
  s = read_labels(doc, "preferred_content_types", &p.preferred_content_types);
  if (!s.ok()) return s;
  if (auto it = doc.find("experience_level"); it != doc.end() && !it->is_null()) {
    if (it->is_string()) {
      auto level = parse_difficulty(normalize_label(it->get<std::string>()));
      if (!level) return bad("experience_level", "must be beginner|intermediate|advanced");
      p.experience_level = *level;
    } else if (it->is_number()) {
      const double v = it->get<double>();
      if (!(v >= 1.0 && v <= 3.0)) return bad("experience_level", "must be a number between 1 and 3");
      p.experience_level = v;
    } else {
      return bad("experience_level", "must be beginner|intermediate|advanced");
    }
  }
  if (auto it = doc.find("difficulty_preference"); it != doc.end() && !it->is_null()) {
    const std::string v = it->is_string() ? normalize_label(it->get<std::string>()) : "";
    if (v == "comfortable") p.difficulty_preference = DifficultyPreference::comfortable;
    else if (v == "stretch") p.difficulty_preference = DifficultyPreference::stretch;
    else if (v == "challenge") p.difficulty_preference = DifficultyPreference::challenge;
    else return bad("difficulty_preference", "must be comfortable|stretch|challenge");
  }
  if (auto it = doc.find("free_only"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return bad("free_only", "must be true or false");
    p.free_only = it->get<bool>();
  }
  if (auto it = doc.find("weekly_minutes"); it != doc.end() && !it->is_null()) {
    if (!it->is_number()) return bad("weekly_minutes", "must be a number between 0 and 10080");
    const double v = it->get<double>();
    if (!(v >= 0.0 && v <= 10080.0)) return bad("weekly_minutes", "must be a number between 0 and 10080");
    p.weekly_minutes = v;
  }
  return p;
}

json to_json(const DeclaredPreferences& p) {
  json out = json::object();
  out["goals"] = p.goals;
  if (p.experience_level > 0) out["experience_level"] = p.experience_level;
  else out["experience_level"] = nullptr;
  out["preferred_content_types"] = p.preferred_content_types;
  out["difficulty_preference"] = std::string(to_string(p.difficulty_preference));
  out["free_only"] = p.free_only;
  out["weekly_minutes"] = p.weekly_minutes;
  return out;
}

}  // namespace gradvy
