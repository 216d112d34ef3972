#include "gradvy/event_config.hpp"

#include "gradvy/event_schema.hpp"
#include "gradvy/event_types.hpp"
#include "gradvy/pii_key_filter.hpp"

namespace gradvy {

namespace {

Status bad(std::string message) { return Status(ErrorCode::invalid_argument, std::move(message)); }

Status read_string_list(const nlohmann::json& json, const char* field, std::vector<std::string>* out) {
  if (!json.is_array()) return bad(std::string(field) + ": must be an array of strings");
  if (json.size() > kMaxDropKeys) return bad(std::string(field) + ": must have at most 256 entries");
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (!json[i].is_string()) {
      return bad(std::string(field) + "[" + std::to_string(i) + "]: must be a string");
    }
    out->push_back(json[i].get<std::string>());
  }
  return Status();
}

}  // namespace

std::vector<std::string> EventConfig::default_drop_keys() {
  return std::vector<std::string>(kDefaultDropKeys.begin(), kDefaultDropKeys.end());
}

Status validate_event_config(const EventConfig& config) {
  if (config.session_idle_ms < kMinSessionIdleMs || config.session_idle_ms > kMaxSessionIdleMs) {
    return bad("session_idle_ms: must be an integer between 1000 and 2592000000");
  }
  if (config.max_event_bytes < kMinMaxEventBytes || config.max_event_bytes > kMaxMaxEventBytes) {
    return bad("max_event_bytes: must be an integer between 512 and 1048576");
  }
  if (config.drop_keys.size() > kMaxDropKeys) return bad("drop_keys: must have at most 256 entries");
  for (const auto& key : config.drop_keys) {
    const std::string normalized = normalize_drop_key(key);
    if (normalized.empty()) {
      return bad("drop_keys: \"" + key.substr(0, 64) + "\" must have 1-64 letters or digits");
    }
    for (int f = 0; f < kPropFieldCount; ++f) {
      if (normalize_drop_key(to_string(static_cast<PropField>(f))) == normalized) {
        return bad("drop_keys: \"" + key + "\" names a built-in event property and cannot be dropped");
      }
    }
  }
  if (config.custom_types.size() > kMaxCustomTypes) return bad("custom_types: must have at most 256 entries");
  for (const auto& entry : config.custom_types) {
    if (!is_custom_type_name(entry.first)) {
      return bad("custom_types." + entry.first.substr(0, 64) +
                 ": custom type names must be x_ followed by 1-62 of a-z 0-9 _");
    }
  }
  return Status();
}

Result<EventConfig> event_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return bad("event config: must be a JSON object");
  EventConfig config;
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& value = it.value();
    if (key == "session_idle_ms") {
      if (!value.is_number_integer()) return bad("session_idle_ms: must be an integer between 1000 and 2592000000");
      config.session_idle_ms = value.get<std::int64_t>();
    } else if (key == "max_event_bytes") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        return bad("max_event_bytes: must be an integer between 512 and 1048576");
      }
      config.max_event_bytes = static_cast<std::size_t>(value.get<std::int64_t>());
    } else if (key == "drop_keys") {
      config.drop_keys.clear();
      Status status = read_string_list(value, "drop_keys", &config.drop_keys);
      if (!status.ok()) return status;
    } else if (key == "custom_types") {
      if (!value.is_object()) return bad("custom_types: must be an object mapping x_ type names to purposes");
      for (auto entry = value.begin(); entry != value.end(); ++entry) {
        if (!entry.value().is_string()) {
          return bad("custom_types." + entry.key() + ": must be a purpose name");
        }
        const auto purpose = parse_purpose(entry.value().get<std::string>());
        if (!purpose) {
          return bad("custom_types." + entry.key() +
                     ": must be one of essential, analytics, personalization, marketing, social_integration, "
                     "external_enrichment");
        }
        config.custom_types[entry.key()] = *purpose;
      }
    } else if (key != "extra_drop_keys") {
      return bad("event config: unknown field \"" + key +
                 "\" (allowed: session_idle_ms, max_event_bytes, drop_keys, extra_drop_keys, custom_types)");
    }
  }
  // Applied after drop_keys so the order of the two fields does not matter.
  const auto extra = json.find("extra_drop_keys");
  if (extra != json.end()) {
    Status status = read_string_list(*extra, "extra_drop_keys", &config.drop_keys);
    if (!status.ok()) return status;
  }
  Status status = validate_event_config(config);
  if (!status.ok()) return status;
  return config;
}

nlohmann::json to_json(const EventConfig& config) {
  nlohmann::json json = nlohmann::json::object();
  json["session_idle_ms"] = config.session_idle_ms;
  json["max_event_bytes"] = config.max_event_bytes;
  json["drop_keys"] = config.drop_keys;
  nlohmann::json types = nlohmann::json::object();
  for (const auto& entry : config.custom_types) types[entry.first] = std::string(to_string(entry.second));
  json["custom_types"] = std::move(types);
  return json;
}

}  // namespace gradvy
