#include "gradvy/event_types.hpp"

namespace gradvy {

namespace {
constexpr std::string_view kTypeNames[] = {
    "page_view",    "course_interaction", "learning_session", "quiz_attempt",
    "search",       "button_click",       "link_click",       "form_submit",
    "recommendation_impression", "recommendation_feedback", "experiment_exposure", "custom"};
constexpr std::string_view kActionNames[] = {"view", "enroll", "progress", "complete", "drop"};
constexpr std::string_view kFeedbackNames[] = {"thumbs_up", "thumbs_down", "dismissed"};
}  // namespace

std::string_view to_string(EventType type) { return kTypeNames[static_cast<int>(type)]; }

std::optional<EventType> parse_built_in_event_type(std::string_view name) {
  for (int i = 0; i < kBuiltInEventTypeCount; ++i) {
    if (kTypeNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

Purpose built_in_purpose(EventType type) {
  switch (type) {
    case EventType::recommendation_impression:
    case EventType::recommendation_feedback: return Purpose::personalization;
    default: return Purpose::analytics;
  }
}

bool is_custom_type_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 64 || name[0] != 'x' || name[1] != '_') return false;
  for (std::size_t i = 2; i < name.size(); ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string_view to_string(CourseAction action) { return kActionNames[static_cast<int>(action)]; }
std::string_view to_string(Feedback feedback) { return kFeedbackNames[static_cast<int>(feedback)]; }

std::optional<CourseAction> parse_course_action(std::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (kActionNames[i] == name) return static_cast<CourseAction>(i);
  }
  return std::nullopt;
}

std::optional<Feedback> parse_feedback(std::string_view name) {
  for (int i = 0; i < 3; ++i) {
    if (kFeedbackNames[i] == name) return static_cast<Feedback>(i);
  }
  return std::nullopt;
}

}  // namespace gradvy
