// Turns a host's track(type, props, ctx) into a validated, stamped, scrubbed
// StampedEvent, or refuses it whole: a refused event changes no state (seq,
// session, RNG are untouched).
//
// Stamping:
// - id: uuid4 from the injected Rng (the same layout and draws as Rng::uuid4).
// - seq: per device, 1, 2, 3, ... (survives restarts through to_json/restore).
// - session_id: a new uuid4 on the first event, and whenever the time since
//   the previous accepted event is >= session_idle_ms (exactly the bound
//   rolls over). A clock that jumps BACK by >= session_idle_ms also starts a
//   new session; a smaller backwards jump stays in the session. reset_identity()
//   (logout) ends the session too.
// - ts: the caller's now_ms, which must be 0 .. 2^53-1.
// - user_id: set by identify(); omitted from the wire while anonymous.
// - purpose: built-in (analytics; recommendation_* -> personalization) or the
//   custom type's registered purpose.
//
// Failure codes: invalid_argument (now_ms), invalid_json (props/ctx text),
// invalid_event (a schema rule: the message names the field and the rule),
// event_too_large (wire form over max_event_bytes, message gives both sizes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gradvy/event_config.hpp"
#include "gradvy/event_schema.hpp"
#include "gradvy/event_stamped.hpp"
#include "gradvy/event_wire_writer.hpp"
#include "gradvy/json_reader.hpp"
#include "gradvy/pii_key_filter.hpp"
#include "gradvy/random.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

inline constexpr std::int64_t kMaxTimestampMs = (1ll << 53) - 1;

// Builder state as kept in snapshots (to_json / restore), format version 1:
//   {"version":1, "seq":<last seq, 0 = none yet>, "session_id":<uuid|null>,
//    "last_activity_ms":<int|null, null iff session_id is null>, "user_id":<string|null>}
inline constexpr int kEventBuilderStateVersion = 1;

class EventBuilder {
 public:
  // `config` must pass validate_event_config (event_config_from_json does
  // that); use create() to check it.
  explicit EventBuilder(EventConfig config = EventConfig());
  static Result<EventBuilder> create(EventConfig config);

  // props_json: a JSON object ("" means {}); ctx_json: a JSON object, "null"
  // or "" (no ctx).
  Result<StampedEvent> build(std::string_view type, std::string_view props_json, std::string_view ctx_json,
                             std::int64_t now_ms, Rng& rng);
  // The same, written into the caller's default-constructed `out` (no moves
  // of the event on the hot path). On failure `out` holds nothing usable.
  Status build_into(std::string_view type, std::string_view props_json, std::string_view ctx_json,
                    std::int64_t now_ms, Rng& rng, StampedEvent* out);

  // Upload purpose of a type: built-in, registered custom, or invalid_event.
  Result<Purpose> purpose_of(std::string_view type) const;

  // Registers (or re-registers) a custom x_ type.
  Status register_custom_type(std::string_view type, Purpose purpose);

  // Pseudonymous user id (invalid_argument for e-mails, whitespace, quotes,
  // backslashes, > 128 bytes). Does not start a new session.
  Status identify(std::string_view user_id);
  // Logout: forget the user id and end the session; seq continues.
  void reset_identity();

  const std::string& user_id() const { return user_id_; }
  std::string_view session_id() const { return has_session_ ? std::string_view(session_id_, 36) : std::string_view(); }
  std::uint64_t last_seq() const { return seq_; }
  std::int64_t last_activity_ms() const { return last_activity_ms_; }
  const EventConfig& config() const { return config_; }

  nlohmann::json to_json() const;
  // snapshot_version for a foreign version, snapshot_corrupt for anything
  // else wrong; on failure the current state is unchanged.
  Status restore(const nlohmann::json& state);

 private:
  Status parse_input(std::string_view what, std::string_view text, std::size_t max_depth, JsonDocument* doc);

  EventConfig config_;
  PiiKeyFilter filter_;
  JsonDocument props_doc_;
  JsonDocument ctx_doc_;
  EventWireWriter writer_;
  JsonOut wire_buffer_;  // reused; an event's string is allocated once, at its final size
  // The last context text that parsed and validated, and its rendered wire member.
  std::string ctx_text_;
  JsonOut ctx_member_;
  std::uint32_t ctx_redacted_ = 0;
  bool ctx_cached_ = false;

  std::uint64_t seq_ = 0;
  bool has_session_ = false;
  char session_id_[36] = {};
  std::int64_t last_activity_ms_ = 0;
  std::string user_id_;
};

// Writes a uuid4 drawn from `rng` into out[0..36) (same as rng.uuid4()).
void write_uuid4(Rng& rng, char* out);

}  // namespace gradvy
