#include "gradvy/event_wire.hpp"

#include <cmath>

#include "gradvy/event_builder.hpp"
#include "gradvy/event_schema.hpp"
#include "gradvy/json_reader.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/str_cat.hpp"

namespace gradvy {

namespace {

Status invalid(std::string_view field, std::string_view rule) {
  std::string message(field);
  message += ": ";
  message.append(rule);
  return Status(ErrorCode::invalid_event, std::move(message));
}

bool is_integer_in(const JsonNode& node, double low, double high) {
  return node.kind == JsonKind::number && std::floor(node.number) == node.number && node.number >= low &&
         node.number <= high;
}

}  // namespace

Status read_wire_event_into(std::string_view text, const WireLimits& limits, WireEvent& event) {
  if (text.size() > limits.max_event_bytes) {
    return event_too_large(text.size(), limits.max_event_bytes);
  }
  // Reused: a steady stream of events parses without allocating.
  thread_local JsonDocument doc;
  JsonLimits json_limits;
  json_limits.max_depth = kMaxPropsDepth + 1;
  json_limits.max_bytes = limits.max_event_bytes;
  Status status = doc.parse(text, json_limits);
  if (!status.ok()) {
    if (status.code() == ErrorCode::limit_exceeded) return invalid("props", "nested deeper than 8 levels");
    return Status(status.code(), str_cat({"event: invalid JSON ", status.message()}));
  }
  const JsonNode& root = doc.root();
  if (root.kind != JsonKind::object) return invalid("event", "must be a JSON object");

  std::uint32_t id = 0, type = 0, ts = 0, seq = 0, session = 0, user = 0, purpose = 0, props = 0, ctx = 0;
  for (std::uint32_t i = JsonDocument::first_child(0); i < root.end; i = doc.next_sibling(i)) {
    const std::string_view key = doc.node(i).key;
    if (key == "id") id = i;
    else if (key == "type") type = i;
    else if (key == "ts") ts = i;
    else if (key == "seq") seq = i;
    else if (key == "session_id") session = i;
    else if (key == "user_id") user = i;
    else if (key == "purpose") purpose = i;
    else if (key == "props") props = i;
    else if (key == "ctx") ctx = i;
    else {
      return invalid(std::string(key.substr(0, 64)),
                     "unknown event field (allowed: id, type, ts, seq, session_id, user_id, purpose, props, ctx)");
    }
  }

  if (id == 0 || doc.node(id).kind != JsonKind::string || !is_uuid(doc.node(id).text)) {
    return invalid("id", "must be a lower-case UUID");
  }
  if (type == 0 || doc.node(type).kind != JsonKind::string) return invalid("type", "must be an event type name");
  const std::string_view type_name = doc.node(type).text;
  if (const auto built_in = parse_built_in_event_type(type_name)) {
    event.type = *built_in;
  } else if (is_custom_type_name(type_name)) {
    event.type = EventType::custom;
  } else {
    return invalid("type", str_cat({"unknown event type \"", type_name.substr(0, 64),
                                    "\" (built-in, or custom x_ followed by 1-62 of a-z 0-9 _)"}));
  }
  if (ts == 0 || !is_integer_in(doc.node(ts), 0, static_cast<double>(kMaxTimestampMs))) {
    return invalid("ts", "must be an integer number of milliseconds between 0 and 2^53-1");
  }
  if (seq == 0 || !is_integer_in(doc.node(seq), 1, static_cast<double>(kMaxTimestampMs))) {
    return invalid("seq", "must be an integer between 1 and 2^53-1");
  }
  if (session == 0 || doc.node(session).kind != JsonKind::string || !is_uuid(doc.node(session).text)) {
    return invalid("session_id", "must be a lower-case UUID");
  }
  if (user != 0) {
    if (doc.node(user).kind != JsonKind::string) return invalid("user_id", "must be a string");
    Status user_status = validate_user_id(doc.node(user).text);
    if (!user_status.ok()) return Status(ErrorCode::invalid_event, user_status.message());
    event.user_id.assign(doc.node(user).text);
  } else {
    event.user_id.clear();
  }
  if (purpose == 0 || doc.node(purpose).kind != JsonKind::string) return invalid("purpose", "must be a purpose name");
  const auto parsed_purpose = parse_purpose(doc.node(purpose).text);
  if (!parsed_purpose) {
    return invalid("purpose", "must be one of essential, analytics, personalization, marketing, social_integration, "
                              "external_enrichment");
  }
  if (event.type != EventType::custom && *parsed_purpose != built_in_purpose(event.type)) {
    return invalid("purpose", str_cat({"must be ", to_string(built_in_purpose(event.type)), " for ", type_name}));
  }
  if (props == 0) return invalid("props", "is required (use {} for none)");
  PropsLayout layout;
  status = event.type == EventType::custom ? validate_custom_props(doc, props)
                                           : validate_built_in_props(event.type, doc, props, &layout);
  if (!status.ok()) return status;
  if (ctx != 0) {
    status = validate_ctx(doc, ctx);
    if (!status.ok()) return status;
  }

  event.id.assign(doc.node(id).text);
  event.type_name.assign(type_name);
  event.ts = static_cast<std::int64_t>(doc.node(ts).number);
  event.seq = static_cast<std::uint64_t>(doc.node(seq).number);
  event.session_id.assign(doc.node(session).text);
  event.purpose = *parsed_purpose;
  event.course_id.clear();
  event.action.clear();
  if (event.type == EventType::course_interaction) {
    // Both are required for this type, so validation found them.
    event.course_id.assign(doc.node(layout[PropField::course_id]).text);
    event.action.assign(doc.node(layout[PropField::action]).text);
  }
  return Status();
}

Result<WireEvent> read_wire_event(std::string_view text, const WireLimits& limits) {
  WireEvent event;
  Status status = read_wire_event_into(text, limits, event);
  if (!status.ok()) return status;
  return event;
}

Status validate_wire_event(std::string_view text, const WireLimits& limits) {
  return read_wire_event(text, limits).status();
}

Status validate_wire_event(const nlohmann::json& event, const WireLimits& limits) {
  // write_json never fails, even on invalid UTF-8 (replaced).
  const std::string text = write_json(event);
  return validate_wire_event(std::string_view(text), limits);
}

}  // namespace gradvy
