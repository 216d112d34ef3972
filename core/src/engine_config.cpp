#include "gradvy/engine_config.hpp"

#include <string>

#include "gradvy/aggregate.hpp"
#include "gradvy/consent_record.hpp"
#include "gradvy/event_config.hpp"
#include "gradvy/event_schema.hpp"
#include "gradvy/json_tree.hpp"

namespace gradvy {
namespace {

Status invalid(const std::string& message) { return Status(ErrorCode::invalid_argument, message); }

constexpr const char* kKnownKeys[] = {"device_id", "user_id",          "local_only", "policy_version",
                                      "gpc_also_withdraw", "aggregate_epsilon", "queue", "profile",
                                      "events", "ranker"};

}  // namespace

Status validate_pseudonymous_id(std::string_view id, std::string_view field) {
  const std::string name(field);
  if (id.empty() || id.size() > 128) return invalid(name + ": must be 1..128 characters");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return invalid(name + ": only letters, digits and . _ : - are allowed");
  }
  return Status();
}

Result<EngineConfig> engine_config_from_json(std::string_view text) {
  EngineConfig config;
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return config;  // "" = defaults
  const auto tree = parse_json_tree(text);
  if (!tree.ok()) return Result<EngineConfig>(ErrorCode::invalid_json, "config: not valid JSON");
  const nlohmann::json& doc = *tree;
  if (!doc.is_object()) return Result<EngineConfig>(invalid("config: must be an object"));
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    bool known = false;
    for (const char* key : kKnownKeys) known = known || it.key() == key;
    if (!known) return Result<EngineConfig>(invalid("config." + it.key() + ": unknown option"));
  }
  auto string_field = [&](const char* key, std::string& out) -> Status {
    auto found = doc.find(key);
    if (found == doc.end()) return Status();
    if (!found->is_string()) return invalid(std::string("config.") + key + ": must be a string");
    out = found->get<std::string>();
    return Status();
  };
  Status s;
  if (!(s = string_field("device_id", config.device_id)).ok()) return s;
  if (!config.device_id.empty() && !(s = validate_pseudonymous_id(config.device_id, "config.device_id")).ok())
    return s;
  if (!(s = string_field("user_id", config.user_id)).ok()) return s;
  if (!config.user_id.empty()) {
    Status user = validate_user_id(config.user_id);
    if (!user.ok()) return invalid("config.user_id: " + user.message());
  }
  if (!(s = string_field("policy_version", config.policy_version)).ok()) return s;
  Status policy = validate_policy_version(config.policy_version);
  if (!policy.ok()) return invalid("config.policy_version: " + policy.message());

  if (auto found = doc.find("local_only"); found != doc.end()) {
    if (!found->is_boolean()) return invalid("config.local_only: must be a boolean");
    config.local_only = found->get<bool>();
  }
  if (auto found = doc.find("gpc_also_withdraw"); found != doc.end()) {
    auto set = purpose_set_from_json(*found, "config.gpc_also_withdraw");
    if (!set.ok()) return invalid(set.message());
    if (set->contains(Purpose::essential)) return invalid("config.gpc_also_withdraw: essential cannot be withdrawn");
    config.gpc_also_withdraw = *set;
  }
  if (auto found = doc.find("aggregate_epsilon"); found != doc.end()) {
    if (!found->is_number()) return invalid("config.aggregate_epsilon: must be a number");
    config.aggregate_epsilon = found->get<double>();
  }
  if (!(config.aggregate_epsilon >= kMinAggregateEpsilon && config.aggregate_epsilon <= kMaxAggregateEpsilon))
    return invalid("config.aggregate_epsilon: must be between " + write_json(kMinAggregateEpsilon) + " and " +
                   write_json(kMaxAggregateEpsilon));
  if (auto found = doc.find("queue"); found != doc.end()) {
    auto queue = queue_config_from_json(*found);
    if (!queue.ok()) return queue.status();
    config.queue = *queue;
  }
  if (auto found = doc.find("profile"); found != doc.end()) {
    auto profile = ProfileConfig::from_json(*found);
    if (!profile.ok()) return profile.status();
    config.profile = *profile;
  }
  if (auto found = doc.find("events"); found != doc.end()) {
    auto events = event_config_from_json(*found);
    if (!events.ok()) return events.status();
    config.events = *events;
  }
  if (auto found = doc.find("ranker"); found != doc.end()) {
    if (!found->is_object()) return invalid("config.ranker: must be an object");
    config.ranker = *found;  // validated by the ranker when the engine is created
  }
  return config;
}

nlohmann::json to_json(const EngineConfig& config) {
  return {
      {"device_id", config.device_id},
      {"user_id", config.user_id},
      {"local_only", config.local_only},
      {"policy_version", config.policy_version},
      {"gpc_also_withdraw", purpose_set_to_json(config.gpc_also_withdraw)},
      {"aggregate_epsilon", config.aggregate_epsilon},
      {"queue", queue_config_to_json(config.queue)},
      {"profile", config.profile.to_json()},
      {"events", to_json(config.events)},
      {"ranker", config.ranker},
  };
}

}  // namespace gradvy
