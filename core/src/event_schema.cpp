#include "gradvy/event_schema.hpp"

#include <cmath>
#include <string>

#include "gradvy/json_swar.hpp"
#include "gradvy/pii_scrubber.hpp"
#include "gradvy/str_cat.hpp"

namespace gradvy {

namespace {

constexpr std::string_view kFieldNames[kPropFieldCount] = {
    "course_id", "action",      "duration", "completion_rate", "content_type",     "score",   "total_questions",
    "time_taken", "query",      "results_count", "filters",    "element_id",       "page_url", "item_ids",
    "algorithm_version", "item_id", "feedback", "reason",      "experiment",       "variant"};

struct FieldSpec {
  PropField field;
  bool required;
};

// The closed prop set of each built-in type, in the order shown in messages.
struct TypeSpec {
  const FieldSpec* fields;
  int count;
};

constexpr FieldSpec kCourseInteraction[] = {
    {PropField::course_id, true}, {PropField::action, true}, {PropField::duration, false}};
constexpr FieldSpec kLearningSession[] = {
    {PropField::duration, true}, {PropField::completion_rate, true}, {PropField::content_type, true}};
constexpr FieldSpec kQuizAttempt[] = {{PropField::score, true},
                                      {PropField::total_questions, true},
                                      {PropField::time_taken, true},
                                      {PropField::course_id, false}};
constexpr FieldSpec kSearch[] = {
    {PropField::query, true}, {PropField::results_count, true}, {PropField::filters, false}};
constexpr FieldSpec kClick[] = {{PropField::element_id, true}, {PropField::page_url, true}};
constexpr FieldSpec kImpression[] = {{PropField::item_ids, true}, {PropField::algorithm_version, true}};
constexpr FieldSpec kFeedback[] = {
    {PropField::item_id, true}, {PropField::feedback, true}, {PropField::reason, false}};
constexpr FieldSpec kExposure[] = {{PropField::experiment, true}, {PropField::variant, true}};

TypeSpec spec_of(EventType type) {
  switch (type) {
    case EventType::page_view: return {nullptr, 0};
    case EventType::course_interaction: return {kCourseInteraction, 3};
    case EventType::learning_session: return {kLearningSession, 3};
    case EventType::quiz_attempt: return {kQuizAttempt, 4};
    case EventType::search: return {kSearch, 3};
    case EventType::button_click:
    case EventType::link_click:
    case EventType::form_submit: return {kClick, 2};
    case EventType::recommendation_impression: return {kImpression, 2};
    case EventType::recommendation_feedback: return {kFeedback, 3};
    case EventType::experiment_exposure: return {kExposure, 2};
    case EventType::custom: return {nullptr, 0};
  }
  return {nullptr, 0};
}

inline bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

Status invalid(std::string_view prefix, std::string_view field, std::string_view rule) {
  std::string message;
  message.reserve(prefix.size() + field.size() + rule.size() + 4);
  message.append(prefix);
  if (!field.empty()) {
    message.push_back('.');
    message.append(field);
  }
  message.append(": ");
  message.append(rule);
  return Status(ErrorCode::invalid_event, std::move(message));
}

bool has_control_or_space(std::string_view value) {
  // Runs over every URL: 8 bytes per step (URLs are mostly shorter than a
  // vector loop's warm-up), then the tail byte by byte.
  const auto flags = [](std::uint64_t x) { return swar::has_byte_below(x, 0x21) | swar::has_byte(x, 0x7F); };
  std::size_t i = 0;
  for (; value.size() - i >= 8; i += 8) {
    if (flags(swar::load8(value.data() + i)) != 0) return true;
  }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (i < value.size() && value.size() >= 8) {
    // The last 8 bytes in one load. Its low bytes were checked clean above,
    // so nothing there can borrow into a false flag; mask them off.
    const unsigned seen = static_cast<unsigned>(8 - (value.size() - i));
    return (flags(swar::load8(value.data() + value.size() - 8)) & (~0ull << (8 * seen))) != 0;
  }
#endif
  unsigned bad = 0;
  for (char c : value.substr(i)) {
    const auto u = static_cast<unsigned char>(c);
    bad |= static_cast<unsigned>(u <= 0x20) | static_cast<unsigned>(u == 0x7F);
  }
  return bad != 0;
}

bool has_control(std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

bool is_integral(double value) { return std::floor(value) == value; }

// Rule text for a field, used both for a wrong type and a wrong value.
std::string_view rule_of(PropField field) {
  switch (field) {
    case PropField::course_id:
    case PropField::element_id:
    case PropField::algorithm_version:
    case PropField::item_id:
    case PropField::experiment:
    case PropField::variant:
      return "must be an identifier: a string of 1-128 characters from A-Z a-z 0-9 . _ : / -";
    case PropField::action: return "must be one of view, enroll, progress, complete, drop";
    case PropField::duration:
    case PropField::time_taken: return "must be a number of seconds between 0 and 86400";
    case PropField::completion_rate: return "must be a number between 0 and 1";
    case PropField::content_type:
      return "must be a content type token: a lower-case letter, then up to 31 of a-z 0-9 _ -";
    case PropField::score: return "must be a number between 0 and total_questions";
    case PropField::total_questions: return "must be an integer between 1 and 10000";
    case PropField::query: return "must be a string of at most 512 bytes";
    case PropField::results_count: return "must be an integer between 0 and 1000000000";
    case PropField::filters: return "must be an object";
    case PropField::page_url:
      return "must be a URL of 1-2048 bytes starting with https://, http:// or / and without whitespace";
    case PropField::item_ids: return "must be an array of 1-100 identifiers";
    case PropField::feedback: return "must be one of thumbs_up, thumbs_down, dismissed";
    case PropField::reason: return "must be a string of at most 512 bytes";
  }
  return "is invalid";
}

bool check_seconds(const JsonNode& node) {
  return node.kind == JsonKind::number && node.number >= 0 && node.number <= kMaxDurationSeconds;
}

bool check_text(const JsonNode& node, std::size_t max_bytes) {
  return node.kind == JsonKind::string && node.text.size() <= max_bytes;
}

Status validate_filters(const JsonDocument& doc, std::uint32_t index) {
  const JsonNode& filters = doc.node(index);
  if (filters.kind != JsonKind::object) return invalid("props", "filters", rule_of(PropField::filters));
  if (filters.count > kMaxFilterMembers) {
    return invalid("props", "filters", "must have at most 32 members");
  }
  for (std::uint32_t i = JsonDocument::first_child(index); i < filters.end; i = doc.next_sibling(i)) {
    const JsonNode& member = doc.node(i);
    const auto field_path = [&]() { return str_cat({"filters.", member.key.substr(0, 64)}); };
    if (member.key.empty() || member.key.size() > kMaxFilterKeyBytes || has_control(member.key)) {
      return invalid("props", field_path(), "filter names must be 1-64 bytes without control characters");
    }
    switch (member.kind) {
      case JsonKind::null_value:
      case JsonKind::boolean:
      case JsonKind::number: break;
      case JsonKind::string:
        if (member.text.size() > kMaxFilterStringBytes) {
          return invalid("props", field_path(), "must be a string of at most 256 bytes");
        }
        break;
      case JsonKind::array: {
        if (member.count > kMaxFilterArray) {
          return invalid("props", field_path(), "must be an array of at most 32 values");
        }
        std::uint32_t position = 0;
        for (std::uint32_t e = JsonDocument::first_child(i); e < member.end; e = doc.next_sibling(e), ++position) {
          const JsonNode& element = doc.node(e);
          const bool ok = element.kind == JsonKind::boolean || element.kind == JsonKind::number ||
                          (element.kind == JsonKind::string && element.text.size() <= kMaxFilterStringBytes);
          if (!ok) {
            return invalid("props", str_cat({field_path(), "[", std::to_string(position), "]"}),
                           "must be a string of at most 256 bytes, a number or a boolean");
          }
        }
        break;
      }
      case JsonKind::object:
        return invalid("props", field_path(),
                       "must be a string, number, boolean, null or an array of those (no nested objects)");
    }
  }
  return Status();
}

// Returns true if the node is valid for the field (type and range; cross-field
// rules are checked after all members are seen).
bool check_field(PropField field, const JsonDocument& doc, std::uint32_t index, std::string* detail) {
  const JsonNode& node = doc.node(index);
  switch (field) {
    case PropField::course_id:
    case PropField::element_id:
    case PropField::algorithm_version:
    case PropField::item_id:
    case PropField::experiment:
    case PropField::variant: return node.kind == JsonKind::string && is_id_token(node.text);
    case PropField::action: return node.kind == JsonKind::string && parse_course_action(node.text).has_value();
    case PropField::duration:
    case PropField::time_taken: return check_seconds(node);
    case PropField::completion_rate:
      return node.kind == JsonKind::number && node.number >= 0 && node.number <= 1;
    case PropField::content_type: return node.kind == JsonKind::string && is_content_type(node.text);
    case PropField::score: return node.kind == JsonKind::number && node.number >= 0;
    case PropField::total_questions:
      return node.kind == JsonKind::number && is_integral(node.number) && node.number >= 1 &&
             node.number <= kMaxTotalQuestions;
    case PropField::query:
    case PropField::reason: return check_text(node, kMaxTextBytes);
    case PropField::results_count:
      return node.kind == JsonKind::number && is_integral(node.number) && node.number >= 0 &&
             node.number <= kMaxResultsCount;
    case PropField::filters: return true;  // checked by validate_filters for a precise message
    case PropField::page_url: return node.kind == JsonKind::string && is_url(node.text);
    case PropField::item_ids: {
      if (node.kind != JsonKind::array || node.count == 0 || node.count > kMaxItemIds) return false;
      std::uint32_t position = 0;
      for (std::uint32_t e = JsonDocument::first_child(index); e < node.end; e = doc.next_sibling(e), ++position) {
        const JsonNode& element = doc.node(e);
        if (element.kind != JsonKind::string || !is_id_token(element.text)) {
          *detail = str_cat({"[", std::to_string(position), "]"});
          return false;
        }
      }
      return true;
    }
    case PropField::feedback: return node.kind == JsonKind::string && parse_feedback(node.text).has_value();
  }
  return false;
}

std::string allowed_list(const TypeSpec& spec) {
  if (spec.count == 0) return "none; use ctx.page_url, or a custom x_ type for extra data";
  std::string list;
  for (int k = 0; k < spec.count; ++k) {
    if (k) list += ", ";
    list.append(kFieldNames[static_cast<int>(spec.fields[k].field)]);
  }
  return list;
}

// Custom props: recursive walk; on failure `path` holds the path below props.
struct CustomError {
  std::string path;
  std::string_view rule;
};

bool check_custom(const JsonDocument& doc, std::uint32_t index, CustomError* error) {
  const JsonNode& node = doc.node(index);
  if (node.kind == JsonKind::string) {
    if (node.text.size() > kMaxCustomStringBytes) {
      error->rule = "must be a string of at most 4096 bytes";
      return false;
    }
    return true;
  }
  if (node.kind == JsonKind::object) {
    for (std::uint32_t i = JsonDocument::first_child(index); i < node.end; i = doc.next_sibling(i)) {
      const JsonNode& member = doc.node(i);
      if (member.key.empty() || member.key.size() > kMaxCustomKeyBytes || has_control(member.key)) {
        error->path = str_cat({".", member.key.substr(0, 64)});
        error->rule = "property names must be 1-128 bytes without control characters";
        return false;
      }
      if (!check_custom(doc, i, error)) {
        error->path = str_cat({".", member.key, error->path});
        return false;
      }
    }
    return true;
  }
  if (node.kind == JsonKind::array) {
    std::uint32_t position = 0;
    for (std::uint32_t i = JsonDocument::first_child(index); i < node.end; i = doc.next_sibling(i), ++position) {
      if (!check_custom(doc, i, error)) {
        error->path = str_cat({"[", std::to_string(position), "]", error->path});
        return false;
      }
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(PropField field) { return kFieldNames[static_cast<int>(field)]; }

bool is_pii_scanned(PropField field) {
  return field == PropField::query || field == PropField::reason || field == PropField::page_url ||
         field == PropField::filters;
}

bool is_id_token(std::string_view value) {
  if (value.empty() || value.size() > kMaxIdBytes) return false;
  for (char c : value) {
    if (!(is_ascii_alpha(c) || is_ascii_digit(c) || c == '.' || c == '_' || c == ':' || c == '/' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool is_url(std::string_view value) {
  if (value.empty() || value.size() > kMaxUrlBytes) return false;
  const bool scheme_ok = value[0] == '/' || value.substr(0, 8) == "https://" || value.substr(0, 7) == "http://";
  return scheme_ok && !has_control_or_space(value);
}

bool is_locale(std::string_view value) {
  if (value.size() < 2 || value.size() > kMaxLocaleBytes) return false;
  std::size_t i = 0;
  while (i < value.size() && is_ascii_alpha(value[i])) ++i;
  if (i < 2 || i > 3) return false;
  int subtags = 0;
  while (i < value.size()) {
    if (value[i] != '-' && value[i] != '_') return false;
    ++i;
    const std::size_t begin = i;
    while (i < value.size() && (is_ascii_alpha(value[i]) || is_ascii_digit(value[i]))) ++i;
    if (i == begin || i - begin > 8 || ++subtags > 4) return false;
  }
  return true;
}

bool is_content_type(std::string_view value) {
  if (value.empty() || value.size() > kMaxContentTypeBytes) return false;
  if (!(value[0] >= 'a' && value[0] <= 'z')) return false;
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

bool is_uuid(std::string_view value) {
  if (value.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const char c = value[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!(is_ascii_digit(c) || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

Status event_too_large(std::size_t bytes, std::size_t limit) {
  return Status(ErrorCode::event_too_large,
                str_cat({"event: ", std::to_string(bytes), " bytes; the limit is ", std::to_string(limit), " bytes"}));
}

Status validate_user_id(std::string_view user_id) {
  if (user_id.empty() || user_id.size() > kMaxUserIdBytes) {
    return Status(ErrorCode::invalid_argument, "user_id: must be 1-128 bytes");
  }
  if (has_control_or_space(user_id)) {
    return Status(ErrorCode::invalid_argument, "user_id: must not contain whitespace or control characters");
  }
  if (user_id.find('"') != std::string_view::npos || user_id.find('\\') != std::string_view::npos) {
    return Status(ErrorCode::invalid_argument, "user_id: must not contain quotes or backslashes");
  }
  if (contains_email(user_id)) {
    return Status(ErrorCode::invalid_argument,
                  "user_id: must be pseudonymous, not an e-mail address (hash it or use your internal id)");
  }
  return Status();
}

Status validate_built_in_props(EventType type, const JsonDocument& doc, std::uint32_t props_index,
                               PropsLayout* layout) {
  const JsonNode& props = doc.node(props_index);
  if (props.kind != JsonKind::object) return invalid("props", "", "must be a JSON object");
  const TypeSpec spec = spec_of(type);
  *layout = PropsLayout();
  std::string detail;
  int member = 0;
  for (std::uint32_t i = JsonDocument::first_child(props_index); i < props.end; i = doc.next_sibling(i), ++member) {
    // Cannot trigger (the reader refuses duplicate keys, so every member is a
    // distinct known field); keeps member_field in bounds regardless.
    if (member >= kMaxBuiltInProps) return invalid("props", "", "has more members than the type allows");
    const std::string_view key = doc.node(i).key;
    int found = -1;
    for (int k = 0; k < spec.count; ++k) {
      if (kFieldNames[static_cast<int>(spec.fields[k].field)] == key) {
        found = k;
        break;
      }
    }
    if (found < 0) {
      return invalid("props", key.substr(0, 64),
                     str_cat({"unknown property for ", to_string(type), " (allowed: ", allowed_list(spec), ")"}));
    }
    const PropField field = spec.fields[found].field;
    if (field == PropField::filters) {
      Status status = validate_filters(doc, i);
      if (!status.ok()) return status;
    } else if (!check_field(field, doc, i, &detail)) {
      return invalid("props", str_cat({key, detail}), rule_of(field));
    }
    layout->slot[static_cast<int>(field)] = i;
    layout->member_field[member] = field;  // member < spec.count <= kMaxBuiltInProps: keys are known and unique
  }
  for (int k = 0; k < spec.count; ++k) {
    const PropField field = spec.fields[k].field;
    if (spec.fields[k].required && (*layout)[field] == 0) {
      return invalid("props", to_string(field), str_cat({"is required for ", to_string(type)}));
    }
  }
  if (type == EventType::quiz_attempt) {
    const double score = doc.node((*layout)[PropField::score]).number;
    const double total = doc.node((*layout)[PropField::total_questions]).number;
    if (score > total) return invalid("props", "score", rule_of(PropField::score));
  }
  return Status();
}

Status validate_custom_props(const JsonDocument& doc, std::uint32_t props_index) {
  const JsonNode& props = doc.node(props_index);
  if (props.kind != JsonKind::object) return invalid("props", "", "must be a JSON object");
  if (doc.depth_of(props_index) > kMaxPropsDepth) {
    return invalid("props", "", "nested deeper than 8 levels");
  }
  CustomError error;
  if (!check_custom(doc, props_index, &error)) {
    return Status(ErrorCode::invalid_event, str_cat({"props", error.path, ": ", error.rule}));
  }
  return Status();
}

Status validate_ctx(const JsonDocument& doc, std::uint32_t ctx_index) {
  const JsonNode& ctx = doc.node(ctx_index);
  if (ctx.kind != JsonKind::object) return invalid("ctx", "", "must be a JSON object");
  for (std::uint32_t i = JsonDocument::first_child(ctx_index); i < ctx.end; i = doc.next_sibling(i)) {
    const JsonNode& member = doc.node(i);
    if (member.key == "page_url") {
      if (member.kind != JsonKind::string || !is_url(member.text)) {
        return invalid("ctx", "page_url", rule_of(PropField::page_url));
      }
    } else if (member.key == "referrer") {
      if (member.kind != JsonKind::string || (!member.text.empty() && !is_url(member.text))) {
        return invalid("ctx", "referrer",
                       "must be \"\" or a URL of 1-2048 bytes starting with https://, http:// or / and without "
                       "whitespace");
      }
    } else if (member.key == "locale") {
      if (member.kind != JsonKind::string || !is_locale(member.text)) {
        return invalid("ctx", "locale", "must be a BCP 47 language tag such as en or pt-BR (at most 35 bytes)");
      }
    } else {
      return invalid("ctx", std::string(member.key.substr(0, 64)),
                     "unknown context field (allowed: page_url, referrer, locale)");
    }
  }
  return Status();
}

}  // namespace gradvy
