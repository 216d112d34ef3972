// The sync API's request handlers, independent of the HTTP library: each takes
// the authenticated learner (the token's sub) and the request body and returns
// an ApiResponse. routes.cpp does auth, rate limiting, content type, logging
// and metrics around them. A handler only ever touches rows of `sub`.
//
// Decisions (documented here and in the report to docs/ARCHITECTURE.md):
// - POST /v1/batch body {batch_id, device_id, sent_at, events:[...]}:
//   * every event goes through the core's validator (one definition of an
//     event); the first failure -> 400 invalid_event "events[i].<field>: <rule>";
//   * each event's user_id must equal the token's sub -> 403 user_mismatch;
//   * at most max_events_per_batch events (413 too_many_events), each at most
//     max_event_bytes of JSON (413 event_too_large); the body limit is
//     enforced before any handler (413 body_too_large);
//   * consent: an event whose purpose the learner's LATEST server-side record
//     for that purpose denies is refused (not stored, counted in `refused`,
//     its id listed in `refused_ids`), the rest of the batch is stored.
//     `essential` is never refused. When the server holds NO record for the
//     purpose, the event is accepted: the device already enforced consent
//     before queueing it (the core never queues without the purpose), and the
//     server's history is only as current as the device's last PUT /v1/consent;
//     the server-side check exists to stop events that were in flight when the
//     learner withdrew.
//   * stored atomically, idempotent on batch_id and event ids:
//     200 {"batch_id", "accepted", "duplicates", "refused", "refused_ids"}.
// - PUT /v1/consent: one record or an array of 1..max_consent_records records
//   (core's consent_record_from_json rules), appended in one transaction.
// - POST /v1/aggregates: the core's LocalAggregates::release() document plus a
//   device_id: {device_id, from_ms, to_ms, epsilon, counts:{every domain key: number}};
//   refused with 403 consent_denied when the latest analytics record denies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gradvy_sync/candidates.hpp"
#include "gradvy_sync/http_response.hpp"
#include "gradvy_sync/metrics.hpp"
#include "gradvy_sync/server_config.hpp"
#include "gradvy_sync/storage.hpp"

namespace gradvy_sync {

struct ApiContext {
  const ServeConfig& config;
  Storage& storage;
  CandidateCache& candidates;
  Metrics& metrics;
  std::function<void()> on_learner_deleted;  // e.g. rebuild popularity; may be empty
};

ApiResponse handle_post_batch(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms);
ApiResponse handle_get_candidates(ApiContext& ctx, const std::string& if_none_match);
ApiResponse handle_put_consent(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms);
ApiResponse handle_get_consent(ApiContext& ctx, const std::string& sub);
ApiResponse handle_get_export(ApiContext& ctx, const std::string& sub, std::int64_t now_ms);
ApiResponse handle_delete_me(ApiContext& ctx, const std::string& sub, std::int64_t now_ms);
ApiResponse handle_post_aggregates(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms);
ApiResponse handle_healthz(ApiContext& ctx, std::int64_t now_ms);

// Shared by the JSON-body handlers: UTF-8 check, then parse. On failure
// returns false with a 400 in `error` (invalid_utf8 / invalid_json naming the byte).
bool parse_json_body(const std::string& body, nlohmann::json& out, ApiResponse& error);

}  // namespace gradvy_sync
