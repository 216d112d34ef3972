// nlohmann::json trees read and written by the core's own JSON code.
//
// Why: the core keeps nlohmann::json as its tree type (config, snapshots,
// exports), but parsing goes through JsonDocument (json_reader.hpp) and
// writing through json_writer.hpp. nlohmann's lexer, parser and serializer
// (and the printf they pull in) then never reach the wasm module, which
// ships one JSON parser instead of two.
//
// parse_json_tree: the reader's strict rules (RFC 8259, valid UTF-8, no
// duplicate keys, finite numbers). Integers written without '.', 'e' or 'E'
// become number_unsigned (>= 0) or number_integer (< 0) when they fit 64
// bits, as nlohmann's own parser does; every other number is number_float.
// Errors: invalid_json "at byte N: <rule>", limit_exceeded for the limits.
//
// write_json: compact, keys in the tree's (sorted) order, the same text as
// nlohmann's dump(-1) with error_handler_t::replace: doubles in shortest
// round-trip form ("1.0", "0.1", "1e+20"), NaN/Inf as null, bytes that are
// not valid UTF-8 replaced by U+FFFD.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gradvy/json_reader.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// Without limits: no byte limit of the reader's own (callers bound their
// inputs), nesting far beyond any document the core writes.
Result<nlohmann::json> parse_json_tree(std::string_view text);
Result<nlohmann::json> parse_json_tree(std::string_view text, const JsonLimits& limits);

std::string write_json(const nlohmann::json& value);

// The rule of a config number out of range: "must be a number between LO and
// HI", the bounds written as write_json writes numbers.
std::string number_between_rule(double lo, double hi);

}  // namespace gradvy
