// Strict UTF-8 checks (no overlongs, no surrogates, nothing above U+10FFFF),
// shared by the queue (every pushed event) and the JSON tree writer.
#pragma once

#include <cstddef>
#include <string_view>

namespace gradvy {

// Length of the well-formed sequence whose lead byte (>= 0x80) is at p, or 0.
std::size_t utf8_sequence_length(const unsigned char* p, std::size_t available);

// Why the sequence at p (where utf8_sequence_length gave 0) is malformed, as
// a parse error's rule: "invalid UTF-8", or with the reason when the lead byte
// is fine but the value is not (overlong, surrogate, above U+10FFFF).
const char* invalid_utf8_rule(const unsigned char* p, std::size_t available);

// Index of the first byte that does not begin a well-formed sequence, or
// npos. ASCII runs (almost all wire JSON) are skipped 32 bytes at a time.
std::size_t first_invalid_utf8(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return first_invalid_utf8(text) == std::string_view::npos; }

}  // namespace gradvy
