// ProfileEvent: the plain record the learner profile learns from.
// Decoupled from the event module on purpose: the engine converts a stamped
// event into one (profile_event_from_event_json does the built-in types), the
// offline evaluation builds them from CSV rows, tests build them by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/status.hpp"

namespace gradvy {

struct ProfileEvent {
  enum class Kind { course_interaction, learning_session, quiz_attempt, search,
                    recommendation_feedback, page_view, other };
  enum class Action { none, view, enroll, progress, complete, drop };
  enum class Feedback { none, thumbs_up, thumbs_down, dismissed };

  Kind kind = Kind::other;
  std::string item_id;            // course/lesson/resource; empty if not about one item
  Action action = Action::none;   // course_interaction only
  double weight = 1.0;            // intensity, e.g. clicks that day (>= 0)
  double duration_s = 0.0;        // time spent (>= 0)
  double score = 0.0;             // quiz_attempt: 0..total_questions
  double total_questions = 0.0;   // quiz_attempt: > 0
  Feedback feedback = Feedback::none;  // recommendation_feedback only
  std::string content_type;       // optional ("video", "quiz", OULAD activity_type, ...)
  std::vector<std::string> topics;  // optional; otherwise learned from candidates later
  double difficulty = 0.0;        // optional: 1 beginner .. 3 advanced; 0 unknown
  double completion_rate = -1.0;  // learning_session: 0..1; -1 unknown
  std::int64_t ts = 0;            // ms since the Unix epoch (UTC)
};

std::string_view to_string(ProfileEvent::Kind kind);
std::string_view to_string(ProfileEvent::Action action);
std::string_view to_string(ProfileEvent::Feedback feedback);
std::optional<ProfileEvent::Kind> parse_profile_event_kind(std::string_view name);
std::optional<ProfileEvent::Action> parse_profile_action(std::string_view name);
std::optional<ProfileEvent::Feedback> parse_profile_feedback(std::string_view name);

// Difficulty as a number: 1 beginner, 2 intermediate, 3 advanced (also accepts
// "easy"/"medium"/"hard"); nullopt if the name is unknown.
std::optional<double> parse_difficulty(std::string_view name);

// Checks the ranges above; the message names the field and the rule.
Status validate(const ProfileEvent& event);

// Converts a stamped built-in event ({type, ts, props}) into a ProfileEvent.
// course_interaction {course_id, action, duration?}, learning_session
// {duration, completion_rate, content_type, course_id?}, quiz_attempt {score,
// total_questions, time_taken?, course_id?}, search, recommendation_feedback
// {item_id, feedback}, page_view; any other type becomes Kind::other.
// Durations are seconds. Optional props.topics / props.content_type /
// props.difficulty / props.weight are used when present.
Result<ProfileEvent> profile_event_from_event_json(const nlohmann::json& event);

}  // namespace gradvy
