// The event types the core knows, their upload purposes, and the enums that
// appear in their props.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "gradvy/purpose.hpp"

namespace gradvy {

enum class EventType : std::uint8_t {
  page_view,
  course_interaction,
  learning_session,
  quiz_attempt,
  search,
  button_click,
  link_click,
  form_submit,
  recommendation_impression,
  recommendation_feedback,
  experiment_exposure,
  custom,  // an `x_<name>` type; its name and purpose come from the registry
};

inline constexpr int kBuiltInEventTypeCount = 11;

std::string_view to_string(EventType type);  // "custom" for EventType::custom

// Built-in type by its wire name; nullopt for custom and unknown names.
std::optional<EventType> parse_built_in_event_type(std::string_view name);

// Upload purpose of a built-in type: analytics, except the recommendation_*
// types (personalization). Custom types declare theirs.
Purpose built_in_purpose(EventType type);

// `x_` followed by 1..62 of [a-z0-9_] (64 bytes at most in total).
bool is_custom_type_name(std::string_view name);

enum class CourseAction : std::uint8_t { view, enroll, progress, complete, drop };
enum class Feedback : std::uint8_t { thumbs_up, thumbs_down, dismissed };

std::string_view to_string(CourseAction action);
std::string_view to_string(Feedback feedback);
std::optional<CourseAction> parse_course_action(std::string_view name);
std::optional<Feedback> parse_feedback(std::string_view name);

}  // namespace gradvy
