// Engine: the cached candidate set, rerank, feedback and experiments.
//
// rerank() runs on every render, so its output is written straight into one
// JSON string (no intermediate nlohmann objects): shortest round-trip doubles,
// factor details only when explain is on.
#include <cmath>
#include <string>
#include <utility>

#include "engine_state.hpp"
#include "gradvy/engine.hpp"
#include "gradvy/experiment.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/json_writer.hpp"
#include "gradvy/reranker.hpp"

namespace gradvy {
namespace {

using json = nlohmann::json;

template <std::size_t N>
void append_literal(std::string& out, const char (&text)[N]) {
  out.append(text, N - 1);
}

void append_double(std::string& out, double value) {
  if (!std::isfinite(value)) {  // never expected; JSON has no NaN
    append_literal(out, "0");
    return;
  }
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_ranking_json(std::string& out, const RerankResult& r, bool explain) {
  out.reserve(out.size() + 256 + r.items.size() * (explain ? 900 : 420));
  append_literal(out, "{\"source\":");
  append_json_string(out, r.source);
  if (!r.fallback_reason.empty()) {
    append_literal(out, ",\"reason\":");
    append_json_string(out, r.fallback_reason);
  }
  append_literal(out, ",\"algorithm_version\":");
  append_json_string(out, r.algorithm_version);
  append_literal(out, ",\"items\":[");
  bool first_item = true;
  for (const RankedItem& item : r.items) {
    if (!first_item) out.push_back(',');
    first_item = false;
    append_literal(out, "{\"id\":");
    append_json_string(out, item.id);
    append_literal(out, ",\"index\":");
    append_json_uint(out, item.index);
    append_literal(out, ",\"score\":");
    append_double(out, item.score);
    if (explain && !item.reason.empty()) {
      append_literal(out, ",\"reason\":");
      append_json_string(out, item.reason);
    }
    append_literal(out, ",\"factors\":[");
    for (std::size_t f = 0; f < kFactorCount; ++f) {
      if (f > 0) out.push_back(',');
      append_literal(out, "{\"name\":\"");
      out.append(to_string(static_cast<Factor>(f)));
      append_literal(out, "\",\"value\":");
      append_double(out, item.factors[f]);
      if (explain && !item.details[f].empty()) {
        append_literal(out, ",\"detail\":");
        append_json_string(out, item.details[f]);
      }
      out.push_back('}');
    }
    append_literal(out, "]}");
  }
  append_literal(out, "],\"stats\":{\"candidates\":");
  append_json_uint(out, r.candidates);
  append_literal(out, ",\"eligible\":");
  append_json_uint(out, r.eligible);
  append_literal(out, ",\"filtered_completed\":");
  append_json_uint(out, r.filtered_completed);
  append_literal(out, ",\"filtered_dismissed\":");
  append_json_uint(out, r.filtered_dismissed);
  append_literal(out, ",\"filtered_thumbs_down\":");
  append_json_uint(out, r.filtered_thumbs_down);
  append_literal(out, ",\"filtered_free\":");
  append_json_uint(out, r.filtered_free);
  append_literal(out, "}}");
}

}  // namespace

// [[gnu::cold]]: once per catalog (set_candidates) or per experiment (variant),
// never per rerank; optimized for size in this -O3 file.
[[gnu::cold]]
Status Engine::set_candidates(std::string_view candidates_json, const float* embeddings, std::size_t n,
                              std::size_t d) {
  State& s = *state_;
  auto candidates = candidates_from_json(candidates_json);
  if (!candidates.ok()) return candidates.status();
  if (candidates->size() != n)
    return Status(ErrorCode::dimension_mismatch, "embeddings: " + std::to_string(n) + " rows for " +
                                                     std::to_string(candidates->size()) + " candidates");
  if (n > 0 && d > 0 && embeddings == nullptr)
    return Status(ErrorCode::invalid_argument, "embeddings: null buffer for " + std::to_string(n) + " x " +
                                                   std::to_string(d) + " floats");
  auto set = CandidateSet::create(std::move(*candidates), embeddings, n, d);
  if (!set.ok()) return set.status();
  s.candidates = std::move(*set);
  return Status();
}

std::size_t Engine::candidate_count() const { return state_->candidates ? state_->candidates->size() : 0; }
std::size_t Engine::candidate_dimension() const { return state_->candidates ? state_->candidates->dim() : 0; }

namespace {

// Options parse once per distinct text: hosts pass the same options on every render.
Status prepare_options(Engine::State& s, std::string_view options_json) {
  if (s.last_options_valid && s.last_options_text == options_json) return Status();
  RerankOptions options = s.base_options;
  const std::size_t first = options_json.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) {
    const auto tree = parse_json_tree(options_json);
    if (!tree.ok()) return Status(ErrorCode::invalid_json, "options: not valid JSON");
    const json& call = *tree;
    if (!call.is_object()) return Status(ErrorCode::invalid_argument, "options: must be an object");
    json merged = s.config.ranker;
    merged.merge_patch(call);
    auto parsed = RerankOptions::from_json(merged);
    if (!parsed.ok()) return parsed.status();
    options = std::move(*parsed);
  }
  s.last_options = std::move(options);
  s.last_options_text.assign(options_json.data(), options_json.size());
  s.last_options_valid = true;
  return Status();
}

Result<RerankResult> run_rerank(Engine::State& s, std::string_view options_json, std::int64_t now_ms) {
  if (!s.candidates)
    return Result<RerankResult>(ErrorCode::invalid_state, "rerank: no candidates (call setCandidates first)");
  if (Status status = prepare_options(s, options_json); !status.ok()) return status;
  const bool personalization = s.consent.is_granted(Purpose::personalization);
  auto result = rerank(s.profile, *s.candidates, s.last_options, personalization, now_ms);
  if (result.ok() && personalization) ++s.revision;  // the profile may have cached item metadata
  return result;
}

}  // namespace

Result<std::string> Engine::rerank_json(std::string_view options_json, std::int64_t now_ms) {
  State& s = *state_;
  auto result = run_rerank(s, options_json, now_ms);
  if (!result.ok()) return result.status();
  std::string out;
  append_ranking_json(out, *result, s.last_options.explain);
  return out;
}

Result<const Engine::RankingBuffers*> Engine::rerank_buffers(std::string_view options_json, std::int64_t now_ms) {
  State& s = *state_;
  Status prepared = prepare_options(s, options_json);
  if (!prepared.ok()) return prepared;
  // Numbers only: no detail strings to build.
  const bool explain = s.last_options.explain;
  s.last_options.explain = false;
  auto result = run_rerank(s, options_json, now_ms);
  s.last_options.explain = explain;
  if (!result.ok()) return result.status();
  RankingBuffers& out = s.ranking_buffers;
  out.personalized = result->source == "personalized";
  out.fallback_reason = result->fallback_reason;
  out.indices.clear();
  out.scores.clear();
  out.factors.clear();
  for (const RankedItem& item : result->items) {
    out.indices.push_back(static_cast<std::uint32_t>(item.index));
    out.scores.push_back(item.score);
    out.factors.insert(out.factors.end(), item.factors.begin(), item.factors.end());
  }
  return static_cast<const RankingBuffers*>(&out);
}

Result<int> Engine::feedback(std::string_view item_id, std::string_view kind, std::string_view reason,
                             std::int64_t now_ms) {
  // One recommendation_feedback event through the normal path: validated,
  // queued under its purpose, observed by the profile with consent.
  std::string props;
  props.reserve(item_id.size() + reason.size() + 64);
  props.append("{\"item_id\":");
  append_json_string(props, item_id);
  props.append(",\"feedback\":");
  append_json_string(props, kind);
  if (!reason.empty()) {
    props.append(",\"reason\":");
    append_json_string(props, reason);
  }
  props.push_back('}');
  return track("recommendation_feedback", props, "", now_ms);
}

[[gnu::cold]]
Result<nlohmann::json> Engine::variant(std::string_view experiment_id, std::string_view variants_json,
                                       std::int64_t now_ms) {
  State& s = *state_;
  const auto doc = parse_json_tree(variants_json);
  if (!doc.ok()) return Result<json>(ErrorCode::invalid_json, "variants: not valid JSON");
  auto variants = variants_from_json(*doc);
  if (!variants.ok()) return variants.status();
  // The pseudonymous user id when known, else the device id: stable either way.
  const std::string& subject = s.events.user_id().empty() ? s.device_id : s.events.user_id();
  auto assignment = assign_variant(subject, experiment_id, *variants);
  if (!assignment.ok()) return assignment.status();

  // One exposure per (experiment, variant) per session: hosts call this on
  // every render, and one exposure is what an analysis counts.
  const std::string key = assignment->experiment + '\x1f' + assignment->variant;
  const std::int64_t idle = s.events.config().session_idle_ms;
  const bool same_session = !s.events.session_id().empty() && now_ms >= s.events.last_activity_ms() &&
                            now_ms - s.events.last_activity_ms() < idle;
  auto logged = s.exposures_logged.find(key);
  bool queued = false;
  if (!(same_session && logged != s.exposures_logged.end() && logged->second == s.events.session_id())) {
    std::string props = "{\"experiment\":";
    append_json_string(props, assignment->experiment);
    props.append(",\"variant\":");
    append_json_string(props, assignment->variant);
    props.push_back('}');
    auto bits = track("experiment_exposure", props, "", now_ms);
    if (!bits.ok()) return bits.status();
    queued = (*bits & kTrackQueued) != 0;
    if (queued) s.exposures_logged[key] = std::string(s.events.session_id());
  }
  json out = to_json(*assignment);
  out["exposure_queued"] = queued;
  return out;
}

}  // namespace gradvy
