// Handlers for everything but POST /v1/batch: candidates, consent, data
// rights (export/delete), aggregates, health.
#include <cmath>
#include <set>
#include <string>

#include "gradvy/aggregate.hpp"
#include "gradvy/consent_record.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy_sync/handlers.hpp"
#include "gradvy_sync/storage_backends.hpp"

namespace gradvy_sync {

bool parse_json_body(const std::string& body, nlohmann::json& out, ApiResponse& error) {
  const std::size_t bad = first_invalid_utf8(body);
  if (bad != std::string::npos) {
    error = error_response(400, "invalid_utf8", "body: invalid UTF-8 at byte " + std::to_string(bad));
    return false;
  }
  out = nlohmann::json::parse(body, nullptr, false);
  if (out.is_discarded()) {
    // Parse again with exceptions only on the error path, for the byte offset.
    std::string where;
    try {
      const auto ignored = nlohmann::json::parse(body);
      (void)ignored;
    } catch (const nlohmann::json::parse_error& e) {
      where = " (syntax error at byte " + std::to_string(e.byte) + ")";
    } catch (...) {
    }
    error = error_response(400, "invalid_json", "body: not valid JSON" + where);
    return false;
  }
  return true;
}

ApiResponse handle_get_candidates(ApiContext& ctx, const std::string& if_none_match) {
  const auto set = ctx.candidates.current();
  // Only an in-process server that never published a set gets here; `serve` publishes before it listens.
  if (!set) return error_response(503, "candidates_not_ready", "candidates: the first build has not finished yet");
  ApiResponse r;
  r.headers.emplace_back("ETag", set->etag);
  r.headers.emplace_back("Cache-Control", "private, no-cache");
  if (!if_none_match.empty() && etag_matches(if_none_match, set->etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.status = 200;
  r.body = set->body;
  return r;
}

namespace {

nlohmann::json consent_row_json(const ConsentRow& row) {
  return {{"purpose", row.purpose},       {"granted", row.granted},
          {"at", row.at},                 {"source", row.source},
          {"policy_version", row.policy_version}, {"received_at", row.received_at}};
}

bool purpose_denied(const std::map<std::string, ConsentRow>& latest, const std::string& purpose) {
  const auto it = latest.find(purpose);
  return it != latest.end() && !it->second.granted && purpose != gradvy::to_string(gradvy::Purpose::essential);
}

}  // namespace

ApiResponse handle_put_consent(ApiContext& ctx, const std::string& sub, const std::string& body, std::int64_t now_ms) {
  nlohmann::json doc;
  ApiResponse error;
  if (!parse_json_body(body, doc, error)) return error;
  std::vector<gradvy::ConsentRecord> records;
  if (doc.is_array()) {
    if (doc.empty()) return error_response(400, "invalid_consent", "body: must hold at least one consent record");
    if (doc.size() > ctx.config.max_consent_records) {
      return error_response(413, "too_many_records",
                            "body: " + std::to_string(doc.size()) + " records; at most " +
                                std::to_string(ctx.config.max_consent_records) + " per request");
    }
    auto parsed = gradvy::consent_records_from_json(doc);
    if (!parsed.ok()) return error_response(400, "invalid_consent", "body" + parsed.message());
    records = std::move(parsed).value();
  } else if (doc.is_object()) {
    auto parsed = gradvy::consent_record_from_json(doc);
    if (!parsed.ok()) return error_response(400, "invalid_consent", parsed.message());
    records.push_back(std::move(parsed).value());
  } else {
    return error_response(400, "invalid_consent", "body: must be a consent record or an array of them");
  }
  std::vector<ConsentRow> rows;
  rows.reserve(records.size());
  for (const auto& r : records) {
    ConsentRow row;
    row.purpose = std::string(gradvy::to_string(r.purpose));
    row.granted = r.granted;
    row.at = r.at;
    row.source = r.source;
    row.policy_version = r.policy_version;
    rows.push_back(std::move(row));
  }
  ctx.storage.append_consent_many(sub, rows, now_ms);
  nlohmann::json latest = nlohmann::json::object();
  for (const auto& [purpose, row] : ctx.storage.latest_consent(sub)) latest[purpose] = consent_row_json(row);
  return json_response(200, {{"stored", rows.size()}, {"latest", std::move(latest)}});
}

ApiResponse handle_get_consent(ApiContext& ctx, const std::string& sub) {
  nlohmann::json history = nlohmann::json::array();
  const auto rows = ctx.storage.list_consent(sub);
  for (const auto& row : rows) history.push_back(consent_row_json(row));
  nlohmann::json latest = nlohmann::json::object();
  for (const auto& [purpose, row] : latest_per_purpose(rows)) latest[purpose] = consent_row_json(row);
  return json_response(200, {{"user_id", sub}, {"history", std::move(history)}, {"latest", std::move(latest)}});
}

ApiResponse handle_get_export(ApiContext& ctx, const std::string& sub, std::int64_t now_ms) {
  ApiResponse r = json_response(200, ctx.storage.export_user(sub, now_ms));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse handle_delete_me(ApiContext& ctx, const std::string& sub, std::int64_t now_ms) {
  const DeletionReceipt receipt = ctx.storage.delete_user(sub, now_ms);
  if (ctx.on_learner_deleted) ctx.on_learner_deleted();
  ApiResponse r = json_response(200, receipt.to_json());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse handle_post_aggregates(ApiContext& ctx, const std::string& sub, const std::string& body,
                                   std::int64_t now_ms) {
  nlohmann::json doc;
  ApiResponse error;
  if (!parse_json_body(body, doc, error)) return error;
  auto bad = [](const std::string& message) { return error_response(400, "invalid_aggregate", message); };
  if (!doc.is_object()) return bad("body: must be a JSON object");
  const auto device = doc.find("device_id");
  if (device == doc.end() || !device->is_string() || device->get_ref<const std::string&>().empty() ||
      device->get_ref<const std::string&>().size() > 128) {
    return bad("device_id: must be a string of 1..128 bytes");
  }
  const auto from = doc.find("from_ms");
  const auto to = doc.find("to_ms");
  if (from == doc.end() || !from->is_number_integer() || from->get<std::int64_t>() < 0) {
    return bad("from_ms: must be a non-negative integer (ms since epoch)");
  }
  if (to == doc.end() || !to->is_number_integer() || to->get<std::int64_t>() < from->get<std::int64_t>()) {
    return bad("to_ms: must be an integer >= from_ms");
  }
  const auto epsilon = doc.find("epsilon");
  if (epsilon == doc.end() || !epsilon->is_number() || !(epsilon->get<double>() >= gradvy::kMinAggregateEpsilon) ||
      !(epsilon->get<double>() <= gradvy::kMaxAggregateEpsilon)) {
    return bad("epsilon: must be a number between 0.01 and 10 (the noise the device added)");
  }
  const auto counts = doc.find("counts");
  if (counts == doc.end() || !counts->is_object()) return bad("counts: must be an object of key: number");
  const auto& domain = gradvy::LocalAggregates::keys();
  for (auto it = counts->begin(); it != counts->end(); ++it) {
    bool known = false;
    for (const auto& k : domain) known = known || k == it.key();
    if (!known) return bad("counts." + it.key() + ": not a key of the aggregate domain");
    if (!it->is_number() || !std::isfinite(it->get<double>())) return bad("counts." + it.key() + ": must be a finite number");
  }
  for (const auto& k : domain) {
    // The whole fixed domain travels every time: which keys appear must reveal nothing.
    if (!counts->contains(std::string(k))) return bad("counts." + std::string(k) + ": missing (every domain key is required)");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& k = it.key();
    if (k != "device_id" && k != "from_ms" && k != "to_ms" && k != "epsilon" && k != "counts") {
      return bad(k + ": unknown field");
    }
  }
  if (purpose_denied(ctx.storage.latest_consent(sub), "analytics")) {
    return error_response(403, "consent_denied", "analytics: the learner's latest consent record withdraws it");
  }
  nlohmann::json aggregate = doc;
  aggregate.erase("device_id");
  ctx.storage.store_aggregate(sub, device->get<std::string>(), aggregate, now_ms);
  return json_response(200, {{"stored", true}});
}

ApiResponse handle_healthz(ApiContext& ctx, std::int64_t now_ms) {
  const bool db = ctx.storage.ping();
  const double age = ctx.candidates.age_seconds(now_ms);
  const auto set = ctx.candidates.current();
  nlohmann::json body = {{"status", db ? "ok" : "unavailable"},
                         {"storage", ctx.storage.backend()},
                         {"storage_ok", db},
                         {"candidates_age_s", age < 0 ? nlohmann::json(nullptr) : nlohmann::json(age)},
                         {"candidates_basis", set ? nlohmann::json(basis_name(set->basis)) : nlohmann::json(nullptr)}};
  return json_response(db ? 200 : 503, body);
}

}  // namespace gradvy_sync
