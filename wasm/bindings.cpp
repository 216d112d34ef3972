// The module's C exports: convert values to core types and back, nothing else.
// wasm/engine_api.post.js turns them into the JS API of wasm/gradvy_core.d.ts;
// keep the three in step.
//
// How values cross (why):
// - Plain C exports, no Embind: Embind's runtime (its type registry, its JS
//   half and the printf it pulls in) was about a fifth of the module (#5).
// - Strings in are (pointer, byte length) of UTF-8 the glue wrote into wasm
//   memory; strings out are left in one buffer (out_text) whose pointer the
//   export returns and whose length gradvy_out_length() gives. The glue copies
//   them out before the next call. A null pointer stands for JS null.
// - Results that are documents (Outcome<T>, stats, consent, ranking, ...) are
//   JSON text, turned into a JS object with ONE JSON.parse in the glue.
// - track() is the hot path: integers and a double in, a number out; a failure
//   is a negative number and its details wait in lastError().
// - Embeddings arrive as a pointer into the wasm heap (the host copied its
//   Float32Array there once); the core copies them into its candidate cache.
#include <emscripten/em_macros.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "gradvy/engine.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/rerank_options.hpp"
#include "gradvy/status.hpp"

namespace {

using gradvy::ErrorCode;
using gradvy::Status;

// The last call's text result (see gradvy_out_length).
std::string out_text;
std::size_t out_length = 0;

const char* out(std::string text) {
  out_text = std::move(text);
  out_length = out_text.size();
  return out_text.c_str();
}

// A string that outlives the call (the engine's last batch body): no copy.
const char* out_view(const std::string& text) {
  out_length = text.size();
  return text.c_str();
}

std::string error_json(const Status& status) {
  return gradvy::write_json({{"ok", false},
                             {"code", std::string(gradvy::to_string(status.code()))},
                             {"message", status.message()}});
}

// Outcome<T> from the value's JSON text.
const char* ok_outcome(std::string_view value_json) {
  std::string text;
  text.reserve(value_json.size() + 24);
  text.append("{\"ok\":true,\"value\":").append(value_json).push_back('}');
  return out(std::move(text));
}

// Milliseconds from JS: finite numbers only (NaN would poison every timer).
bool to_ms(double value, std::int64_t& out_ms) {
  if (!std::isfinite(value) || std::fabs(value) > 9.0e15) return false;
  out_ms = static_cast<std::int64_t>(value);
  return true;
}

Status bad_time() { return Status(ErrorCode::invalid_argument, "nowMs: must be a finite number of milliseconds"); }

// FailOptions as the glue sends them: JSON.stringify of the object, with
// non-finite numbers as strings (so NaN is refused, not read as null).
Status parse_fail_options(std::string_view text, gradvy::FailureInfo& info) {
  auto options = gradvy::parse_json_tree(text);
  if (!options.ok() || !options->is_object())
    return Status(ErrorCode::invalid_argument, "options: must be an object {retryable, retryAfterMs?, tooLarge?}");
  auto retryable = options->find("retryable");
  if (retryable == options->end() || !retryable->is_boolean())
    return Status(ErrorCode::invalid_argument, "options.retryable: must be a boolean");
  info.retryable = retryable->get<bool>();
  auto retry_after = options->find("retryAfterMs");
  if (retry_after != options->end() && !retry_after->is_null()) {
    std::int64_t after;
    if (!retry_after->is_number() || !to_ms(retry_after->get<double>(), after) || after < 0)
      return Status(ErrorCode::invalid_argument, "options.retryAfterMs: must be a number >= 0");
    info.retry_after_ms = after;
  }
  auto too_large = options->find("tooLarge");
  if (too_large != options->end() && !too_large->is_null()) {
    if (!too_large->is_boolean()) return Status(ErrorCode::invalid_argument, "options.tooLarge: must be a boolean");
    info.too_large = too_large->get<bool>();
  }
  return Status();
}

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

  const char* last_error() const {
    return out(gradvy::write_json({{"code", std::string(gradvy::to_string(last_error_.code()))},
                                   {"message", last_error_.message()}}));
  }

  // {batchId, eventCount, bytes, attempt}; the body waits in batch_body().
  const char* take_batch(double now, bool force) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return nullptr;
    auto batch = engine_->take_batch(ms, force);
    if (!batch) return nullptr;
    batch_ = std::move(*batch);
    return out(gradvy::write_json({{"batchId", batch_.batch_id},
                                   {"eventCount", batch_.event_count},
                                   {"bytes", batch_.body.size()},
                                   {"attempt", batch_.attempt}}));
  }
  const char* batch_body() const { return out_view(batch_.body); }

  const char* ack(std::string_view batch_id, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto acked = engine_->ack(batch_id, ms);
    if (!acked.ok()) return failed(acked.status());
    return ok_outcome("{\"acked\":" + std::to_string(acked->size()) + "}");
  }

  const char* fail(std::string_view batch_id, std::string_view options, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    gradvy::FailureInfo info;
    Status parsed = parse_fail_options(options, info);
    if (!parsed.ok()) return failed(parsed);
    auto outcome = engine_->fail(batch_id, info, ms);
    if (!outcome.ok()) return failed(outcome.status());
    nlohmann::json value = {{"action", std::string(gradvy::to_string(outcome->action))}};
    if (outcome->action == gradvy::FailAction::retry_scheduled) value["retry_at_ms"] = outcome->retry_at_ms;
    if (outcome->park_reason) value["park_reason"] = std::string(gradvy::to_string(*outcome->park_reason));
    if (outcome->action == gradvy::FailAction::split) value["new_batch_ids"] = outcome->new_batch_ids;
    return ok_outcome(gradvy::write_json(value));
  }

  // NaN stands for null.
  double next_wakeup_ms(double now) const {
    std::int64_t ms;
    if (!to_ms(now, ms)) return NAN;
    auto wake = engine_->next_wakeup_ms(ms);
    return wake ? static_cast<double>(*wake) : NAN;
  }

  double unpark(double now, bool include_rejected) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return 0;
    return static_cast<double>(engine_->unpark(ms, include_rejected));
  }

  const char* set_consent(std::string_view toggles, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->set_consent(toggles, ms));
  }
  const char* apply_tcf(std::string_view tc_string, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->apply_tcf(tc_string, ms));
  }
  const char* apply_consent_mode(std::string_view states, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->apply_consent_mode(states, ms));
  }
  const char* set_gpc(bool on, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    return consent_outcome(engine_->set_gpc(on, ms));
  }
  const char* consent() const { return out(gradvy::write_json(engine_->consent_json())); }

  const char* identify(std::string_view user_id) { return null_outcome(engine_->identify(user_id)); }
  double set_local_only(bool on) { return static_cast<double>(engine_->set_local_only(on)); }
  const char* take_aggregates(double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return nullptr;
    auto report = engine_->take_aggregates(ms);
    return report ? out(gradvy::write_json(*report)) : nullptr;
  }

  const char* snapshot() const { return out(engine_->snapshot()); }
  const char* restore(std::string_view text) { return null_outcome(engine_->restore(text)); }
  double revision() const { return static_cast<double>(engine_->revision()); }
  const char* stats() const { return out(gradvy::write_json(engine_->stats_json())); }

  const char* export_data(double now) const {
    std::int64_t ms = 0;
    to_ms(now, ms);
    return out(gradvy::write_json(engine_->export_data(ms)));
  }
  void forget() { engine_->forget(); }

  const char* profile(double now) const {
    std::int64_t ms = 0;
    to_ms(now, ms);
    return out(gradvy::write_json(engine_->profile_json(ms)));
  }
  const char* insights(double now) const {
    std::int64_t ms = 0;
    to_ms(now, ms);
    return out(gradvy::write_json(engine_->insights(ms)));
  }
  const char* set_preferences(std::string_view prefs) { return null_outcome(engine_->set_preferences(prefs)); }

  const char* set_candidates(std::string_view candidates, std::uintptr_t embeddings, double n, double d) {
    if (!(n >= 0 && d >= 0 && n <= 4294967295.0 && d <= 4294967295.0 && n == std::floor(n) && d == std::floor(d)))
      return failed(Status(ErrorCode::invalid_argument, "n, d: must be non-negative integers"));
    const auto rows = static_cast<std::size_t>(n);
    const auto dims = static_cast<std::size_t>(d);
    Status status = engine_->set_candidates(candidates, reinterpret_cast<const float*>(embeddings), rows, dims);
    if (!status.ok()) return failed(status);
    return ok_outcome("{\"count\":" + std::to_string(engine_->candidate_count()) +
                      ",\"dimension\":" + std::to_string(engine_->candidate_dimension()) + "}");
  }

  const char* rerank(std::string_view options, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto ranking = engine_->rerank_json(options, ms);
    if (!ranking.ok()) return failed(ranking.status());
    return ok_outcome(*ranking);
  }

  // Hot path of rerank: where the ranking's arrays are in wasm memory (valid
  // until the next rerank call); the glue makes typed-array views of them.
  const char* rerank_into(std::string_view options, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto ranking = engine_->rerank_buffers(options, ms);
    if (!ranking.ok()) return failed(ranking.status());
    const gradvy::Engine::RankingBuffers& r = **ranking;
    nlohmann::json value = {{"count", r.indices.size()},
                            {"source", r.personalized ? "personalized" : "fallback"},
                            {"indices", reinterpret_cast<std::uintptr_t>(r.indices.data())},
                            {"scores", reinterpret_cast<std::uintptr_t>(r.scores.data())},
                            {"factors", reinterpret_cast<std::uintptr_t>(r.factors.data())}};
    if (!r.fallback_reason.empty()) value["reason"] = r.fallback_reason;
    return ok_outcome(gradvy::write_json(value));
  }

  const char* feedback(std::string_view item_id, std::string_view kind, std::string_view reason, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto bits = engine_->feedback(item_id, kind, reason, ms);
    if (!bits.ok()) return failed(bits.status());
    const bool queued = (*bits & gradvy::kTrackQueued) != 0;
    const bool profiled = (*bits & gradvy::kTrackProfiled) != 0;
    return ok_outcome(std::string("{\"queued\":") + (queued ? "true" : "false") +
                      ",\"profiled\":" + (profiled ? "true" : "false") + "}");
  }

  const char* variant(std::string_view experiment_id, std::string_view variants, double now) {
    std::int64_t ms;
    if (!to_ms(now, ms)) return failed(bad_time());
    auto assignment = engine_->variant(experiment_id, variants, ms);
    if (!assignment.ok()) return failed(assignment.status());
    return ok_outcome(gradvy::write_json(*assignment));
  }

 private:
  int remember(const Status& status) {
    last_error_ = status;
    return -static_cast<int>(status.code());
  }
  const char* failed(const Status& status) {
    last_error_ = status;
    return out(error_json(status));
  }
  const char* null_outcome(const Status& status) {
    if (!status.ok()) return failed(status);
    return ok_outcome("null");
  }
  const char* consent_outcome(const gradvy::Result<gradvy::ConsentUpdate>& update) {
    if (!update.ok()) return failed(update.status());
    return ok_outcome(gradvy::write_json(gradvy::to_json(*update)));
  }

  std::unique_ptr<gradvy::Engine> engine_;
  Status last_error_;
  gradvy::DeliveryBatch batch_;
};

JsEngine& engine_at(std::uintptr_t engine) { return *reinterpret_cast<JsEngine*>(engine); }

}  // namespace

// Every export below: `engine` is what gradvy_engine_create returned (the
// glue's Engine.address()); a string is (pointer, byte length).
extern "C" {

EMSCRIPTEN_KEEPALIVE std::size_t gradvy_out_length() { return out_length; }

// {version, factor_names, limits, track_bits}: what the module says about itself.
EMSCRIPTEN_KEEPALIVE const char* gradvy_module_info() {
  nlohmann::json factors = nlohmann::json::array();
  for (std::size_t f = 0; f < gradvy::kFactorCount; ++f)
    factors.push_back(std::string(gradvy::to_string(static_cast<gradvy::Factor>(f))));
  return out(gradvy::write_json({{"version", "0.1.0"},
                                 {"factor_names", std::move(factors)},
                                 {"limits", gradvy::engine_limits_json()},
                                 {"track_bits",
                                  {{"queued", gradvy::kTrackQueued},
                                   {"profiled", gradvy::kTrackProfiled},
                                   {"aggregated", gradvy::kTrackAggregated}}}}));
}

// Outcome<address>: the glue wraps the address in an Engine.
EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_create(const char* config, std::size_t config_len, const char* seed,
                                                      std::size_t seed_len) {
  auto engine = gradvy::Engine::create({config, config_len}, {seed, seed_len});
  if (!engine.ok()) return out(error_json(engine.status()));
  return ok_outcome(std::to_string(reinterpret_cast<std::uintptr_t>(new JsEngine(std::move(*engine)))));
}

EMSCRIPTEN_KEEPALIVE void gradvy_engine_destroy(std::uintptr_t engine) { delete reinterpret_cast<JsEngine*>(engine); }

// Engine.track() over UTF-8 bytes the host placed in wasm memory: integers and
// one double cross, nothing is allocated for the call.
EMSCRIPTEN_KEEPALIVE int gradvy_track(std::uintptr_t engine, const char* type, std::size_t type_len, const char* props,
                                      std::size_t props_len, const char* ctx, std::size_t ctx_len, double now_ms) {
  return engine_at(engine).track({type, type_len}, {props, props_len}, {ctx, ctx_len}, now_ms);
}

// Most exports have one of four shapes: gradvy_engine_<method>(engine[, text,
// length][, now]) -> document. The macros spell those out; the rest follow.
#define GRADVY_EXPORT(method) \
  EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_##method(std::uintptr_t engine) { return engine_at(engine).method(); }
#define GRADVY_EXPORT_NOW(method)                                                       \
  EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_##method(std::uintptr_t engine, double now) { \
    return engine_at(engine).method(now);                                               \
  }
#define GRADVY_EXPORT_TEXT(method)                                                                          \
  EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_##method(std::uintptr_t engine, const char* text, std::size_t len) { \
    return engine_at(engine).method({text, len});                                                           \
  }
#define GRADVY_EXPORT_TEXT_NOW(method)                                                                 \
  EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_##method(std::uintptr_t engine, const char* text, std::size_t len, \
                                                          double now) {                                 \
    return engine_at(engine).method({text, len}, now);                                                 \
  }

GRADVY_EXPORT(last_error)
GRADVY_EXPORT(batch_body)
GRADVY_EXPORT(consent)
GRADVY_EXPORT(snapshot)
GRADVY_EXPORT(stats)
GRADVY_EXPORT_NOW(take_aggregates)
GRADVY_EXPORT_NOW(export_data)
GRADVY_EXPORT_NOW(profile)
GRADVY_EXPORT_NOW(insights)
GRADVY_EXPORT_TEXT(identify)
GRADVY_EXPORT_TEXT(restore)
GRADVY_EXPORT_TEXT(set_preferences)
GRADVY_EXPORT_TEXT_NOW(ack)
GRADVY_EXPORT_TEXT_NOW(set_consent)
GRADVY_EXPORT_TEXT_NOW(apply_tcf)
GRADVY_EXPORT_TEXT_NOW(apply_consent_mode)
GRADVY_EXPORT_TEXT_NOW(rerank)
GRADVY_EXPORT_TEXT_NOW(rerank_into)

EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_take_batch(std::uintptr_t engine, double now, int force) {
  return engine_at(engine).take_batch(now, force != 0);
}
EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_fail(std::uintptr_t engine, const char* id, std::size_t id_len,
                                                    const char* options, std::size_t options_len, double now) {
  return engine_at(engine).fail({id, id_len}, {options, options_len}, now);
}
EMSCRIPTEN_KEEPALIVE double gradvy_engine_next_wakeup_ms(std::uintptr_t engine, double now) {
  return engine_at(engine).next_wakeup_ms(now);
}
EMSCRIPTEN_KEEPALIVE double gradvy_engine_unpark(std::uintptr_t engine, double now, int include_rejected) {
  return engine_at(engine).unpark(now, include_rejected != 0);
}
EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_set_gpc(std::uintptr_t engine, int on, double now) {
  return engine_at(engine).set_gpc(on != 0, now);
}
EMSCRIPTEN_KEEPALIVE double gradvy_engine_set_local_only(std::uintptr_t engine, int on) {
  return engine_at(engine).set_local_only(on != 0);
}
EMSCRIPTEN_KEEPALIVE double gradvy_engine_revision(std::uintptr_t engine) { return engine_at(engine).revision(); }
EMSCRIPTEN_KEEPALIVE void gradvy_engine_forget(std::uintptr_t engine) { engine_at(engine).forget(); }
EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_set_candidates(std::uintptr_t engine, const char* text, std::size_t len,
                                                              std::uintptr_t embeddings, double n, double d) {
  return engine_at(engine).set_candidates({text, len}, embeddings, n, d);
}
EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_feedback(std::uintptr_t engine, const char* item, std::size_t item_len,
                                                        const char* kind, std::size_t kind_len, const char* reason,
                                                        std::size_t reason_len, double now) {
  return engine_at(engine).feedback({item, item_len}, {kind, kind_len}, {reason, reason_len}, now);
}
EMSCRIPTEN_KEEPALIVE const char* gradvy_engine_variant(std::uintptr_t engine, const char* experiment,
                                                       std::size_t experiment_len, const char* variants,
                                                       std::size_t variants_len, double now) {
  return engine_at(engine).variant({experiment, experiment_len}, {variants, variants_len}, now);
}

}  // extern "C"
