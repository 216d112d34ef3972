// What the learner told us about themselves (declared, never inferred).
// Set from JSON with validation; used by the reranker even in the fallback,
// because stated goals are not behavioural data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/status.hpp"

namespace gradvy {

enum class DifficultyPreference {
  comfortable,  // target = estimated level
  stretch,      // target = level + 0.5 (default: the next step)
  challenge,    // target = level + 1
};

std::string_view to_string(DifficultyPreference pref);

struct DeclaredPreferences {
  std::vector<std::string> goals;  // topics, normalized (lower case, trimmed)
  double experience_level = 0.0;   // 1 beginner, 2 intermediate, 3 advanced; 0 unset
  std::vector<std::string> preferred_content_types;  // normalized
  DifficultyPreference difficulty_preference = DifficultyPreference::stretch;
  bool free_only = false;
  double weekly_minutes = 0.0;     // time budget; 0 unset

  bool operator==(const DeclaredPreferences& o) const;
};

inline constexpr std::size_t kMaxGoals = 50;
inline constexpr std::size_t kMaxLabelLength = 100;

// Lower-cases ASCII and trims spaces: "  Python " and "python" are one topic.
std::string normalize_label(std::string_view label);

// Accepts {"goals":[..], "experience_level":"beginner|intermediate|advanced",
// "preferred_content_types":[..], "difficulty_preference":"comfortable|stretch|
// challenge", "free_only":bool, "weekly_minutes":number}. Every key is
// optional; unknown keys are refused (typos should not silently do nothing).
Result<DeclaredPreferences> preferences_from_json(const nlohmann::json& doc);
nlohmann::json to_json(const DeclaredPreferences& prefs);

}  // namespace gradvy
