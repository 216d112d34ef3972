// Engine::State: every part the engine composes. Private to core/src: the
// public API is engine.hpp. A State is built whole (create, restore, forget)
// and swapped in, which is what makes restore all-or-nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "gradvy/aggregate.hpp"
#include "gradvy/consent_state.hpp"
#include "gradvy/engine.hpp"
#include "gradvy/engine_config.hpp"
#include "gradvy/event_builder.hpp"
#include "gradvy/profile.hpp"
#include "gradvy/queue.hpp"
#include "gradvy/random.hpp"
#include "gradvy/rerank_candidates.hpp"
#include "gradvy/rerank_options.hpp"

namespace gradvy {

struct Engine::State {
  State(const EngineConfig& engine_config, std::uint64_t seed)
      : config(engine_config), rng(seed), events(engine_config.events), queue(rng), profile(engine_config.profile) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  EngineConfig config;
  std::string device_id;
  bool device_id_generated = false;  // made from the seed: forget() makes a new one
  bool local_only = false;

  Rng rng;  // ids, batch ids, jitter, noise: one stream, snapshotted
  EventBuilder events;
  ConsentState consent;
  EventQueue queue;  // holds &rng: a State never moves
  LearnerProfile profile;
  LocalAggregates aggregates;
  EngineCounters counters;
  std::uint64_t cleared_by_local_only = 0;  // part of the queue's dropped_cleared
  std::uint64_t revision = 0;

  // Cache, not state: not in the snapshot, kept across restore.
  std::optional<CandidateSet> candidates;
  RerankOptions base_options;       // defaults + config.ranker
  std::string last_options_text;    // per-call options parse cache
  RerankOptions last_options;
  bool last_options_valid = false;
  RankingBuffers ranking_buffers;  // rerank_buffers output, reused
  // "experiment\x1fvariant" -> session id its exposure was queued in.
  std::map<std::string, std::string> exposures_logged;
};

}  // namespace gradvy
