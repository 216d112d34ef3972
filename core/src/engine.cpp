// Engine: creation, the track() data flow, delivery, consent, modes and
// counters. Snapshot/export/forget live in engine_snapshot.cpp, candidates,
// ranking and experiments in engine_ranking.cpp.
#include "gradvy/engine.hpp"

#include <string>
#include <utility>

#include "engine_state.hpp"
#include "gradvy/aggregate.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/json_writer.hpp"
#include "gradvy/profile_event.hpp"
#include "gradvy/rerank_candidates.hpp"

namespace gradvy {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The wire event -> the profile's input. Only typed facts the builder already
// validated are read; nothing is parsed again.
ProfileEvent to_profile_event(const StampedEvent& event) {
  ProfileEvent out;
  out.ts = event.ts();
  const EventFacts& facts = event.facts();
  switch (event.type()) {
    case EventType::course_interaction:
      out.kind = ProfileEvent::Kind::course_interaction;
      out.item_id = std::string(event.course_id());
      if (facts.action) {
        switch (*facts.action) {
          case CourseAction::view: out.action = ProfileEvent::Action::view; break;
          case CourseAction::enroll: out.action = ProfileEvent::Action::enroll; break;
          case CourseAction::progress: out.action = ProfileEvent::Action::progress; break;
          case CourseAction::complete: out.action = ProfileEvent::Action::complete; break;
          case CourseAction::drop: out.action = ProfileEvent::Action::drop; break;
        }
      }
      if (facts.duration_s) out.duration_s = *facts.duration_s;
      break;
    case EventType::learning_session:
      out.kind = ProfileEvent::Kind::learning_session;
      if (facts.duration_s) out.duration_s = *facts.duration_s;
      if (facts.completion_rate) out.completion_rate = *facts.completion_rate;
      out.content_type = std::string(event.content_type());
      break;
    case EventType::quiz_attempt:
      out.kind = ProfileEvent::Kind::quiz_attempt;
      out.item_id = std::string(event.course_id());
      if (facts.score) out.score = *facts.score;
      if (facts.total_questions) out.total_questions = *facts.total_questions;
      if (facts.time_taken_s) out.duration_s = *facts.time_taken_s;
      break;
    case EventType::search:
      out.kind = ProfileEvent::Kind::search;
      break;
    case EventType::recommendation_feedback:
      out.kind = ProfileEvent::Kind::recommendation_feedback;
      out.item_id = std::string(event.item_id());
      if (facts.feedback) {
        switch (*facts.feedback) {
          case Feedback::thumbs_up: out.feedback = ProfileEvent::Feedback::thumbs_up; break;
          case Feedback::thumbs_down: out.feedback = ProfileEvent::Feedback::thumbs_down; break;
          case Feedback::dismissed: out.feedback = ProfileEvent::Feedback::dismissed; break;
        }
      }
      break;
    case EventType::page_view:
      out.kind = ProfileEvent::Kind::page_view;
      break;
    default:
      out.kind = ProfileEvent::Kind::other;
      break;
  }
  return out;
}

// Key detail for local-only aggregates ("complete", "thumbs_up", or "").
std::string_view aggregate_detail(const StampedEvent& event) {
  const EventFacts& facts = event.facts();
  if (event.type() == EventType::course_interaction && facts.action) return to_string(*facts.action);
  if (event.type() == EventType::recommendation_feedback && facts.feedback) return to_string(*facts.feedback);
  return {};
}

}  // namespace

nlohmann::json engine_limits_json() {
  return {{"max_candidates", kMaxCandidates},
          {"max_dimension", kMaxEmbeddingDim},
          {"max_event_bytes", kMaxMaxEventBytes}};
}

Result<std::uint64_t> parse_seed_hex(std::string_view seed_hex) {
  if (seed_hex.empty() || seed_hex.size() > 64)
    return Result<std::uint64_t>(ErrorCode::invalid_argument, "seed: must be 1..64 hex digits");
  // Fold 64-bit chunks through a multiply-xorshift so every digit matters.
  std::uint64_t folded = 0, chunk = 0;
  for (std::size_t i = 0; i < seed_hex.size(); ++i) {
    const int v = hex_value(seed_hex[i]);
    if (v < 0) return Result<std::uint64_t>(ErrorCode::invalid_argument, "seed: must be 1..64 hex digits");
    chunk = (chunk << 4) | static_cast<std::uint64_t>(v);
    if ((i + 1) % 16 == 0 || i + 1 == seed_hex.size()) {
      folded = (folded ^ chunk) * 0x9E3779B97F4A7C15ull;
      folded ^= folded >> 29;
      chunk = 0;
    }
  }
  return folded;
}

nlohmann::json to_json(const ConsentUpdate& update) {
  nlohmann::json out = to_json(update.change);
  out["purged"] = update.purged;
  return out;
}

Engine::Engine(std::unique_ptr<State> state) : state_(std::move(state)) {}
Engine::~Engine() = default;

// [[gnu::cold]] below: once per engine or per host call, never per event;
// in this -O3 file (a hot source of the wasm build) it makes the compiler
// optimize the function for size.
[[gnu::cold]]
Result<std::unique_ptr<Engine>> Engine::create(EngineConfig config, std::uint64_t seed) {
  if (Status s = validate_queue_config(config.queue); !s.ok()) return s;
  if (Status s = config.profile.validate(); !s.ok()) return s;
  if (Status s = validate_event_config(config.events); !s.ok()) return s;
  auto options = RerankOptions::from_json(config.ranker);
  if (!options.ok()) return options.status();

  auto state = std::make_unique<State>(config, seed);
  if (Status s = state->queue.configure(config.queue); !s.ok()) return s;
  state->base_options = *options;
  state->local_only = config.local_only;
  if (!config.user_id.empty()) {
    if (Status s = state->events.identify(config.user_id); !s.ok()) return s;
  }
  if (config.device_id.empty()) {
    state->device_id = state->rng.uuid4();
    state->device_id_generated = true;
  } else {
    state->device_id = config.device_id;
  }
  return std::unique_ptr<Engine>(new Engine(std::move(state)));
}

[[gnu::cold]]
Result<std::unique_ptr<Engine>> Engine::create(std::string_view config_json, std::string_view seed_hex) {
  auto seed = parse_seed_hex(seed_hex);
  if (!seed.ok()) return seed.status();
  auto config = engine_config_from_json(config_json);
  if (!config.ok()) return config.status();
  return create(std::move(*config), *seed);
}

const EngineConfig& Engine::config() const { return state_->config; }

// --- events -------------------------------------------------------------------

Result<int> Engine::track(std::string_view type, std::string_view props_json, std::string_view ctx_json,
                          std::int64_t now_ms) {
  State& s = *state_;
  StampedEvent event;
  Status built = s.events.build_into(type, props_json, ctx_json, now_ms, s.rng, &event);
  if (!built.ok()) {
    if (built.code() == ErrorCode::event_too_large) {
      ++s.counters.dropped_too_large;
    } else {
      ++s.counters.dropped_invalid;
    }
    return built;
  }
  ++s.revision;  // seq / session advanced
  ++s.counters.tracked;
  s.counters.pii_redactions += event.pii().redacted + event.pii().dropped_keys;

  const Purpose purpose = event.purpose();
  const bool purpose_granted = s.consent.is_granted(purpose);
  const bool profiling = s.consent.is_granted(Purpose::personalization);
  int bits = 0;

  // The profile's input copies what it needs out of the wire now: the queue
  // takes the wire string itself below (no copy), which ends the event's
  // views into it. Building it changes no state, so a refusal below is still whole.
  ProfileEvent profile_event;
  if (profiling) profile_event = to_profile_event(event);

  // Queue first: if the queue refuses the event, nothing else keeps it.
  if (purpose_granted && !s.local_only) {
    QueuedEvent queued;
    queued.id = std::string(event.id());
    queued.purpose = purpose;
    queued.ts = event.ts();
    queued.seq = event.seq();
    queued.json = event.take_wire();  // `event`'s views are invalid from here on
    Status pushed = s.queue.push(std::move(queued), now_ms);
    if (!pushed.ok()) return pushed;  // counted by the queue (refused_*)
    bits |= kTrackQueued;
  }
  if (profiling) {
    if (s.profile.observe(profile_event).ok()) {
      bits |= kTrackProfiled;
      ++s.counters.profiled;
    }
  }
  // Only in local-only mode, where nothing was queued: the wire is still whole.
  if (s.local_only && purpose == Purpose::analytics && purpose_granted) {
    s.aggregates.count(event.type_name(), aggregate_detail(event), now_ms);
    bits |= kTrackAggregated;
    ++s.counters.aggregated;
  }
  if (bits == 0) {
    if (s.local_only && purpose_granted) {
      ++s.counters.dropped_local_only;
    } else {
      ++s.counters.dropped_no_consent;
    }
  }
  return bits;
}

// --- delivery -----------------------------------------------------------------

std::optional<DeliveryBatch> Engine::take_batch(std::int64_t now_ms, bool force) {
  State& s = *state_;
  auto batch = s.queue.take_batch(now_ms, force);
  if (!batch) return std::nullopt;
  ++s.revision;
  DeliveryBatch out;
  out.batch_id = std::move(batch->batch_id);
  out.event_count = static_cast<std::uint32_t>(batch->event_ids.size());
  out.attempt = batch->attempt;
  std::string& body = out.body;
  body.reserve(batch->events_json.size() + out.batch_id.size() + s.device_id.size() + 80);
  body.push_back('{');
  append_json_key(body, "batch_id");
  append_json_string(body, out.batch_id);
  body.push_back(',');
  append_json_key(body, "device_id");
  append_json_string(body, s.device_id);
  body.push_back(',');
  append_json_key(body, "sent_at");
  append_json_int(body, now_ms);
  body.push_back(',');
  append_json_key(body, "events");
  body.append(batch->events_json);
  body.push_back('}');
  return out;
}

Result<std::vector<std::string>> Engine::ack(std::string_view batch_id, std::int64_t now_ms) {
  auto acked = state_->queue.ack(batch_id, now_ms);
  if (acked.ok()) ++state_->revision;
  return acked;
}

Result<FailOutcome> Engine::fail(std::string_view batch_id, const FailureInfo& failure, std::int64_t now_ms) {
  auto outcome = state_->queue.fail(batch_id, failure, now_ms);
  if (outcome.ok()) ++state_->revision;
  return outcome;
}

std::optional<std::int64_t> Engine::next_wakeup_ms(std::int64_t now_ms) const {
  return state_->queue.next_wakeup_ms(now_ms);
}

std::size_t Engine::unpark(std::int64_t now_ms, bool include_rejected) {
  const std::size_t n = include_rejected ? state_->queue.unpark_all(now_ms) : state_->queue.unpark_exhausted(now_ms);
  if (n > 0) ++state_->revision;
  return n;
}

// --- consent --------------------------------------------------------------------

namespace {

// What every consent input does after ConsentState accepted it: purge, erase.
Result<ConsentUpdate> enforce(Engine::State& s, Result<ConsentChange> change) {
  if (!change.ok()) return change.status();
  ConsentUpdate update;
  update.change = *change;
  for (int p = 0; p < kPurposeCount; ++p) {
    const auto purpose = static_cast<Purpose>(p);
    if (!change->withdrawn.contains(purpose)) continue;
    update.purged += s.queue.purge_purpose(purpose);
  }
  // Learned signals were collected under personalization: they go with it.
  if (change->withdrawn.contains(Purpose::personalization)) s.profile.clear_learned();
  // Local-only counts were collected under analytics: not released later.
  if (change->withdrawn.contains(Purpose::analytics)) s.aggregates.clear();
  if (change->changed() || change->records_added > 0) ++s.revision;
  return update;
}

}  // namespace

Result<ConsentUpdate> Engine::set_consent(std::string_view toggles_json, std::int64_t now_ms) {
  const auto toggles = parse_json_tree(toggles_json);
  if (!toggles.ok()) return Result<ConsentUpdate>(ErrorCode::invalid_json, "consent: not valid JSON");
  State& s = *state_;
  return enforce(s, s.consent.set_purposes_json(*toggles, s.config.policy_version, now_ms));
}

Result<ConsentUpdate> Engine::set_purpose(Purpose purpose, bool granted, std::int64_t now_ms) {
  State& s = *state_;
  return enforce(s, s.consent.set_purpose(purpose, granted, s.config.policy_version, now_ms));
}

[[gnu::cold]]
Result<ConsentUpdate> Engine::apply_tcf(std::string_view tc_string, std::int64_t now_ms) {
  State& s = *state_;
  return enforce(s, s.consent.apply_tc_string(tc_string, s.config.policy_version, now_ms));
}

Result<ConsentUpdate> Engine::apply_consent_mode(std::string_view states_json, std::int64_t now_ms) {
  const auto states = parse_json_tree(states_json);
  if (!states.ok()) return Result<ConsentUpdate>(ErrorCode::invalid_json, "consent mode: not valid JSON");
  State& s = *state_;
  return enforce(s, s.consent.apply_consent_mode(*states, s.config.policy_version, now_ms));
}

Result<ConsentUpdate> Engine::set_gpc(bool on, std::int64_t now_ms) {
  State& s = *state_;
  return enforce(s, s.consent.set_gpc(on, s.config.gpc_also_withdraw, s.config.policy_version, now_ms));
}

const ConsentState& Engine::consent() const { return state_->consent; }

[[gnu::cold]]
nlohmann::json Engine::consent_json() const {
  const ConsentState& c = state_->consent;
  return {{"granted", purpose_set_to_json(c.granted())},
          {"gpc", c.gpc()},
          {"gpc_blocked", purpose_set_to_json(c.gpc_blocked())},
          {"history", c.history_to_json()},
          {"history_dropped", c.history_dropped()},
          {"policy_version", state_->config.policy_version}};
}

// --- identity and modes -----------------------------------------------------------

Status Engine::identify(std::string_view user_id) {
  State& s = *state_;
  if (user_id.empty()) {
    s.events.reset_identity();
    ++s.revision;
    return Status();
  }
  Status status = s.events.identify(user_id);
  if (status.ok()) ++s.revision;
  return status;
}

const std::string& Engine::user_id() const { return state_->events.user_id(); }
const std::string& Engine::device_id() const { return state_->device_id; }

std::size_t Engine::set_local_only(bool on) {
  State& s = *state_;
  if (on == s.local_only) return 0;
  s.local_only = on;
  ++s.revision;
  if (!on) return 0;
  const std::size_t purged = s.queue.clear();
  s.cleared_by_local_only += purged;
  s.counters.dropped_local_only += purged;
  return purged;
}

bool Engine::local_only() const { return state_->local_only; }

std::optional<nlohmann::json> Engine::take_aggregates(std::int64_t now_ms) {
  State& s = *state_;
  if (!s.consent.is_granted(Purpose::analytics) || s.aggregates.empty()) return std::nullopt;
  ++s.revision;
  return s.aggregates.release(s.config.aggregate_epsilon, now_ms, s.rng);
}

// --- counters -------------------------------------------------------------------

std::uint64_t Engine::revision() const { return state_->revision; }
EngineCounters Engine::counters() const { return state_->counters; }
QueueStats Engine::queue_stats() const { return state_->queue.stats(); }

[[gnu::cold]]
nlohmann::json Engine::stats_json() const {
  const State& s = *state_;
  const QueueStats q = s.queue.stats();
  const EngineCounters& c = s.counters;
  return {
      {"tracked", c.tracked},
      {"profiled", c.profiled},
      {"aggregated", c.aggregated},
      {"accepted", q.accepted},
      {"queued", q.queued},
      {"in_flight", q.in_flight},
      {"retry_waiting", q.retry_waiting},
      {"parked", q.parked},
      {"sent", q.sent},
      {"batches_sent", q.batches_sent},
      {"retries", q.retries},
      {"queue_bytes", q.held_bytes},
      {"dropped",
       {
           {"no_consent", c.dropped_no_consent},
           {"consent_withdrawn", q.dropped_consent_withdrawn},
           {"overflow", q.dropped_overflow + q.refused_overflow},
           {"too_large", c.dropped_too_large + q.dropped_too_large + q.refused_too_large},
           {"invalid", c.dropped_invalid + q.refused_invalid},
           {"local_only", c.dropped_local_only},
           {"forgotten", q.dropped_cleared - s.cleared_by_local_only},
       }},
      {"pii_redactions", c.pii_redactions},
  };
}

}  // namespace gradvy
