// Writes the canonical wire JSON of one validated event, scrubbing PII on the
// way out (so nothing unscrubbed is ever stored) and recording where the
// profile's fields are.
//
// Canonical form: no whitespace; envelope keys in the fixed order
//   id, type, ts, seq, session_id, user_id (omitted when anonymous), purpose,
//   props, ctx (omitted when empty)
// props and ctx members in the caller's order minus dropped keys; numbers as
// the caller wrote them (already validated JSON number syntax); strings
// escaped by append_json_string (", \ and control characters).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gradvy/event_schema.hpp"
#include "gradvy/event_stamped.hpp"
#include "gradvy/json_reader.hpp"
#include "gradvy/json_writer.hpp"
#include "gradvy/pii_key_filter.hpp"

namespace gradvy {

struct WireEnvelope {
  std::string_view id;
  std::string_view type_name;
  std::int64_t ts = 0;
  std::uint64_t seq = 0;
  std::string_view session_id;
  std::string_view user_id;  // "" = anonymous; must need no escaping (validate_user_id)
  Purpose purpose = Purpose::analytics;
};

class EventWireWriter {
 public:
  // Writes the wire form into `out` (cleared first) and fills `event`'s spans,
  // facts and PII counts; the caller copies `out` into the event once it has
  // passed the size limit. `ctx` may be null; `layout` is ignored for custom
  // types.
  void write(const WireEnvelope& envelope, EventType type, const JsonDocument& props, std::uint32_t props_index,
             const PropsLayout& layout, const JsonDocument* ctx, std::uint32_t ctx_index,
             const PiiKeyFilter& filter, JsonOut& out, StampedEvent* event);

 private:
  void write_scrubbed(JsonOut& out, std::string_view text, PiiCounts& counts);
  void write_free(JsonOut& out, const JsonDocument& doc, std::uint32_t index, const PiiKeyFilter& filter,
                  PiiCounts& counts);

  std::string scratch_;  // reused for scrubbed text
};

}  // namespace gradvy
