// The one definition of an event's props and ctx, shared by the device
// (EventBuilder) and the server (validate_wire_event). Operates on a parsed
// JsonDocument so both sides run exactly the same rules.
//
// ---------------------------------------------------------------------------
// Schema decisions (strict but practical; every bound is explicit)
// ---------------------------------------------------------------------------
// * Built-in types have a CLOSED set of props: an unknown key is refused
//   ("props.courseId: unknown property for course_interaction (allowed: ...)").
//   A typo silently producing wrong data is worse than a loud error at
//   development time; anything extra belongs in a custom `x_` type.
//   page_view takes no props (its URL is ctx.page_url).
// * Custom types `x_[a-z0-9_]{1,62}` take any JSON object: keys 1..128 bytes
//   without control characters, strings up to 4096 bytes, nesting up to
//   kMaxPropsDepth levels (props itself is level 1); the per-event byte limit
//   bounds the rest. All their strings are PII-scanned and their keys are
//   matched against the drop list at every depth.
// * Numbers are JSON numbers (a numeric string is refused), finite; "integer"
//   means an integral value (10 and 10.0 are both fine, 10.5 is not).
// * Durations are SECONDS (fractions allowed), 0..86400 (one day).
// * Identifiers (course_id, item_id, item_ids[], element_id, algorithm_version,
//   experiment, variant): 1..128 bytes of [A-Za-z0-9._:/-]. No '@' and no
//   spaces, so an e-mail cannot hide in one; they are NOT scanned for phone or
//   card numbers, since numeric ids (e.g. 16..19-digit snowflakes) would be
//   redacted about one time in ten.
// * Free text (search.query, recommendation_feedback.reason): 0..512 bytes of
//   UTF-8, PII-scanned. URLs (page_url, ctx.page_url, ctx.referrer): 1..2048
//   bytes starting with "https://", "http://" or "/", no whitespace or control
//   characters, PII-scanned (query strings often carry e-mails).
//
//   page_view                  {}
//   course_interaction         course_id: id, action: view|enroll|progress|complete|drop,
//                              duration?: seconds
//   learning_session           duration: seconds, completion_rate: number 0..1,
//                              content_type: token ([a-z][a-z0-9_-]{0,31}, e.g. "video")
//   quiz_attempt               score: number 0..total_questions,
//                              total_questions: integer 1..10000, time_taken: seconds,
//                              course_id?: id
//   search                     query: text, results_count: integer 0..1000000000,
//                              filters?: object of up to 32 members, keys 1..64 bytes,
//                              values string(<=256) | number | boolean | null | array of
//                              up to 32 strings/numbers/booleans (strings PII-scanned)
//   button_click, link_click,  element_id: id, page_url: url
//   form_submit
//   recommendation_impression  item_ids: array of 1..100 ids, algorithm_version: id
//   recommendation_feedback    item_id: id, feedback: thumbs_up|thumbs_down|dismissed,
//                              reason?: text
//   experiment_exposure        experiment: id, variant: id
//
// * ctx is optional: an object with optional page_url (url), referrer (url or
//   "", which is treated as absent: browsers report no referrer as "") and
//   locale (BCP 47 shape: 2..3 letters, then up to 4 subtags of 1..8
//   alphanumerics joined by '-' or '_', 35 bytes max). Unknown ctx keys are
//   refused.
// ---------------------------------------------------------------------------
#pragma once

#include <cstdint>
#include <string_view>

#include "gradvy/event_types.hpp"
#include "gradvy/json_reader.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

inline constexpr std::size_t kMaxPropsDepth = 8;
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxTextBytes = 512;
inline constexpr std::size_t kMaxUrlBytes = 2048;
inline constexpr std::size_t kMaxContentTypeBytes = 32;
inline constexpr double kMaxDurationSeconds = 86400;
inline constexpr double kMaxTotalQuestions = 10000;
inline constexpr double kMaxResultsCount = 1000000000;
inline constexpr std::size_t kMaxItemIds = 100;
inline constexpr std::size_t kMaxFilterMembers = 32;
inline constexpr std::size_t kMaxFilterKeyBytes = 64;
inline constexpr std::size_t kMaxFilterStringBytes = 256;
inline constexpr std::size_t kMaxFilterArray = 32;
inline constexpr std::size_t kMaxCustomKeyBytes = 128;
inline constexpr std::size_t kMaxCustomStringBytes = 4096;
inline constexpr std::size_t kMaxLocaleBytes = 35;

// Every named prop of the built-in types.
enum class PropField : std::uint8_t {
  course_id,
  action,
  duration,
  completion_rate,
  content_type,
  score,
  total_questions,
  time_taken,
  query,
  results_count,
  filters,
  element_id,
  page_url,
  item_ids,
  algorithm_version,
  item_id,
  feedback,
  reason,
  experiment,
  variant,
};
inline constexpr int kPropFieldCount = 20;

std::string_view to_string(PropField field);

// How a field's strings are written: PII-scanned (free text, URLs, filters)
// or verbatim (ids, enums, tokens, which the rules already keep clean).
bool is_pii_scanned(PropField field);

// The most props any built-in type has (quiz_attempt): a valid props object
// has at most this many members (unknown and duplicate keys are refused).
inline constexpr int kMaxBuiltInProps = 4;

// Where each validated field's value node is in the document (0 = absent),
// and which field each member is, in document order (so the wire writer
// does not search `slot` for every member).
struct PropsLayout {
  std::uint32_t slot[kPropFieldCount] = {};
  PropField member_field[kMaxBuiltInProps] = {};
  std::uint32_t operator[](PropField field) const { return slot[static_cast<int>(field)]; }
};

// Validates the props object at `props_index` against `type`'s rules and
// fills `layout` (built-in types only; custom types use validate_custom_props).
// Fails with invalid_event and "props.<field>: <rule>".
Status validate_built_in_props(EventType type, const JsonDocument& doc, std::uint32_t props_index,
                               PropsLayout* layout);

// Rules for a custom type's props (any object within the bounds above).
Status validate_custom_props(const JsonDocument& doc, std::uint32_t props_index);

// Validates the ctx object at `ctx_index` ("ctx.<field>: <rule>").
Status validate_ctx(const JsonDocument& doc, std::uint32_t ctx_index);

// Field rules shared with the envelope.
bool is_id_token(std::string_view value);      // the identifier rule above
bool is_url(std::string_view value);           // the URL rule above
bool is_locale(std::string_view value);        // the locale rule above
bool is_content_type(std::string_view value);  // the token rule above
bool is_uuid(std::string_view value);          // lower-case 8-4-4-4-12 hex

// user_id: 1..128 bytes of UTF-8 without whitespace, control characters,
// quotes or backslashes, and never an e-mail address (the id must be pseudonymous).
inline constexpr std::size_t kMaxUserIdBytes = 128;
Status validate_user_id(std::string_view user_id);

// The refusal of an event whose wire text is over the per-event limit, the
// same on the device (after building it) and on the server (on arrival):
// event_too_large, "event: N bytes; the limit is M bytes".
Status event_too_large(std::size_t bytes, std::size_t limit);

}  // namespace gradvy
