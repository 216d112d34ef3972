// Embind glue: converts JS values to core types and back, nothing else.
// The JS-visible contract is wasm/gradvy_core.d.ts; keep the two in step.
//
// How values cross (why):
// - track() is the hot path: strings and a number in, a number out; a failure
//   is a negative number and its details wait in lastError(). The package
//   calls the plain export gradvy_track() instead of Engine.track(): it writes
//   the strings as UTF-8 into wasm memory it reuses, where Embind would
//   measure, malloc, encode, copy and free each of the three on every call.
// - Results that are documents (Outcome<T>, stats, consent, ranking, ...) are
//   built as JSON text in C++ and turned into a JS object with ONE
//   JSON.parse call, instead of one boundary crossing per property.
// - Embeddings arrive as a pointer into the wasm heap (the host copied its
//   Float32Array there once); the core copies them into its candidate cache.
#include <emscripten/bind.h>
#include <emscripten/em_macros.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gradvy/engine.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/rerank_options.hpp"
#include "gradvy/status.hpp"

namespace {

using emscripten::val;
using gradvy::ErrorCode;
using gradvy::Status;

const val& json_parse() {
  static const val parse = val::global("JSON")["parse"];
  return parse;
}

val parse_json_text(const std::string& text) { return json_parse()(text); }

std::string dump(const nlohmann::json& value) {
  return gradvy::write_json(value);
}

std::string error_json(const Status& status) {
  nlohmann::json out = {{"ok", false},
                        {"code", std::string(gradvy::to_string(status.code()))},
                        {"message", status.message()}};
  return dump(out);
}

// Outcome<T> from the value's JSON text.
val ok_outcome(const std::string& value_json) {
  std::string text;
  text.reserve(value_json.size() + 24);
  text.append("{\"ok\":true,\"value\":").append(value_json).push_back('}');
  return parse_json_text(text);
}

// Milliseconds from JS: finite numbers only (NaN would poison every timer).
bool to_ms(double value, std::int64_t& out) {
  if (!std::isfinite(value) || std::fabs(value) > 9.0e15) return false;
  out = static_cast<std::int64_t>(value);
  return true;
}

Status bad_time() { return Status(ErrorCode::invalid_argument, "nowMs: must be a finite number of milliseconds"); }

class JsEngine {
 public:
  explicit JsEngine(std::unique_ptr<gradvy::Engine> engine) : engine_(std::move(engine)) {}

  int track(std::string_view type, std::string_view props, std::string_view ctx, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return remember(bad_time());
    auto result = engine_->track(type, props, ctx, ms);
    if (!result.ok()) return remember(result.status());
    return *result;
  }
  int track_strings(const std::string& type, const std::string& props, const std::string& ctx, double now) {
    return track(type, props, ctx, now);
  }
  // What gradvy_track() takes as `engine`; valid until the handle's delete().
  std::uintptr_t address() const { return reinterpret_cast<std::uintptr_t>(this); }

  val last_error() const {
    val out = val::object();
    out.set("code", std::string(gradvy::to_string(last_error_.code())));
    out.set("message", last_error_.message());
    return out;
  }

  val take_batch(double now, bool force) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return val::null();
    auto batch = engine_->take_batch(ms, force);
    if (!batch) return val::null();
    val out = val::object();
    out.set("batchId", batch->batch_id);
    out.set("body", batch->body);
    out.set("eventCount", batch->event_count);
    out.set("bytes", static_cast<double>(batch->body.size()));
    out.set("attempt", batch->attempt);
    return out;
  }

  val ack(const std::string& batch_id, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto acked = engine_->ack(batch_id, ms);
    if (!acked.ok()) return failed(acked.status());
    return ok_outcome("{\"acked\":" + std::to_string(acked->size()) + "}");
  }

  val fail(const std::string& batch_id, val options, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    if (options.isUndefined() || options.isNull() || options.typeOf().as<std::string>() != "object")
      return failed(Status(ErrorCode::invalid_argument, "options: must be an object {retryable, retryAfterMs?, tooLarge?}"));
    gradvy::FailureInfo info;
    const val retryable = options["retryable"];
    if (retryable.typeOf().as<std::string>() != "boolean")
      return failed(Status(ErrorCode::invalid_argument, "options.retryable: must be a boolean"));
    info.retryable = retryable.as<bool>();
    const val retry_after = options["retryAfterMs"];
    if (!retry_after.isUndefined() && !retry_after.isNull()) {
      std::int64_t after;
      if (!retry_after.isNumber() || !to_ms(retry_after.as<double>(), after) || after < 0)
        return failed(Status(ErrorCode::invalid_argument, "options.retryAfterMs: must be a number >= 0"));
      info.retry_after_ms = after;
    }
    const val too_large = options["tooLarge"];
    if (!too_large.isUndefined() && !too_large.isNull()) {
      if (too_large.typeOf().as<std::string>() != "boolean")
        return failed(Status(ErrorCode::invalid_argument, "options.tooLarge: must be a boolean"));
      info.too_large = too_large.as<bool>();
    }
    auto outcome = engine_->fail(batch_id, info, ms);
    if (!outcome.ok()) return failed(outcome.status());
    nlohmann::json value = {{"action", std::string(gradvy::to_string(outcome->action))}};
    if (outcome->action == gradvy::FailAction::retry_scheduled) value["retry_at_ms"] = outcome->retry_at_ms;
    if (outcome->park_reason) value["park_reason"] = std::string(gradvy::to_string(*outcome->park_reason));
    if (outcome->action == gradvy::FailAction::split) value["new_batch_ids"] = outcome->new_batch_ids;
    return ok_outcome(dump(value));
  }

  val next_wakeup_ms(double now) const {
    std::int64_t ms;
    if (!to_ms(now, ms)) return val::null();
    auto wake = engine_->next_wakeup_ms(ms);
    return wake ? val(static_cast<double>(*wake)) : val::null();
  }

  double unpark(double now, bool include_rejected) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return 0;
    return static_cast<double>(engine_->unpark(ms, include_rejected));
  }

  val set_consent(const std::string& toggles, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->set_consent(toggles, ms));
  }
  val apply_tcf(const std::string& tc_string, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->apply_tcf(tc_string, ms));
  }
  val apply_consent_mode(const std::string& states, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->apply_consent_mode(states, ms));
  }
  val set_gpc(bool on, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->set_gpc(on, ms));
  }
  val consent() const { return parse_json_text(dump(engine_->consent_json())); }

  val identify(const std::string& user_id) { return null_outcome(engine_->identify(user_id)); }
  double set_local_only(bool on) { return static_cast<double>(engine_->set_local_only(on)); }
  val take_aggregates(double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return val::null();
    auto report = engine_->take_aggregates(ms);
    return report ? parse_json_text(dump(*report)) : val::null();
  }

  std::string snapshot() const { return engine_->snapshot(); }
  val restore(const std::string& text) { return null_outcome(engine_->restore(text)); }
  double revision() const { return static_cast<double>(engine_->revision()); }
  val stats() const { return parse_json_text(dump(engine_->stats_json())); }

  val export_data(double now) const {
    std::int64_t ms = 0;
    to_ms(now, ms);
    return parse_json_text(dump(engine_->export_data(ms)));
  }
  void forget() { engine_->forget(); }

  val profile(double now) const {
    std::int64_t ms = 0;
    to_ms(now, ms);
    return parse_json_text(dump(engine_->profile_json(ms)));
  }
  val insights(double now) const {
    std::int64_t ms = 0;
    to_ms(now, ms);
    return parse_json_text(dump(engine_->insights(ms)));
  }
  val set_preferences(const std::string& prefs) { return null_outcome(engine_->set_preferences(prefs)); }

  val set_candidates(const std::string& candidates, std::uintptr_t embeddings, double n, double d) {
    if (!(n >= 0 && d >= 0 && n <= 4294967295.0 && d <= 4294967295.0 && n == std::floor(n) && d == std::floor(d)))
      return failed(Status(ErrorCode::invalid_argument, "n, d: must be non-negative integers"));
    const auto rows = static_cast<std::size_t>(n);
    const auto dims = static_cast<std::size_t>(d);
    Status status = engine_->set_candidates(candidates, reinterpret_cast<const float*>(embeddings), rows, dims);
    if (!status.ok()) return failed(status);
    return ok_outcome("{\"count\":" + std::to_string(engine_->candidate_count()) +
                      ",\"dimension\":" + std::to_string(engine_->candidate_dimension()) + "}");
  }

  val rerank(const std::string& options, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto ranking = engine_->rerank_json(options, ms);
    if (!ranking.ok()) return failed(ranking.status());
    return ok_outcome(*ranking);
  }

  // Hot path of rerank: the ranking as typed-array views of wasm memory (valid
  // until the next rerank call), built with a handful of property sets.
  val rerank_into(const std::string& options, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto ranking = engine_->rerank_buffers(options, ms);
    if (!ranking.ok()) return failed(ranking.status());
    const gradvy::Engine::RankingBuffers& r = **ranking;
    val value = val::object();
    value.set("count", static_cast<double>(r.indices.size()));
    value.set("source", std::string(r.personalized ? "personalized" : "fallback"));
    if (!r.fallback_reason.empty()) value.set("reason", r.fallback_reason);
    value.set("indices", val(emscripten::typed_memory_view(r.indices.size(), r.indices.data())));
    value.set("scores", val(emscripten::typed_memory_view(r.scores.size(), r.scores.data())));
    value.set("factors", val(emscripten::typed_memory_view(r.factors.size(), r.factors.data())));
    val out = val::object();
    out.set("ok", true);
    out.set("value", value);
    return out;
  }

  val feedback(const std::string& item_id, const std::string& kind, const std::string& reason, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto bits = engine_->feedback(item_id, kind, reason, ms);
    if (!bits.ok()) return failed(bits.status());
    const bool queued = (*bits & gradvy::kTrackQueued) != 0;
    const bool profiled = (*bits & gradvy::kTrackProfiled) != 0;
    return ok_outcome(std::string("{\"queued\":") + (queued ? "true" : "false") +
                      ",\"profiled\":" + (profiled ? "true" : "false") + "}");
  }

  val variant(const std::string& experiment_id, const std::string& variants, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto assignment = engine_->variant(experiment_id, variants, ms);
    if (!assignment.ok()) return failed(assignment.status());
    return ok_outcome(dump(*assignment));
  }

 private:
  int remember(const Status& status) {
    last_error_ = status;
    return -static_cast<int>(status.code());
  }
  val failed(const Status& status) {
    last_error_ = status;
    return parse_json_text(error_json(status));
  }
  val null_outcome(const Status& status) {
    if (!status.ok()) return failed(status);
    return ok_outcome("null");
  }
  val consent_outcome(const gradvy::Result<gradvy::ConsentUpdate>& update) {
    if (!update.ok()) return failed(update.status());
    return ok_outcome(dump(gradvy::to_json(*update)));
  }

  std::unique_ptr<gradvy::Engine> engine_;
  Status last_error_;
};

val create_engine(const std::string& config_json, const std::string& seed_hex) {
  auto engine = gradvy::Engine::create(config_json, seed_hex);
  if (!engine.ok()) return parse_json_text(error_json(engine.status()));
  val out = val::object();
  out.set("ok", true);
  // The JS handle owns it (Embind transfers a unique_ptr): Engine.delete() frees it.
  out.set("value", val(std::make_unique<JsEngine>(std::move(*engine))));
  return out;
}

std::string version() { return "0.1.0"; }

val limits() { return parse_json_text(dump(gradvy::engine_limits_json())); }

val factor_names() {
  val out = val::array();
  for (std::size_t f = 0; f < gradvy::kFactorCount; ++f)
    out.call<void>("push", std::string(gradvy::to_string(static_cast<gradvy::Factor>(f))));
  return out;
}

}  // namespace

// Engine.track() over UTF-8 bytes the host placed in wasm memory: integers and
// one double cross, nothing is allocated for the call. Same result and
// lastError() as Engine.track(); `engine` is Engine.address().
extern "C" EMSCRIPTEN_KEEPALIVE int gradvy_track(std::uintptr_t engine, const char* type, std::size_t type_len,
                                                 const char* props, std::size_t props_len, const char* ctx,
                                                 std::size_t ctx_len, double now_ms) {
  return reinterpret_cast<JsEngine*>(engine)->track({type, type_len}, {props, props_len}, {ctx, ctx_len}, now_ms);
}

EMSCRIPTEN_BINDINGS(gradvy) {
  using namespace emscripten;
  function("version", &version);
  function("limits", &limits);
  function("factorNames", &factor_names);
  function("createEngine", &create_engine);
  constant("TRACK_QUEUED", gradvy::kTrackQueued);
  constant("TRACK_PROFILED", gradvy::kTrackProfiled);
  constant("TRACK_AGGREGATED", gradvy::kTrackAggregated);

  class_<JsEngine>("Engine")
      .function("track", &JsEngine::track_strings)
      .function("address", &JsEngine::address)
      .function("lastError", &JsEngine::last_error)
      .function("takeBatch", &JsEngine::take_batch)
      .function("ack", &JsEngine::ack)
      .function("fail", &JsEngine::fail)
      .function("nextWakeupMs", &JsEngine::next_wakeup_ms)
      .function("unpark", &JsEngine::unpark)
      .function("setConsent", &JsEngine::set_consent)
      .function("applyTcf", &JsEngine::apply_tcf)
      .function("applyConsentMode", &JsEngine::apply_consent_mode)
      .function("setGpc", &JsEngine::set_gpc)
      .function("consent", &JsEngine::consent)
      .function("identify", &JsEngine::identify)
      .function("setLocalOnly", &JsEngine::set_local_only)
      .function("takeAggregates", &JsEngine::take_aggregates)
      .function("snapshot", &JsEngine::snapshot)
      .function("restore", &JsEngine::restore)
      .function("revision", &JsEngine::revision)
      .function("stats", &JsEngine::stats)
      .function("exportData", &JsEngine::export_data)
      .function("forget", &JsEngine::forget)
      .function("profile", &JsEngine::profile)
      .function("insights", &JsEngine::insights)
      .function("setPreferences", &JsEngine::set_preferences)
      .function("setCandidates", &JsEngine::set_candidates)
      .function("rerank", &JsEngine::rerank)
      .function("rerankInto", &JsEngine::rerank_into)
      .function("feedback", &JsEngine::feedback)
      .function("variant", &JsEngine::variant);
}
