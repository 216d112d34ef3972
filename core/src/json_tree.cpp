#include "gradvy/json_tree.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "gradvy/json_writer.hpp"
#include "gradvy/utf8.hpp"

namespace gradvy {

using json = nlohmann::json;

namespace {

bool is_integer_text(std::string_view text) {
  return text.find_first_of(".eE") == std::string_view::npos;
}

json number_of(const JsonNode& node) {
  const std::string_view text = node.text;
  if (is_integer_text(text)) {
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (text.front() == '-') {
      std::int64_t value = 0;
      const auto r = std::from_chars(first, last, value);
      if (r.ec == std::errc() && r.ptr == last) return json(value);
    } else {
      std::uint64_t value = 0;
      const auto r = std::from_chars(first, last, value);
      if (r.ec == std::errc() && r.ptr == last) return json(value);
    }
  }
  return json(node.number);  // beyond 64 bits too, as nlohmann does
}

json build(const JsonDocument& doc, std::uint32_t at) {
  const JsonNode& node = doc.node(at);
  switch (node.kind) {
    case JsonKind::null_value: return json(nullptr);
    case JsonKind::boolean: return json(node.boolean);
    case JsonKind::number: return number_of(node);
    case JsonKind::string: return json(std::string(node.text));
    case JsonKind::array: {
      json out = json::array();
      auto& items = out.get_ref<json::array_t&>();
      items.reserve(node.count);
      for (std::uint32_t i = JsonDocument::first_child(at); i < node.end; i = doc.next_sibling(i)) {
        items.push_back(build(doc, i));
      }
      return out;
    }
    case JsonKind::object: {
      json out = json::object();
      auto& members = out.get_ref<json::object_t&>();
      for (std::uint32_t i = JsonDocument::first_child(at); i < node.end; i = doc.next_sibling(i)) {
        members.emplace(std::string(doc.node(i).key), build(doc, i));
      }
      return out;
    }
  }
  return json(nullptr);
}

void append_string(std::string& out, std::string_view s) {
  std::size_t bad = first_invalid_utf8(s);
  if (bad == std::string_view::npos) {
    append_json_string(out, s);
    return;
  }
  // Rare (text that never went through the reader): U+FFFD per bad byte.
  std::string clean(s.substr(0, bad));
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = bad; i < s.size();) {
    if (p[i] < 0x80) {
      clean.push_back(s[i++]);
      continue;
    }
    const std::size_t length = utf8_sequence_length(p + i, s.size() - i);
    if (length == 0) {
      clean += "\xEF\xBF\xBD";
      ++i;
    } else {
      clean.append(s.data() + i, length);
      i += length;
    }
  }
  append_json_string(out, clean);
}

void append_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[64];
  const char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

JsonLimits tree_limits(std::string_view text) {
  JsonLimits limits;
  limits.max_depth = 128;
  limits.max_bytes = text.size() + 1;
  return limits;
}

void append_json_tree(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::null: out += "null"; return;
    case json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case json::value_t::number_integer: append_json_int(out, value.get<std::int64_t>()); return;
    case json::value_t::number_unsigned: append_json_uint(out, value.get<std::uint64_t>()); return;
    case json::value_t::number_float: append_double(out, value.get<double>()); return;
    case json::value_t::string: append_string(out, value.get_ref<const std::string&>()); return;
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const json& item : value.get_ref<const json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_tree(out, item);
      }
      out.push_back(']');
      return;
    }
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, key);
        out.push_back(':');
        append_json_tree(out, item);
      }
      out.push_back('}');
      return;
    }
    case json::value_t::binary:     // never built by the core
    case json::value_t::discarded:  // only a failed nlohmann parse makes one
      out += "null";
      return;
  }
}

}  // namespace

Result<json> parse_json_tree(std::string_view text) { return parse_json_tree(text, tree_limits(text)); }

Result<json> parse_json_tree(std::string_view text, const JsonLimits& limits) {
  JsonDocument doc;
  Status parsed = doc.parse(text, limits);
  if (!parsed.ok()) return parsed;
  return build(doc, 0);
}

std::string write_json(const json& value) {
  std::string out;
  append_json_tree(out, value);
  return out;
}

std::string number_between_rule(double lo, double hi) {
  return "must be a number between " + write_json(lo) + " and " + write_json(hi);
}

}  // namespace gradvy
