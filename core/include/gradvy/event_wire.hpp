// Server-side check of a complete stamped event as it travels in a batch,
// using exactly the device's schema code (event_schema.hpp).
//
// Envelope rules:
//   id          lower-case UUID (required)
//   type        a built-in type, or any well-formed custom name x_[a-z0-9_]{1,62}
//               (the server cannot know a device's custom-type registry)
//   ts          integer ms, 0 .. 2^53-1
//   seq         integer, 1 .. 2^53-1
//   session_id  lower-case UUID
//   user_id     optional; the user-id rule (pseudonymous, never an e-mail)
//   purpose     built-in types: exactly their built-in purpose; custom types:
//               any purpose name (essential, analytics, ...)
//   props       the type's props rules (custom: the generic custom rules)
//   ctx         optional; the ctx rules
// Unknown envelope keys are refused. The whole event (compact JSON) must fit
// max_event_bytes. PII is not re-scanned here: the device scrubs before
// storing; a server that wants defence in depth can run scrub_pii itself.
// Failures: invalid_json, invalid_event ("<field>: <rule>"), event_too_large.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gradvy/event_config.hpp"
#include "gradvy/event_types.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

struct WireLimits {
  std::size_t max_event_bytes = kDefaultMaxEventBytes;
};

// The envelope of a validated wire event, for the server's columns.
struct WireEvent {
  std::string id;
  EventType type = EventType::page_view;  // EventType::custom for x_ types
  std::string type_name;
  std::int64_t ts = 0;
  std::uint64_t seq = 0;
  std::string session_id;
  std::string user_id;  // "" when absent
  Purpose purpose = Purpose::analytics;
  // props.course_id and props.action of a course_interaction (decoded); ""
  // for every other type. The server keeps them as interaction columns.
  std::string course_id;
  std::string action;
};

Result<WireEvent> read_wire_event(std::string_view text, const WireLimits& limits = WireLimits());
// The same check, filling `out` in place: a caller that reuses one WireEvent
// per thread reads a steady stream of events without allocating. On failure
// `out` holds unspecified values.
Status read_wire_event_into(std::string_view text, const WireLimits& limits, WireEvent& out);
Status validate_wire_event(std::string_view text, const WireLimits& limits = WireLimits());
// Same rules on a parsed event (serialized compactly, then checked).
Status validate_wire_event(const nlohmann::json& event, const WireLimits& limits = WireLimits());

}  // namespace gradvy
