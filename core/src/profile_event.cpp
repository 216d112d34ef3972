#include "gradvy/profile_event.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace gradvy {

using json = nlohmann::json;

std::string_view to_string(ProfileEvent::Kind kind) {
  using K = ProfileEvent::Kind;
  switch (kind) {
    case K::course_interaction: return "course_interaction";
    case K::learning_session: return "learning_session";
    case K::quiz_attempt: return "quiz_attempt";
    case K::search: return "search";
    case K::recommendation_feedback: return "recommendation_feedback";
    case K::page_view: return "page_view";
    case K::other: return "other";
  }
  return "other";
}

std::string_view to_string(ProfileEvent::Action action) {
  using A = ProfileEvent::Action;
  switch (action) {
    case A::none: return "none";
    case A::view: return "view";
    case A::enroll: return "enroll";
    case A::progress: return "progress";
    case A::complete: return "complete";
    case A::drop: return "drop";
  }
  return "none";
}

std::string_view to_string(ProfileEvent::Feedback feedback) {
  using F = ProfileEvent::Feedback;
  switch (feedback) {
    case F::none: return "none";
    case F::thumbs_up: return "thumbs_up";
    case F::thumbs_down: return "thumbs_down";
    case F::dismissed: return "dismissed";
  }
  return "none";
}

std::optional<ProfileEvent::Kind> parse_profile_event_kind(std::string_view name) {
  using K = ProfileEvent::Kind;
  for (K k : {K::course_interaction, K::learning_session, K::quiz_attempt, K::search,
              K::recommendation_feedback, K::page_view, K::other}) {
    if (to_string(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<ProfileEvent::Action> parse_profile_action(std::string_view name) {
  using A = ProfileEvent::Action;
  for (A a : {A::view, A::enroll, A::progress, A::complete, A::drop}) {
    if (to_string(a) == name) return a;
  }
  return std::nullopt;
}

std::optional<ProfileEvent::Feedback> parse_profile_feedback(std::string_view name) {
  using F = ProfileEvent::Feedback;
  for (F f : {F::thumbs_up, F::thumbs_down, F::dismissed}) {
    if (to_string(f) == name) return f;
  }
  return std::nullopt;
}

std::optional<double> parse_difficulty(std::string_view name) {
  if (name == "beginner" || name == "easy" || name == "introductory") return 1.0;
  if (name == "intermediate" || name == "medium") return 2.0;
  if (name == "advanced" || name == "hard" || name == "expert") return 3.0;
  return std::nullopt;
}

namespace {

constexpr std::size_t kMaxIdLength = 256;
constexpr std::size_t kMaxTopics = 32;

Status bad(const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_event, field + ": " + rule);
}

bool finite_at_least(double v, double lo) { return std::isfinite(v) && v >= lo; }

}  // namespace

Status validate(const ProfileEvent& e) {
  using K = ProfileEvent::Kind;
  if (e.ts < 0) return bad("ts", "must be milliseconds since the epoch (>= 0)");
  if (e.item_id.size() > kMaxIdLength) return bad("item_id", "must be at most 256 characters");
  if (!finite_at_least(e.weight, 0.0)) return bad("weight", "must be a finite number >= 0");
  if (!finite_at_least(e.duration_s, 0.0)) return bad("duration_s", "must be a finite number >= 0");
  if (!(e.difficulty == 0.0 || (e.difficulty >= 1.0 && e.difficulty <= 3.0)))
    return bad("difficulty", "must be 0 (unknown) or between 1 and 3");
  if (!(e.completion_rate == -1.0 || (e.completion_rate >= 0.0 && e.completion_rate <= 1.0)))
    return bad("completion_rate", "must be between 0 and 1 (or -1 for unknown)");
  if (e.topics.size() > kMaxTopics) return bad("topics", "at most 32 topics");
  for (const auto& t : e.topics) {
    if (t.empty() || t.size() > kMaxIdLength) return bad("topics", "each topic must be 1..256 characters");
  }
  if (e.content_type.size() > kMaxIdLength) return bad("content_type", "must be at most 256 characters");
  switch (e.kind) {
    case K::course_interaction:
      if (e.item_id.empty()) return bad("item_id", "required for course_interaction");
      if (e.action == ProfileEvent::Action::none)
        return bad("action", "must be one of view|enroll|progress|complete|drop");
      break;
    case K::quiz_attempt:
      if (!std::isfinite(e.total_questions) || e.total_questions <= 0)
        return bad("total_questions", "must be a number > 0");
      if (!std::isfinite(e.score) || e.score < 0 || e.score > e.total_questions)
        return bad("score", "must be a number between 0 and total_questions");
      break;
    case K::recommendation_feedback:
      if (e.item_id.empty()) return bad("item_id", "required for recommendation_feedback");
      if (e.feedback == ProfileEvent::Feedback::none)
        return bad("feedback", "must be one of thumbs_up|thumbs_down|dismissed");
      break;
    default:
      break;
  }
  return Status();
}

namespace {

std::string string_prop(const json& props, const char* key) {
  auto it = props.find(key);
  if (it != props.end() && it->is_string()) return it->get<std::string>();
  return {};
}

// Reads a number prop; absent -> fallback; present but not a number -> error.
Status number_prop(const json& props, const char* key, double fallback, double* out) {
  *out = fallback;
  auto it = props.find(key);
  if (it == props.end() || it->is_null()) return Status();
  if (!it->is_number()) return bad(std::string("props.") + key, "must be a number");
  *out = it->get<double>();
  return Status();
}

}  // namespace

Result<ProfileEvent> profile_event_from_event_json(const json& event) {
  using K = ProfileEvent::Kind;
  if (!event.is_object()) return Result<ProfileEvent>(ErrorCode::invalid_event, "event: must be an object");
  ProfileEvent out;
  auto type_it = event.find("type");
  if (type_it == event.end() || !type_it->is_string())
    return Result<ProfileEvent>(ErrorCode::invalid_event, "type: must be a string");
  const std::string type = type_it->get<std::string>();
  out.kind = parse_profile_event_kind(type).value_or(K::other);

  auto ts_it = event.find("ts");
  if (ts_it == event.end() || !ts_it->is_number())
    return Result<ProfileEvent>(ErrorCode::invalid_event, "ts: must be a number (ms)");
  const double ts = ts_it->get<double>();
  if (!std::isfinite(ts) || ts < 0 || ts > 9.0e15)
    return Result<ProfileEvent>(ErrorCode::invalid_event, "ts: must be milliseconds since the epoch");
  out.ts = static_cast<std::int64_t>(ts);

  static const json kEmpty = json::object();
  auto props_it = event.find("props");
  const json& props = (props_it != event.end() && props_it->is_object()) ? *props_it : kEmpty;

  out.item_id = string_prop(props, "course_id");
  if (out.item_id.empty()) out.item_id = string_prop(props, "item_id");
  out.content_type = string_prop(props, "content_type");
  if (auto it = props.find("topics"); it != props.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) out.topics.push_back(t.get<std::string>());
    }
  }
  if (auto it = props.find("difficulty"); it != props.end()) {
    if (it->is_string()) {
      out.difficulty = parse_difficulty(it->get<std::string>()).value_or(0.0);
    } else if (it->is_number()) {
      out.difficulty = it->get<double>();
    }
  }
  Status s = number_prop(props, "weight", 1.0, &out.weight);
  if (!s.ok()) return s;
  s = number_prop(props, "duration", 0.0, &out.duration_s);
  if (!s.ok()) return s;

  switch (out.kind) {
    case K::course_interaction: {
      auto action = parse_profile_action(string_prop(props, "action"));
      if (!action) return bad("props.action", "must be one of view|enroll|progress|complete|drop");
      out.action = *action;
      break;
    }
    case K::learning_session: {
      double rate = -1.0;
      s = number_prop(props, "completion_rate", -1.0, &rate);
      if (!s.ok()) return s;
      out.completion_rate = rate;
      break;
    }
    case K::quiz_attempt: {
      s = number_prop(props, "score", 0.0, &out.score);
      if (!s.ok()) return s;
      s = number_prop(props, "total_questions", 0.0, &out.total_questions);
      if (!s.ok()) return s;
      if (out.duration_s == 0.0) {
        s = number_prop(props, "time_taken", 0.0, &out.duration_s);
        if (!s.ok()) return s;
      }
      break;
    }
    case K::recommendation_feedback: {
      auto fb = parse_profile_feedback(string_prop(props, "feedback"));
      if (!fb) return bad("props.feedback", "must be one of thumbs_up|thumbs_down|dismissed");
      out.feedback = *fb;
      break;
    }
    default:
      break;
  }
  s = validate(out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace gradvy
