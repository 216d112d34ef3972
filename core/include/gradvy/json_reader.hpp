// A small, strict JSON reader for the event hot path.
//
// Why not nlohmann::json: parsing a 40-byte props object with nlohmann costs a
// few hundred ns and a dozen allocations (map nodes, strings). This reader
// parses into one reusable vector of nodes whose strings are views, so a
// steady-state parse allocates nothing.
//
// Strictness (RFC 8259, no extensions): one value, surrounded only by
// whitespace; no comments, trailing commas, NaN/Infinity, leading zeros or
// lone surrogates; strings must be valid UTF-8 (no overlongs, no surrogates,
// nothing above U+10FFFF) and must not contain raw control characters;
// duplicate keys in an object are refused; numbers must be finite doubles.
// Depth and byte limits are explicit (JsonLimits).
//
// Layout: nodes are stored in document order (pre-order). A container's
// children follow it directly; `end` is the index one past its subtree, so the
// next sibling of node i is node nodes[i].end. Object members carry their
// (decoded) name in `key`.
//
// Lifetime: string views point either into the parsed text (strings without
// escapes) or into the document's own buffer (decoded escapes). Keep the text
// alive and do not re-parse while you hold views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradvy/status.hpp"

namespace gradvy {

enum class JsonKind : std::uint8_t { null_value, boolean, number, string, array, object };

std::string_view to_string(JsonKind kind);

struct JsonNode {
  JsonKind kind = JsonKind::null_value;
  bool boolean = false;      // value of a boolean
  std::uint32_t end = 0;     // index one past the last node of this subtree
  std::uint32_t count = 0;   // direct children of an array/object
  std::string_view key;      // member name when the parent is an object
  std::string_view text;     // decoded string value, or a number's source text
  double number = 0;         // value of a number
};

struct JsonLimits {
  std::size_t max_depth = 16;        // root container = depth 1
  std::size_t max_bytes = 1u << 20;  // longer text is refused before parsing
};

class JsonDocument {
 public:
  // Parses `text`, replacing any previous content. On failure the document is
  // empty and the status is invalid_json with "at byte N: <rule>" (or
  // limit_exceeded for the byte/depth limits).
  Status parse(std::string_view text, const JsonLimits& limits = {});

  bool empty() const { return nodes_.empty(); }
  std::uint32_t size() const { return static_cast<std::uint32_t>(nodes_.size()); }
  const JsonNode& node(std::uint32_t index) const { return nodes_[index]; }
  const JsonNode& root() const { return nodes_[0]; }

  // First child of a container (valid only when count > 0) and next sibling.
  static std::uint32_t first_child(std::uint32_t index) { return index + 1; }
  std::uint32_t next_sibling(std::uint32_t index) const { return nodes_[index].end; }

  // Index of the member named `key` in the object at `index`, or 0 if absent
  // (0 is always the root, never a member).
  std::uint32_t find_member(std::uint32_t index, std::string_view key) const;

  // Nesting depth of the subtree at `index` (a scalar is 0, {} is 1).
  std::size_t depth_of(std::uint32_t index) const;

 private:
  friend class JsonParser;
  std::vector<JsonNode> nodes_;
  std::string decoded_;  // reserved to the text size so views never move
};

}  // namespace gradvy
