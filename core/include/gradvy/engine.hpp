// Engine: the one facade the wasm binding (and through it the npm package)
// uses. It composes the parts and owns the data flow of docs/ARCHITECTURE.md:
//
//   track(type, props, ctx, now)
//     -> EventBuilder: validate, stamp (id, seq, session, ts, user), scrub PII
//     -> consent: upload purpose granted and not local-only => queue
//                 personalization granted                  => profile.observe
//                 local-only and analytics granted         => on-device count
//                 none of these                            => dropped_no_consent
//                                                             (counted, never stored)
//   Order: the queue push happens first, so an event the queue refuses
//   (event_too_large, limit_exceeded) is refused whole: nothing half-stored.
//
// Consent: every setter purges the queue of each newly withdrawn purpose
// before it returns (pending, in flight, waiting and parked batches).
// Withdrawing personalization also erases the learned profile signals;
// declared preferences stay (they are what the learner typed in, not
// behaviour, and the fallback ranking uses them).
//
// Local-only mode: raw events never enter the queue (turning it on purges
// every held raw event, counted as dropped.local_only); they are counted by
// LocalAggregates and released, Laplace-noised, by take_aggregates() only
// while analytics is granted.
//
// Snapshot: ONE versioned JSON document {"format":"gradvy.snapshot",
// "version":1, ...every part, counters, rng state}. restore() rebuilds a fresh
// state from it and swaps only when every part is valid; otherwise
// snapshot_corrupt / snapshot_version and the engine is untouched. The cached
// candidate set is not in the snapshot (the host refetches it; it is a cache).
//
// Never throws; deterministic for a given seed, config and call sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/consent_state.hpp"
#include "gradvy/engine_config.hpp"
#include "gradvy/queue.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// track() result bits (a result >= 0 is a combination; 0 = dropped, no consent).
inline constexpr int kTrackQueued = 1;
inline constexpr int kTrackProfiled = 2;
inline constexpr int kTrackAggregated = 4;

// A batch ready for POST /v1/batch.
struct DeliveryBatch {
  std::string batch_id;
  std::string body;  // {"batch_id":..,"device_id":..,"sent_at":..,"events":[..]}
  std::uint32_t event_count = 0;
  std::uint32_t attempt = 1;
};

// Consent change plus the purge the engine did for it.
struct ConsentUpdate {
  ConsentChange change;
  std::size_t purged = 0;  // held events removed because their purpose was withdrawn
};
nlohmann::json to_json(const ConsentUpdate& update);

// Counters the engine keeps on top of the queue's own.
struct EngineCounters {
  std::uint64_t tracked = 0;             // passed validation
  std::uint64_t profiled = 0;            // updated the profile
  std::uint64_t aggregated = 0;          // counted on device (local-only)
  std::uint64_t dropped_no_consent = 0;  // no purpose allowed keeping it
  std::uint64_t dropped_invalid = 0;     // refused by validation
  std::uint64_t dropped_too_large = 0;   // refused: over the per-event byte limit
  std::uint64_t dropped_overflow = 0;    // refused: queue full of unevictable events
  std::uint64_t dropped_local_only = 0;  // purged when local-only mode was turned on
  std::uint64_t pii_redactions = 0;      // values redacted + keys dropped
};

// {"max_candidates","max_dimension","max_event_bytes"}: the documented bounds.
nlohmann::json engine_limits_json();

// Reads 1..64 hex digits; longer seeds are folded into 64 bits.
Result<std::uint64_t> parse_seed_hex(std::string_view seed_hex);

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(EngineConfig config, std::uint64_t seed);
  // JSON config text ("" = defaults) and a hex seed (see parse_seed_hex).
  static Result<std::unique_ptr<Engine>> create(std::string_view config_json, std::string_view seed_hex);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineConfig& config() const;

  // --- events (hot path) -----------------------------------------------------
  // Result >= 0: kTrack* bits. Errors: invalid_json, invalid_event,
  // event_too_large, limit_exceeded (queue full); nothing is stored then.
  // ctx_json may be empty (no context).
  Result<int> track(std::string_view type, std::string_view props_json, std::string_view ctx_json,
                    std::int64_t now_ms);

  // --- delivery ----------------------------------------------------------------
  std::optional<DeliveryBatch> take_batch(std::int64_t now_ms, bool force);
  // Ids of the events acknowledged (events purged meanwhile are not among
  // them). unknown_batch if the id is not in flight.
  Result<std::vector<std::string>> ack(std::string_view batch_id, std::int64_t now_ms);
  Result<FailOutcome> fail(std::string_view batch_id, const FailureInfo& failure, std::int64_t now_ms);
  std::optional<std::int64_t> next_wakeup_ms(std::int64_t now_ms) const;
  std::size_t unpark(std::int64_t now_ms, bool include_rejected);

  // --- consent -----------------------------------------------------------------
  Result<ConsentUpdate> set_consent(std::string_view toggles_json, std::int64_t now_ms);
  Result<ConsentUpdate> set_purpose(Purpose purpose, bool granted, std::int64_t now_ms);
  Result<ConsentUpdate> apply_tcf(std::string_view tc_string, std::int64_t now_ms);
  Result<ConsentUpdate> apply_consent_mode(std::string_view states_json, std::int64_t now_ms);
  Result<ConsentUpdate> set_gpc(bool on, std::int64_t now_ms);
  const ConsentState& consent() const;
  // {"granted":[..],"gpc":b,"gpc_blocked":[..],"history":[..],"history_dropped":n,"policy_version":".."}
  nlohmann::json consent_json() const;

  // --- identity and modes --------------------------------------------------------
  // Pseudonymous id for later events ("" clears it). invalid_argument for
  // anything but 1..128 of [A-Za-z0-9._:-] (so never an e-mail).
  Status identify(std::string_view user_id);
  const std::string& user_id() const;
  const std::string& device_id() const;
  // Returns the number of held raw events purged (turning it on).
  std::size_t set_local_only(bool on);
  bool local_only() const;
  // Noised aggregates (aggregate.hpp) and a new window; nullopt without
  // analytics consent or with nothing counted.
  std::optional<nlohmann::json> take_aggregates(std::int64_t now_ms);

  // --- state -------------------------------------------------------------------
  std::string snapshot() const;
  Status restore(std::string_view snapshot_json);
  // Increments on every state change (what the host persists after).
  std::uint64_t revision() const;
  EngineCounters counters() const;
  QueueStats queue_stats() const;
  nlohmann::json stats_json() const;  // the Stats shape of wasm/gradvy_core.d.ts

  // --- data rights ---------------------------------------------------------------
  nlohmann::json export_data(std::int64_t now_ms) const;
  // Wipes queue, profile (preferences too), consent history (back to the
  // opt-in default), aggregates, user id, session; new device id if it was
  // generated; the config and the cumulative counters stay.
  void forget();

  // --- profile -------------------------------------------------------------------
  nlohmann::json profile_json(std::int64_t now_ms) const;
  nlohmann::json insights(std::int64_t now_ms) const;
  Status set_preferences(std::string_view preferences_json);

  // --- candidates and ranking --------------------------------------------------
  // Copies the n x d embeddings (row i = candidate i) and precomputes norms.
  // Errors: invalid_json, invalid_argument (metadata), empty_input,
  // limit_exceeded (n or d over the bound), non_finite, duplicate_id.
  Status set_candidates(std::string_view candidates_json, const float* embeddings, std::size_t n,
                        std::size_t d);
  std::size_t candidate_count() const;
  std::size_t candidate_dimension() const;
  // The ranking as JSON text ({"source","reason"?,"algorithm_version","items":[..]}).
  // invalid_state if no candidates were set; invalid_argument for bad options.
  Result<std::string> rerank_json(std::string_view options_json, std::int64_t now_ms);
  // The same ranking as flat numbers, for hosts that render from their own
  // candidate list (no JSON on the hot path): row indices into the candidate
  // set, scores, and kFactorCount weighted factor values per item in the
  // reranker's factor order (they sum to the score). The buffers stay valid
  // until the next rerank call. Detail strings: use rerank_json with explain.
  struct RankingBuffers {
    bool personalized = false;
    std::string fallback_reason;
    std::vector<std::uint32_t> indices;
    std::vector<double> scores;
    std::vector<double> factors;  // indices.size() x kFactorCount
  };
  Result<const RankingBuffers*> rerank_buffers(std::string_view options_json, std::int64_t now_ms);

  // Applies feedback to the profile (if personalization is granted) and queues
  // a recommendation_feedback event (if its purpose is). Returns the track bits.
  Result<int> feedback(std::string_view item_id, std::string_view kind, std::string_view reason,
                       std::int64_t now_ms);

  // --- experiments ---------------------------------------------------------------
  // {"experiment","variant","exposure_queued"}; queues experiment_exposure.
  Result<nlohmann::json> variant(std::string_view experiment_id, std::string_view variants_json,
                                 std::int64_t now_ms);

  static constexpr std::string_view kSnapshotFormat = "gradvy.snapshot";
  static constexpr int kSnapshotVersion = 1;

  struct State;  // every part; defined in engine_state.hpp (private to core/src)

 private:
  explicit Engine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gradvy
