#include "gradvy/event_builder.hpp"

#include <cstring>

#include "gradvy/json_tree.hpp"
#include "gradvy/str_cat.hpp"

namespace gradvy {

namespace {

// The two lower-case hex digits of every byte: a uuid is written a byte (not
// a nibble) at a time, half the lookups and shifts.
struct HexPairs {
  char digits[512] = {};
  constexpr HexPairs() {
    constexpr char kHex[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      digits[2 * b] = kHex[b >> 4];
      digits[2 * b + 1] = kHex[b & 0xF];
    }
  }
};
constexpr HexPairs kHexPairs{};

}  // namespace

void write_uuid4(Rng& rng, char* out) {
  // Mirrors Rng::uuid4 (two draws, version 4, RFC 4122 variant) without the
  // std::string allocation.
  std::uint64_t hi = rng.next_u64();
  std::uint64_t lo = rng.next_u64();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char h[16], l[16];
  for (int i = 7; i >= 0; --i) {  // most significant byte first, as the nibble order of Rng::uuid4
    std::memcpy(h + 2 * i, kHexPairs.digits + 2 * (hi & 0xFF), 2);
    std::memcpy(l + 2 * i, kHexPairs.digits + 2 * (lo & 0xFF), 2);
    hi >>= 8;
    lo >>= 8;
  }
  std::memcpy(out, h, 8);
  out[8] = '-';
  std::memcpy(out + 9, h + 8, 4);
  out[13] = '-';
  std::memcpy(out + 14, h + 12, 4);
  out[18] = '-';
  std::memcpy(out + 19, l, 4);
  out[23] = '-';
  std::memcpy(out + 24, l + 4, 12);
}

EventBuilder::EventBuilder(EventConfig config) : config_(std::move(config)), filter_(config_.drop_keys) {}

Result<EventBuilder> EventBuilder::create(EventConfig config) {
  Status status = validate_event_config(config);
  if (!status.ok()) return status;
  return EventBuilder(std::move(config));
}

Result<Purpose> EventBuilder::purpose_of(std::string_view type) const {
  if (const auto built_in = parse_built_in_event_type(type)) return built_in_purpose(*built_in);
  const auto it = config_.custom_types.find(type);
  if (it != config_.custom_types.end()) return it->second;
  const std::string_view name = type.substr(0, 64);
  if (is_custom_type_name(type)) {
    return Result<Purpose>(ErrorCode::invalid_event,
                           str_cat({"type: custom type \"", name,
                                    "\" is not registered (declare its purpose in custom_types)"}));
  }
  return Result<Purpose>(ErrorCode::invalid_event,
                         str_cat({"type: unknown event type \"", name,
                                  "\" (use a built-in type or a registered custom type starting with x_)"}));
}

Status EventBuilder::register_custom_type(std::string_view type, Purpose purpose) {
  if (!is_custom_type_name(type)) {
    return Status(ErrorCode::invalid_argument, "type: custom type names must be x_ followed by 1-62 of a-z 0-9 _");
  }
  const auto it = config_.custom_types.find(type);
  if (it == config_.custom_types.end() && config_.custom_types.size() >= kMaxCustomTypes) {
    return Status(ErrorCode::limit_exceeded, "custom_types: at most 256 custom types");
  }
  config_.custom_types[std::string(type)] = purpose;
  return Status();
}

Status EventBuilder::identify(std::string_view user_id) {
  Status status = validate_user_id(user_id);
  if (!status.ok()) return status;
  user_id_.assign(user_id.data(), user_id.size());
  return Status();
}

void EventBuilder::reset_identity() {
  user_id_.clear();
  has_session_ = false;
}

Status EventBuilder::parse_input(std::string_view what, std::string_view text, std::size_t max_depth,
                                 JsonDocument* doc) {
  // Anything this far over the limit cannot become a small enough event.
  const std::size_t max_input = config_.max_event_bytes * 4;
  if (text.size() > max_input) {
    return Status(ErrorCode::event_too_large,
                  str_cat({what, ": ", std::to_string(text.size()), " bytes of JSON; an event may be at most ",
                           std::to_string(config_.max_event_bytes), " bytes"}));
  }
  JsonLimits limits;
  limits.max_depth = max_depth;
  limits.max_bytes = max_input;
  Status status = doc->parse(text, limits);
  if (status.ok()) return status;
  if (status.code() == ErrorCode::limit_exceeded) {
    return Status(ErrorCode::invalid_event,
                  str_cat({what, ": nested deeper than ", std::to_string(max_depth), " levels"}));
  }
  return Status(status.code(), str_cat({what, ": invalid JSON ", status.message()}));
}

Result<StampedEvent> EventBuilder::build(std::string_view type, std::string_view props_json,
                                         std::string_view ctx_json, std::int64_t now_ms, Rng& rng) {
  StampedEvent event;
  Status status = build_into(type, props_json, ctx_json, now_ms, rng, &event);
  if (!status.ok()) return status;
  return event;
}

Status EventBuilder::build_into(std::string_view type, std::string_view props_json, std::string_view ctx_json,
                                std::int64_t now_ms, Rng& rng, StampedEvent* out) {
  if (now_ms < 0 || now_ms > kMaxTimestampMs) {
    return Status(ErrorCode::invalid_argument, "now_ms: must be between 0 and 2^53-1");
  }

  // 1. Type and purpose.
  EventType event_type;
  std::string_view type_name;
  Purpose purpose;
  if (const auto built_in = parse_built_in_event_type(type)) {
    event_type = *built_in;
    type_name = to_string(event_type);
    purpose = built_in_purpose(event_type);
  } else {
    const auto it = config_.custom_types.find(type);
    if (it == config_.custom_types.end()) return purpose_of(type).status();
    event_type = EventType::custom;
    type_name = it->first;
    purpose = it->second;
  }

  // 2. Parse and validate props, then ctx. Nothing is stamped yet.
  Status status = parse_input("props", props_json.empty() ? std::string_view("{}") : props_json, kMaxPropsDepth,
                              &props_doc_);
  if (!status.ok()) return status;
  PropsLayout layout;
  status = event_type == EventType::custom ? validate_custom_props(props_doc_, 0)
                                           : validate_built_in_props(event_type, props_doc_, 0, &layout);
  if (!status.ok()) return status;

  // The page context repeats from call to call: a text equal to the last valid
  // one is neither parsed nor validated nor scrubbed again.
  const bool has_ctx = !ctx_json.empty() && ctx_json != "null";
  if (has_ctx && !(ctx_cached_ && ctx_json == ctx_text_)) {
    ctx_cached_ = false;
    status = parse_input("ctx", ctx_json, 2, &ctx_doc_);
    if (!status.ok()) return status;
    ctx_member_.clear();
    PiiCounts ctx_counts;
    if (ctx_doc_.root().kind != JsonKind::null_value) {
      status = validate_ctx(ctx_doc_, 0);
      if (!status.ok()) return status;
      writer_.write_ctx(ctx_doc_, 0, ctx_member_, ctx_counts);
    }
    ctx_redacted_ = ctx_counts.redacted;
    ctx_text_.assign(ctx_json.data(), ctx_json.size());
    ctx_cached_ = true;
  }

  // 3. Stamp tentatively; the RNG is rolled back if the event is refused.
  std::uint64_t saved_rng[4];
  std::memcpy(saved_rng, rng.state(), sizeof(saved_rng));
  const std::int64_t idle = config_.session_idle_ms;
  const bool new_session = !has_session_ || now_ms - last_activity_ms_ >= idle || last_activity_ms_ - now_ms >= idle;
  char id[36];
  write_uuid4(rng, id);
  char session[36];
  if (new_session) write_uuid4(rng, session);
  else std::memcpy(session, session_id_, 36);

  WireEnvelope envelope;
  envelope.id = std::string_view(id, 36);
  envelope.type_name = type_name;
  envelope.ts = now_ms;
  envelope.seq = seq_ + 1;
  envelope.session_id = std::string_view(session, 36);
  envelope.user_id = user_id_;
  envelope.purpose = purpose;

  StampedEvent& event = *out;
  writer_.write(envelope, event_type, props_doc_, 0, layout, has_ctx ? ctx_member_.view() : std::string_view(),
                has_ctx ? ctx_redacted_ : 0, filter_, wire_buffer_, &event);

  // 4. Size limit on the exact bytes that will travel.
  if (wire_buffer_.size() > config_.max_event_bytes) {
    rng.set_state(saved_rng);
    return event_too_large(wire_buffer_.size(), config_.max_event_bytes);
  }
  event.wire_.assign(wire_buffer_.data(), wire_buffer_.size());

  // 5. Commit.
  event.type_ = event_type;
  event.purpose_ = purpose;
  event.ts_ = now_ms;
  event.seq_ = envelope.seq;
  event.starts_session_ = new_session;
  seq_ = envelope.seq;
  if (new_session) std::memcpy(session_id_, session, 36);
  has_session_ = true;
  last_activity_ms_ = now_ms;
  return Status();
}

// [[gnu::cold]]: snapshot and restore only; optimized for size in this -O3 file.
[[gnu::cold]]
nlohmann::json EventBuilder::to_json() const {
  nlohmann::json json = nlohmann::json::object();
  json["version"] = kEventBuilderStateVersion;
  json["seq"] = seq_;
  if (has_session_) {
    json["session_id"] = std::string(session_id_, 36);
    json["last_activity_ms"] = last_activity_ms_;
  } else {
    json["session_id"] = nullptr;
    json["last_activity_ms"] = nullptr;
  }
  if (user_id_.empty()) json["user_id"] = nullptr;
  else json["user_id"] = user_id_;
  return json;
}

[[gnu::cold]]
Status EventBuilder::restore(const nlohmann::json& state) {
  const auto corrupt = [](const std::string& message) {
    return Status(ErrorCode::snapshot_corrupt, "event builder state: " + message);
  };
  if (!state.is_object()) return corrupt("must be a JSON object");
  const auto version = state.find("version");
  if (version == state.end() || !version->is_number_integer()) return corrupt("version: must be an integer");
  if (version->get<std::int64_t>() != kEventBuilderStateVersion) {
    return Status(ErrorCode::snapshot_version, "event builder state: version " + write_json(*version) +
                                                   " is not supported (expected 1)");
  }
  for (auto it = state.begin(); it != state.end(); ++it) {
    const std::string& key = it.key();
    if (key != "version" && key != "seq" && key != "session_id" && key != "last_activity_ms" && key != "user_id") {
      return corrupt("unknown field \"" + key.substr(0, 64) + "\"");
    }
  }
  const auto seq = state.find("seq");
  if (seq == state.end() || !seq->is_number_integer() || seq->get<std::int64_t>() < 0 ||
      seq->get<std::int64_t>() > kMaxTimestampMs) {
    return corrupt("seq: must be an integer between 0 and 2^53-1");
  }
  const auto session = state.find("session_id");
  const auto last = state.find("last_activity_ms");
  if (session == state.end() || last == state.end()) {
    return corrupt("session_id and last_activity_ms are required (null when there is no session)");
  }
  const bool has_session = !session->is_null();
  if (has_session) {
    if (!session->is_string() || !is_uuid(session->get_ref<const std::string&>())) {
      return corrupt("session_id: must be a lower-case UUID or null");
    }
    if (!last->is_number_integer() || last->get<std::int64_t>() < 0 || last->get<std::int64_t>() > kMaxTimestampMs) {
      return corrupt("last_activity_ms: must be an integer between 0 and 2^53-1 when there is a session");
    }
  } else if (!last->is_null()) {
    return corrupt("last_activity_ms: must be null when session_id is null");
  }
  std::string user;
  const auto user_it = state.find("user_id");
  if (user_it != state.end() && !user_it->is_null()) {
    if (!user_it->is_string()) return corrupt("user_id: must be a string or null");
    user = user_it->get<std::string>();
    Status status = validate_user_id(user);
    if (!status.ok()) return corrupt(status.message());
  }
  // All checks passed: apply.
  seq_ = static_cast<std::uint64_t>(seq->get<std::int64_t>());
  has_session_ = has_session;
  if (has_session) {
    std::memcpy(session_id_, session->get_ref<const std::string&>().data(), 36);
    last_activity_ms_ = last->get<std::int64_t>();
  } else {
    last_activity_ms_ = 0;
  }
  user_id_ = std::move(user);
  return Status();
}

}  // namespace gradvy
