// Engine: the snapshot document, restore (all or nothing), data export,
// forget, and the profile read side.
//
// Snapshot format (version 1):
// {
//   "format": "gradvy.snapshot", "version": 1,
//   "device_id": "...", "device_id_generated": bool, "local_only": bool,
//   "revision": n,
//   "rng": ["<16 hex>" x 4],             xoshiro state: ids/jitter/noise continue
//   "events":     EventBuilder::to_json   (seq, session, user id)
//   "consent":    ConsentState::to_json
//   "queue":      EventQueue::to_json
//   "profile":    LearnerProfile::to_json
//   "aggregates": LocalAggregates::to_json
//   "counters":   {tracked, profiled, ...}  (EngineCounters)
// }
// The config is not in it (the host passes the config on every start; a
// snapshot must not resurrect old settings). The candidate cache is not in it.
#include <algorithm>
#include <string>
#include <utility>

#include "engine_state.hpp"
#include "gradvy/behavior_patterns.hpp"
#include "gradvy/engine.hpp"
#include "gradvy/json_tree.hpp"

namespace gradvy {
namespace {

using json = nlohmann::json;

Status corrupt(const std::string& message) { return Status(ErrorCode::snapshot_corrupt, "snapshot." + message); }

// A part's own error, with the part named; keeps snapshot_version apart.
Status in_part(const char* part, const Status& status) {
  const ErrorCode code =
      status.code() == ErrorCode::snapshot_version ? ErrorCode::snapshot_version : ErrorCode::snapshot_corrupt;
  return Status(code, std::string("snapshot.") + part + ": " + status.message());
}

std::string hex64(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kHex[v & 0xF];
  return out;
}

bool parse_hex64(const json& value, std::uint64_t& out) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 16) return false;
  out = 0;
  for (char c : text) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    out = (out << 4) | static_cast<std::uint64_t>(v);
  }
  return true;
}

// One list drives writing and reading the counters.
template <typename Counters, typename Fn>
void for_each_counter(Counters& c, Fn&& fn) {
  fn("tracked", c.tracked);
  fn("profiled", c.profiled);
  fn("aggregated", c.aggregated);
  fn("dropped_no_consent", c.dropped_no_consent);
  fn("dropped_invalid", c.dropped_invalid);
  fn("dropped_too_large", c.dropped_too_large);
  fn("dropped_overflow", c.dropped_overflow);
  fn("dropped_local_only", c.dropped_local_only);
  fn("pii_redactions", c.pii_redactions);
}

}  // namespace

std::string Engine::snapshot() const {
  const State& s = *state_;
  json counters = json::object();
  for_each_counter(s.counters, [&](const char* name, std::uint64_t value) { counters[name] = value; });
  counters["cleared_by_local_only"] = s.cleared_by_local_only;
  json rng = json::array();
  for (int i = 0; i < 4; ++i) rng.push_back(hex64(s.rng.state()[i]));
  json doc = {
      {"format", kSnapshotFormat},
      {"version", kSnapshotVersion},
      {"device_id", s.device_id},
      {"device_id_generated", s.device_id_generated},
      {"local_only", s.local_only},
      {"revision", s.revision},
      {"rng", std::move(rng)},
      {"events", s.events.to_json()},
      {"consent", s.consent.to_json()},
      {"queue", s.queue.to_json()},
      {"profile", s.profile.to_json()},
      {"aggregates", s.aggregates.to_json()},
      {"counters", std::move(counters)},
  };
  return write_json(doc);
}

Status Engine::restore(std::string_view snapshot_json) {
  const auto tree = parse_json_tree(snapshot_json);
  if (!tree.ok()) return corrupt("(root): not valid JSON");
  const json& doc = *tree;
  if (!doc.is_object()) return corrupt("(root): must be an object");
  auto format = doc.find("format");
  if (format == doc.end() || !format->is_string() || format->get_ref<const std::string&>() != kSnapshotFormat)
    return Status(ErrorCode::snapshot_version, "snapshot.format: not a gradvy.snapshot document");
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer())
    return corrupt("version: must be an integer");
  if (version->get<std::int64_t>() != kSnapshotVersion)
    return Status(ErrorCode::snapshot_version, "snapshot.version: " + write_json(*version) + " is not supported (expected " +
                                                   std::to_string(kSnapshotVersion) + ")");

  auto member = [&](const char* key) -> const json* {
    auto it = doc.find(key);
    return it == doc.end() ? nullptr : &*it;
  };
  const State& current = *state_;
  auto fresh = std::make_unique<State>(current.config, 0);
  State& f = *fresh;

  const json* device_id = member("device_id");
  if (!device_id || !device_id->is_string()) return corrupt("device_id: must be a string");
  if (Status s = validate_pseudonymous_id(device_id->get_ref<const std::string&>(), "device_id"); !s.ok())
    return corrupt(s.message());
  f.device_id = device_id->get<std::string>();
  const json* generated = member("device_id_generated");
  if (!generated || !generated->is_boolean()) return corrupt("device_id_generated: must be a boolean");
  f.device_id_generated = generated->get<bool>();
  const json* local_only = member("local_only");
  if (!local_only || !local_only->is_boolean()) return corrupt("local_only: must be a boolean");
  f.local_only = local_only->get<bool>();
  const json* revision = member("revision");
  if (!revision || !revision->is_number_unsigned()) return corrupt("revision: must be a non-negative integer");

  const json* rng = member("rng");
  if (!rng || !rng->is_array() || rng->size() != 4) return corrupt("rng: must be 4 hex strings");
  std::uint64_t words[4];
  for (int i = 0; i < 4; ++i) {
    if (!parse_hex64((*rng)[i], words[i])) return corrupt("rng[" + std::to_string(i) + "]: must be 16 hex digits");
  }
  if ((words[0] | words[1] | words[2] | words[3]) == 0) return corrupt("rng: the all-zero state is invalid");
  f.rng.set_state(words);

  const json* events = member("events");
  if (!events) return corrupt("events: is missing");
  if (Status s = f.events.restore(*events); !s.ok()) return in_part("events", s);
  const json* consent = member("consent");
  if (!consent) return corrupt("consent: is missing");
  auto restored_consent = ConsentState::from_json(*consent);
  if (!restored_consent.ok()) return in_part("consent", restored_consent.status());
  f.consent = std::move(*restored_consent);
  const json* queue = member("queue");
  if (!queue) return corrupt("queue: is missing");
  if (Status s = f.queue.configure(current.config.queue); !s.ok()) return s;
  if (Status s = f.queue.restore(*queue); !s.ok()) return in_part("queue", s);
  const json* profile = member("profile");
  if (!profile) return corrupt("profile: is missing");
  if (Status s = f.profile.restore(*profile); !s.ok()) return in_part("profile", s);
  // The host's current config governs the profile, not the one it was saved with.
  if (Status s = f.profile.set_config(current.config.profile); !s.ok()) return s;
  const json* aggregates = member("aggregates");
  if (!aggregates) return corrupt("aggregates: is missing");
  if (Status s = f.aggregates.restore(*aggregates); !s.ok()) return in_part("aggregates", s);

  const json* counters = member("counters");
  if (!counters || !counters->is_object()) return corrupt("counters: must be an object");
  Status counter_status;
  for_each_counter(f.counters, [&](const char* name, std::uint64_t& value) {
    auto it = counters->find(name);
    if (!counter_status.ok()) return;
    if (it == counters->end() || !it->is_number_unsigned()) {
      counter_status = corrupt(std::string("counters.") + name + ": must be a non-negative integer");
      return;
    }
    value = it->get<std::uint64_t>();
  });
  if (!counter_status.ok()) return counter_status;
  auto cleared = counters->find("cleared_by_local_only");
  if (cleared == counters->end() || !cleared->is_number_unsigned())
    return corrupt("counters.cleared_by_local_only: must be a non-negative integer");
  f.cleared_by_local_only = cleared->get<std::uint64_t>();

  // Everything is valid: keep the caches, take the new state.
  f.candidates = std::move(state_->candidates);
  f.base_options = current.base_options;
  f.revision = std::max(revision->get<std::uint64_t>(), current.revision) + 1;
  state_ = std::move(fresh);
  return Status();
}

// --- data rights -------------------------------------------------------------------

nlohmann::json Engine::export_data(std::int64_t now_ms) const {
  const State& s = *state_;
  // Every held event, as it would be sent, in queue order (snapshot order).
  json events = json::array();
  const json queue = s.queue.to_json();
  auto add_events = [&](const json& list, const char* state) {
    if (!list.is_array()) return;
    for (const json& e : list) {
      auto wire = e.find("json");
      if (wire == e.end() || !wire->is_string()) continue;
      const std::string& text = wire->get_ref<const std::string&>();
      auto parsed = parse_json_tree(text);
      if (!parsed.ok()) continue;
      events.push_back({{"state", state}, {"event", std::move(parsed).value()}});
    }
  };
  if (auto batches = queue.find("batches"); batches != queue.end() && batches->is_array()) {
    for (const json& b : *batches) {
      auto list = b.find("events");
      auto state = b.find("state");
      if (list == b.end() || state == b.end() || !state->is_string()) continue;
      add_events(*list, state->get_ref<const std::string&>().c_str());
    }
  }
  if (auto pending = queue.find("pending"); pending != queue.end()) add_events(*pending, "pending");

  return {
      {"format", "gradvy.export"},
      {"exported_at", now_ms},
      {"device_id", s.device_id},
      {"user_id", s.events.user_id()},
      {"local_only", s.local_only},
      {"consent", consent_json()},
      {"queued_events", std::move(events)},
      {"profile", s.profile.export_json(now_ms)},
      {"local_aggregates", s.aggregates.to_json()},
      {"stats", stats_json()},
  };
}

void Engine::forget() {
  State& s = *state_;
  s.queue.clear();
  s.profile.clear();
  s.consent = ConsentState();
  s.aggregates.clear();
  s.events = EventBuilder(s.config.events);
  if (s.device_id_generated) s.device_id = s.rng.uuid4();  // a new, unlinkable pseudonym
  s.local_only = s.config.local_only;
  s.candidates.reset();
  s.last_options_valid = false;
  s.exposures_logged.clear();
  ++s.revision;
}

// --- profile -------------------------------------------------------------------------

nlohmann::json Engine::profile_json(std::int64_t now_ms) const {
  json out = state_->profile.export_json(now_ms);
  if (out.is_object() && !out.contains("preferences")) out["preferences"] = to_json(state_->profile.preferences());
  return out;
}

nlohmann::json Engine::insights(std::int64_t now_ms) const { return gradvy::insights(state_->profile, now_ms); }

Status Engine::set_preferences(std::string_view preferences_json) {
  Status status = state_->profile.set_preferences_json(preferences_json);
  if (status.ok()) ++state_->revision;
  return status;
}

}  // namespace gradvy
