// Finds the raw text of each element of a batch body's "events" array, so each
// event is validated by the core (gradvy::read_wire_event) and stored exactly
// as the device sent it, without a second JSON tree for the whole batch.
//
// Precondition: `body` is valid JSON (checked by gradvy::JsonDocument first);
// the scanner only tracks strings and nesting.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace gradvy_sync {

// The raw value of the top-level object member `name` (compared byte-wise on
// the member name as written; a name spelled with escapes is not found), or
// nullopt when absent or when `body` is not an object.
std::optional<std::string_view> find_top_level_member(std::string_view body, std::string_view name);

// The raw text of each element of a JSON array value (whitespace trimmed).
std::vector<std::string_view> split_json_array(std::string_view array_text);

// The fast path's single pass over a batch body, WITHOUT the precondition
// above: it checks the structure between values strictly (whitespace, ':',
// ',', braces, nothing after the object) and cuts every top-level member's
// value and every element of "events"; the values themselves are NOT checked
// here; the caller must run a strict parser over each slice (the events go
// through the core's validator, the other members through JsonDocument). When
// every slice then parses, the body is exactly as valid as a whole-body parse
// would have found it. Returns false (caller falls back to the whole-body
// parse) for anything unusual: a member name with an escape or control byte,
// a duplicate member, "events" that is not an array of objects, bad structure.
struct BatchBodySlices {
  std::vector<std::pair<std::string_view, std::string_view>> members;  // name, raw value (not "events")
  std::vector<std::string_view> events;                                // raw elements of "events"
  bool has_events = false;
};
bool slice_batch_body(std::string_view body, BatchBodySlices& out);

}  // namespace gradvy_sync
