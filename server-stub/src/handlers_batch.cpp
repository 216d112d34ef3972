// POST /v1/batch: validate every event with the core, check ownership and
// consent, store what is allowed atomically and idempotently (rules in handlers.hpp).
//
// Hot path (post_batch_fast): one structural pass cuts the body into the
// envelope members and each event's raw text; each event is parsed once, by
// gradvy::read_wire_event (the device's own schema code), and that raw text is
// what storage keeps. Any batch the fast path cannot accept goes through the
// whole-body path (post_batch_checked), which words every refusal.
#include <optional>
#include <string>
#include <string_view>
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

// {"batch_id":…,"accepted":…,"duplicates":…,"refused":…,"refused_ids":[…]}
// written directly: this reply goes out for every batch.
std::string batch_reply(std::string_view batch_id, const StoreBatchResult& result,
                        const std::vector<std::string>& refused_ids) {
  std::string out;
  out.reserve(128 + refused_ids.size() * 40);
  out += "{\"batch_id\":";
  append_json_string(out, batch_id);
  out += ",\"accepted\":";
  out += std::to_string(result.accepted);
  out += ",\"duplicates\":";
  out += std::to_string(result.duplicates);
  out += ",\"refused\":";
  out += std::to_string(refused_ids.size());
  out += ",\"refused_ids\":[";
  for (std::size_t i = 0; i < refused_ids.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, refused_ids[i]);
  }
  out += "]}";
  return out;
}

// The rows of the batch being handled on this worker thread. Reused, so its
// strings keep their capacity and a steady stream of batches allocates
// nothing of ours for them.
thread_local std::vector<StoredEvent> t_rows;

// A rare huge batch must not pin its memory in every worker thread it
// visited: only typical batches' buffers are kept for reuse.
void release_rows_if_large(std::vector<StoredEvent>& rows) {
  constexpr std::size_t kKeepRows = 256;
  constexpr std::size_t kKeepJsonBytes = 256 * 1024;
  std::size_t bytes = 0;
  for (const auto& row : rows) bytes += row.json.capacity();
  if (rows.size() > kKeepRows || bytes > kKeepJsonBytes) std::vector<StoredEvent>().swap(rows);
}

// Validates every event with the core and fills `stored`; the error response
// on the first bad event.
std::optional<ApiResponse> build_rows(const ApiContext& ctx, const std::string& sub,
                                      const std::vector<std::string_view>& raw, std::vector<StoredEvent>& stored) {
  gradvy::WireLimits wire_limits;
  wire_limits.max_event_bytes = ctx.config.max_event_bytes;
  // Reused, like t_rows: assigning into kept capacity allocates nothing.
  thread_local gradvy::WireEvent event;
  stored.resize(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const gradvy::Status read = gradvy::read_wire_event_into(raw[i], wire_limits, event);
    if (!read.ok()) {
      if (read.code() == gradvy::ErrorCode::event_too_large) {
        return error_response(413, "event_too_large", at_event(i, read.message()));
      }
      return error_response(400, "invalid_event", at_event(i, read.message()));
    }
    if (event.user_id != sub) {
      return error_response(403, "user_mismatch", "events[" + std::to_string(i) + "].user_id: must equal the token's subject");
    }
    StoredEvent& se = stored[i];
    se.id.assign(event.id);
    se.type.assign(event.type_name);
    se.ts = event.ts;
    se.seq = static_cast<std::int64_t>(event.seq);
    se.session_id.assign(event.session_id);
    se.purpose.assign(gradvy::to_string(event.purpose));
    se.json.assign(raw[i].data(), raw[i].size());
    se.item_id.assign(event.course_id);
    se.action.assign(event.action);
  }
  return std::nullopt;
}

// Consent filter, the atomic store and the 200 reply.
ApiResponse store_rows(ApiContext& ctx, const std::string& sub, const BatchInfo& info, std::vector<StoredEvent>& stored) {
  // Consent: the latest server-side record per purpose (see handlers.hpp).
  const std::map<std::string, ConsentRow> latest = ctx.storage.latest_consent(sub);
  std::vector<std::string> refused_ids;
  if (!latest.empty()) {
    const std::string_view essential = gradvy::to_string(gradvy::Purpose::essential);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const auto record = latest.find(stored[i].purpose);
      const bool denied = stored[i].purpose != essential && record != latest.end() && !record->second.granted;
      if (denied) {
        refused_ids.push_back(stored[i].id);
      } else {
        if (kept != i) std::swap(stored[kept], stored[i]);
        ++kept;
      }
    }
    stored.resize(kept);
  }

  const StoreBatchResult result = ctx.storage.store_batch(info, stored);
  ctx.metrics.add_events(static_cast<std::uint64_t>(result.accepted), static_cast<std::uint64_t>(result.duplicates),
                         refused_ids.size());
  ApiResponse reply;
  reply.status = 200;
  reply.body = batch_reply(info.batch_id, result, refused_ids);
  return reply;
}

bool is_sent_at(const gradvy::JsonNode& n) {
  const double v = n.number;
  return n.kind == gradvy::JsonKind::number && v >= 0 && v <= 9007199254740991.0 &&
         v == static_cast<double>(static_cast<std::int64_t>(v));
}

// The whole-body path: parse everything, then check in a fixed order, so
// every refusal has one exact status and message. Handles any body.
ApiResponse post_batch_checked(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms) {
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
  if (sent_at == 0 || !is_sent_at(doc.node(sent_at))) {
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
  info.sent_at = static_cast<std::int64_t>(doc.node(sent_at).number);
  info.received_at = now_ms;

  // The body parsed as JSON, so the scanner's job is only to cut; a body whose
  // "events" member is spelled with escapes is refused rather than guessed at.
  const auto events_text = find_top_level_member(body, "events");
  const std::vector<std::string_view> raw = events_text ? split_json_array(*events_text) : std::vector<std::string_view>{};
  if (raw.size() != count) {
    return error_response(400, "invalid_batch", "events: member name must be written without escapes");
  }
  if (auto error = build_rows(ctx, sub, raw, t_rows)) return std::move(*error);
  return store_rows(ctx, sub, info, t_rows);
}

// The fast path for a well-formed batch: one structural pass cuts the body
// (slice_batch_body), each event is parsed once (by the core's validator) and
// the small envelope members by JsonDocument, instead of parsing the whole
// body first and every event again. It only ever answers for a batch that
// post_batch_checked would accept the same way: anything unusual or invalid
// returns nullopt and the checked path words the refusal.
std::optional<ApiResponse> post_batch_fast(ApiContext& ctx, const std::string& sub, const std::string& body,
                                           std::int64_t now_ms) {
  thread_local BatchBodySlices slices;
  if (!slice_batch_body(body, slices) || !slices.has_events || slices.events.empty() ||
      slices.events.size() > ctx.config.max_events_per_batch) {
    return std::nullopt;
  }
  thread_local gradvy::JsonDocument member;
  BatchInfo info;
  bool has_batch_id = false, has_device_id = false, has_sent_at = false;
  for (const auto& [name, value] : slices.members) {
    gradvy::JsonLimits limits;
    limits.max_depth = kMaxBodyDepth - 1;  // the body object is one level
    limits.max_bytes = value.size() + 1;
    if (!member.parse(value, limits).ok()) return std::nullopt;
    const gradvy::JsonNode& node = member.root();
    if (name == "batch_id") {
      if (!is_id(node)) return std::nullopt;
      info.batch_id.assign(node.text);
      has_batch_id = true;
    } else if (name == "device_id") {
      if (!is_id(node)) return std::nullopt;
      info.device_id.assign(node.text);
      has_device_id = true;
    } else if (name == "sent_at") {
      if (!is_sent_at(node)) return std::nullopt;
      info.sent_at = static_cast<std::int64_t>(node.number);
      has_sent_at = true;
    }
  }
  if (!has_batch_id || !has_device_id || !has_sent_at) return std::nullopt;
  if (build_rows(ctx, sub, slices.events, t_rows)) return std::nullopt;
  info.user_id = sub;
  info.received_at = now_ms;
  return store_rows(ctx, sub, info, t_rows);
}

ApiResponse post_batch(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms) {
  const std::size_t bad_utf8 = first_invalid_utf8(body);
  if (bad_utf8 != std::string::npos) {
    return error_response(400, "invalid_utf8", "body: invalid UTF-8 at byte " + std::to_string(bad_utf8));
  }
  std::optional<ApiResponse> fast = post_batch_fast(ctx, sub, body, now_ms);
  ApiResponse r = fast ? std::move(*fast) : post_batch_checked(ctx, sub, body, now_ms);
  release_rows_if_large(t_rows);
  return r;
}

}  // namespace

ApiResponse handle_post_batch(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms) {
  ApiResponse r = post_batch(ctx, sub, body, now_ms);
  ctx.metrics.add_batch(r.status == 200);
  return r;
}

}  // namespace gradvy_sync
