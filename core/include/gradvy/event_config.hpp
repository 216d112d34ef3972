// Configuration of the event pipeline, with documented defaults; buildable
// from the JSON the host passes at start-up.
//
// JSON form (every key optional; unknown keys are refused):
//   {
//     "session_idle_ms": 1800000,   // new session after this much idle time; 1000 .. 2592000000 (30 days)
//     "max_event_bytes": 32768,     // wire size limit per event; 512 .. 1048576
//     "drop_keys": [...],           // REPLACES the default drop list (kDefaultDropKeys)
//     "extra_drop_keys": [...],     // added to the drop list
//     "custom_types": { "x_video_chapter": "personalization", ... }   // type -> upload purpose
//   }
// A drop key may not name a built-in prop (e.g. "query"): dropping it would
// make valid events invalid, so that is refused at configuration time.
// A custom type may declare any purpose, including "essential"; note that
// essential events are sent without consent, so reserve it for events that
// are strictly necessary for the service.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/purpose.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

inline constexpr std::int64_t kDefaultSessionIdleMs = 30 * 60 * 1000;
inline constexpr std::int64_t kMinSessionIdleMs = 1000;
inline constexpr std::int64_t kMaxSessionIdleMs = 30ll * 24 * 3600 * 1000;
inline constexpr std::size_t kDefaultMaxEventBytes = 32 * 1024;
inline constexpr std::size_t kMinMaxEventBytes = 512;
inline constexpr std::size_t kMaxMaxEventBytes = 1024 * 1024;
inline constexpr std::size_t kMaxCustomTypes = 256;
inline constexpr std::size_t kMaxDropKeys = 256;

struct EventConfig {
  std::int64_t session_idle_ms = kDefaultSessionIdleMs;
  std::size_t max_event_bytes = kDefaultMaxEventBytes;
  std::vector<std::string> drop_keys = default_drop_keys();
  std::map<std::string, Purpose, std::less<>> custom_types;

  static std::vector<std::string> default_drop_keys();
};

// Checks every bound above; invalid_argument naming the field otherwise.
Status validate_event_config(const EventConfig& config);

Result<EventConfig> event_config_from_json(const nlohmann::json& json);
nlohmann::json to_json(const EventConfig& config);

}  // namespace gradvy
