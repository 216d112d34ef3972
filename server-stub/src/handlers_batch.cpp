// POST /v1/batch: validate every event with the core, check ownership and
// consent, store what is allowed atomically and idempotently (rules in handlers.hpp).
//
// Hot path: the body is parsed once by the core's allocation-free JSON reader
// (envelope fields + strict syntax/UTF-8 check), each event's raw text is cut
// out of the body and handed to gradvy::read_wire_event (the device's own
// schema code), and that raw text is what storage keeps.
#include <string>
#include <vector>

#include "gradvy/event_wire.hpp"
#include "gradvy/json_reader.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy_sync/handlers.hpp"
#include "gradvy_sync/handlers_batch_body.hpp"

namespace gradvy_sync {

namespace {

constexpr std::size_t kMaxBodyDepth = 32;  // batch > events > event > props (8 levels) fits easily

bool is_id(const gradvy::JsonNode& n) {
  return n.kind == gradvy::JsonKind::string && !n.text.empty() && n.text.size() <= 128;
}

// Core messages name the field relative to the event ("props.score: ...",
// "event: ..."); prefix them with the event's index in the batch.
std::string at_event(std::size_t index, const std::string& message) {
  const std::string where = "events[" + std::to_string(index) + "]";
  if (message.rfind("event:", 0) == 0 || message.rfind("event ", 0) == 0) return where + message.substr(5);
  return where + "." + message;
}

// props.course_id / props.action of a course_interaction (already validated).
void read_interaction_columns(std::string_view text, StoredEvent& e) {
  thread_local gradvy::JsonDocument doc;
  gradvy::JsonLimits limits;
  limits.max_depth = kMaxBodyDepth;
  limits.max_bytes = text.size() + 1;
  if (!doc.parse(text, limits).ok()) return;
  const std::uint32_t props = doc.find_member(0, "props");
  if (props == 0 || doc.node(props).kind != gradvy::JsonKind::object) return;
  if (const std::uint32_t c = doc.find_member(props, "course_id"); c != 0) e.item_id = std::string(doc.node(c).text);
  if (const std::uint32_t a = doc.find_member(props, "action"); a != 0) e.action = std::string(doc.node(a).text);
}

ApiResponse post_batch(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms) {
  const std::size_t bad_utf8 = first_invalid_utf8(body);
  if (bad_utf8 != std::string::npos) {
    return error_response(400, "invalid_utf8", "body: invalid UTF-8 at byte " + std::to_string(bad_utf8));
  }
  thread_local gradvy::JsonDocument doc;
  gradvy::JsonLimits limits;
  limits.max_depth = kMaxBodyDepth;
  limits.max_bytes = body.size() + 1;
  if (const gradvy::Status parsed = doc.parse(body, limits); !parsed.ok()) {
    return error_response(400, "invalid_json", "body: not valid JSON: " + parsed.message());
  }
  if (doc.root().kind != gradvy::JsonKind::object) return error_response(400, "invalid_batch", "body: must be a JSON object");

  const std::uint32_t batch_id = doc.find_member(0, "batch_id");
  if (batch_id == 0 || !is_id(doc.node(batch_id))) {
    return error_response(400, "invalid_batch", "batch_id: must be a string of 1..128 bytes");
  }
  const std::uint32_t device_id = doc.find_member(0, "device_id");
  if (device_id == 0 || !is_id(doc.node(device_id))) {
    return error_response(400, "invalid_batch", "device_id: must be a string of 1..128 bytes");
  }
  const std::uint32_t sent_at = doc.find_member(0, "sent_at");
  const double sent_at_value = sent_at ? doc.node(sent_at).number : -1;
  if (sent_at == 0 || doc.node(sent_at).kind != gradvy::JsonKind::number || !(sent_at_value >= 0) ||
      sent_at_value > 9007199254740991.0 || sent_at_value != static_cast<double>(static_cast<std::int64_t>(sent_at_value))) {
    return error_response(400, "invalid_batch", "sent_at: must be a non-negative integer (ms since epoch)");
  }
  const std::uint32_t events = doc.find_member(0, "events");
  if (events == 0 || doc.node(events).kind != gradvy::JsonKind::array) {
    return error_response(400, "invalid_batch", "events: must be an array of events");
  }
  const std::size_t count = doc.node(events).count;
  if (count == 0) return error_response(400, "invalid_batch", "events: must hold at least one event");
  if (count > ctx.config.max_events_per_batch) {
    return error_response(413, "too_many_events",
                          "events: " + std::to_string(count) + " events; at most " +
                              std::to_string(ctx.config.max_events_per_batch) + " per batch");
  }

  BatchInfo info;
  info.user_id = sub;
  info.batch_id = std::string(doc.node(batch_id).text);
  info.device_id = std::string(doc.node(device_id).text);
  info.sent_at = static_cast<std::int64_t>(sent_at_value);
  info.received_at = now_ms;

  // The body parsed as JSON, so the scanner's job is only to cut; a body whose
  // "events" member is spelled with escapes is refused rather than guessed at.
  const auto events_text = find_top_level_member(body, "events");
  const std::vector<std::string_view> raw = events_text ? split_json_array(*events_text) : std::vector<std::string_view>{};
  if (raw.size() != count) {
    return error_response(400, "invalid_batch", "events: member name must be written without escapes");
  }

  gradvy::WireLimits wire_limits;
  wire_limits.max_event_bytes = ctx.config.max_event_bytes;
  std::vector<StoredEvent> stored;
  stored.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto event = gradvy::read_wire_event(raw[i], wire_limits);
    if (!event.ok()) {
      if (event.code() == gradvy::ErrorCode::event_too_large) {
        return error_response(413, "event_too_large", at_event(i, event.message()));
      }
      return error_response(400, "invalid_event", at_event(i, event.message()));
    }
    if (event->user_id != sub) {
      return error_response(403, "user_mismatch", "events[" + std::to_string(i) + "].user_id: must equal the token's subject");
    }
    StoredEvent se;
    se.id = std::move(event->id);
    se.type = std::move(event->type_name);
    se.ts = event->ts;
    se.seq = static_cast<std::int64_t>(event->seq);
    se.session_id = std::move(event->session_id);
    se.purpose = std::string(gradvy::to_string(event->purpose));
    se.json = std::string(raw[i]);
    if (event->type == gradvy::EventType::course_interaction) read_interaction_columns(raw[i], se);
    stored.push_back(std::move(se));
  }

  // Consent: the latest server-side record per purpose (see handlers.hpp).
  const std::map<std::string, ConsentRow> latest = ctx.storage.latest_consent(sub);
  nlohmann::json refused_ids = nlohmann::json::array();
  if (!latest.empty()) {
    std::vector<StoredEvent> allowed;
    allowed.reserve(stored.size());
    for (auto& e : stored) {
      const auto record = latest.find(e.purpose);
      const bool denied = e.purpose != gradvy::to_string(gradvy::Purpose::essential) && record != latest.end() &&
                          !record->second.granted;
      if (denied) refused_ids.push_back(e.id);
      else allowed.push_back(std::move(e));
    }
    stored.swap(allowed);
  }

  const StoreBatchResult result = ctx.storage.store_batch(info, stored);
  ctx.metrics.add_events(static_cast<std::uint64_t>(result.accepted), static_cast<std::uint64_t>(result.duplicates),
                         refused_ids.size());
  return json_response(200, {{"batch_id", info.batch_id},
                             {"accepted", result.accepted},
                             {"duplicates", result.duplicates},
                             {"refused", refused_ids.size()},
                             {"refused_ids", std::move(refused_ids)}});
}

}  // namespace

ApiResponse handle_post_batch(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms) {
  ApiResponse r = post_batch(ctx, sub, body, now_ms);
  ctx.metrics.add_batch(r.status == 200);
  return r;
}

}  // namespace gradvy_sync
