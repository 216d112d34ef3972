// Finds the raw text of each element of a batch body's "events" array, so each
// event is validated by the core (gradvy::read_wire_event) and stored exactly
// as the device sent it, without a second JSON tree for the whole batch.
//
// Precondition: `body` is valid JSON (checked by gradvy::JsonDocument first);
// the scanner only tracks strings and nesting.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace gradvy_sync {

// The raw value of the top-level object member `name` (compared byte-wise on
// the member name as written; a name spelled with escapes is not found), or
// nullopt when absent or when `body` is not an object.
std::optional<std::string_view> find_top_level_member(std::string_view body, std::string_view name);

// The raw text of each element of a JSON array value (whitespace trimmed).
std::vector<std::string_view> split_json_array(std::string_view array_text);

}  // namespace gradvy_sync
