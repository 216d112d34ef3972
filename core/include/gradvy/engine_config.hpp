// Configuration of the Engine: one JSON document from the host (createEngine),
// validated as a whole. Missing keys keep their defaults; unknown keys are
// refused (a typo must not silently fall back to a default).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/event_config.hpp"
#include "gradvy/profile_config.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy/queue_config.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

struct EngineConfig {
  // Pseudonymous device id sent in every batch envelope; empty = generated
  // from the seed (uuid4) and kept in the snapshot. 1..128 of [A-Za-z0-9._:-].
  std::string device_id;
  // Pseudonymous user id stamped on events; may be set later (identify).
  std::string user_id;
  // Start in local-only mode (raw events never queued; see aggregate.hpp).
  bool local_only = false;
  // Privacy-policy version recorded with every consent change.
  std::string policy_version = "1";
  // The app's GPC policy: purposes withdrawn (and kept withdrawn) while the
  // Global Privacy Control signal is on, on top of marketing.
  PurposeSet gpc_also_withdraw;
  // Laplace budget per aggregate release (kMin/kMaxAggregateEpsilon).
  double aggregate_epsilon = 1.0;

  EventConfig events;    // session idle time, event byte limit, PII drop keys, custom types
  QueueConfig queue;
  ProfileConfig profile;
  // Validated by the ranker when the engine is created (kept as JSON so the
  // engine does not duplicate its schema).
  nlohmann::json ranker = nlohmann::json::object();
};

// Parses the host's JSON text ("" means defaults) and validates every field.
// invalid_json / invalid_argument naming the field.
Result<EngineConfig> engine_config_from_json(std::string_view text);

// Every field under the names engine_config_from_json reads.
nlohmann::json to_json(const EngineConfig& config);

// Ok for 1..128 characters of [A-Za-z0-9._:-]; `field` names the value.
Status validate_pseudonymous_id(std::string_view id, std::string_view field);

}  // namespace gradvy
