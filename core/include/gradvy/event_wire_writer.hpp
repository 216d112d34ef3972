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
  // passed the size limit. `ctx_member` is what write_ctx rendered (may be
  // empty) and `ctx_redacted` its redaction count; `layout` is ignored for
  // custom types.
  void write(const WireEnvelope& envelope, EventType type, const JsonDocument& props, std::uint32_t props_index,
             const PropsLayout& layout, std::string_view ctx_member, std::uint32_t ctx_redacted,
             const PiiKeyFilter& filter, JsonOut& out, StampedEvent* event);

  // Appends the `,"ctx":{...}` member of a validated context to `out`, or nothing
  // when every member is empty, and adds its redactions to `counts`. Separate
  // from write() so that a context repeated call after call is rendered once.
  void write_ctx(const JsonDocument& ctx, std::uint32_t ctx_index, JsonOut& out, PiiCounts& counts);

 private:
  void write_scrubbed(JsonOut& out, std::string_view text, PiiCounts& counts);
  void write_free(JsonOut& out, const JsonDocument& doc, std::uint32_t index, const PiiKeyFilter& filter,
                  PiiCounts& counts);

  std::string scratch_;  // reused for scrubbed text
};

}  // namespace gradvy
