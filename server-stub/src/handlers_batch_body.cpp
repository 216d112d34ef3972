#include "gradvy_sync/handlers_batch_body.hpp"

#include <cstdint>

#include "gradvy/json_swar.hpp"

namespace gradvy_sync {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// s[i] == '"': index one past the closing quote. Most of a batch's bytes are
// string content, so plain runs are skipped 8 bytes at a time.
std::size_t skip_string(std::string_view s, std::size_t i) {
  namespace swar = gradvy::swar;
  ++i;
  while (i < s.size()) {
    while (i + 8 <= s.size()) {
      const std::uint64_t w = swar::load8(s.data() + i);
      const std::uint64_t flags = swar::has_byte(w, '"') | swar::has_byte(w, '\\');
      if (flags != 0) {
        i += swar::plain_bytes_before(flags);
        break;
      }
      i += 8;
    }
    if (i >= s.size()) break;
    const char c = s[i];
    if (c == '\\') {
      i += 2;
      continue;
    }
    ++i;
    if (c == '"') return i;
  }
  return s.size();
}

// Index one past the value starting at i (valid JSON assumed).
std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return s.size();
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return s.size();
  }
  // number, true, false, null
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i])) ++i;
  return i;
}

}  // namespace

std::optional<std::string_view> find_top_level_member(std::string_view body, std::string_view name) {
  std::size_t i = skip_space(body, 0);
  if (i >= body.size() || body[i] != '{') return std::nullopt;
  i = skip_space(body, i + 1);
  while (i < body.size() && body[i] == '"') {
    const std::size_t key_end = skip_string(body, i);
    const std::string_view key = body.substr(i + 1, key_end - i - 2);
    i = skip_space(body, key_end);
    if (i >= body.size() || body[i] != ':') return std::nullopt;
    i = skip_space(body, i + 1);
    const std::size_t value_end = skip_value(body, i);
    if (key == name) return body.substr(i, value_end - i);
    i = skip_space(body, value_end);
    if (i < body.size() && body[i] == ',') i = skip_space(body, i + 1);
  }
  return std::nullopt;
}

std::vector<std::string_view> split_json_array(std::string_view a) {
  std::vector<std::string_view> out;
  std::size_t i = skip_space(a, 0);
  if (i >= a.size() || a[i] != '[') return out;
  i = skip_space(a, i + 1);
  while (i < a.size() && a[i] != ']') {
    const std::size_t end = skip_value(a, i);
    out.push_back(a.substr(i, end - i));
    i = skip_space(a, end);
    if (i < a.size() && a[i] == ',') i = skip_space(a, i + 1);
  }
  return out;
}

namespace {

// s[i] == '"': one past the closing quote of a member name, or npos when the
// name holds an escape, a control byte or never ends (the slow path decides).
std::size_t plain_name_end(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c == '\\' || c < 0x20) return std::string_view::npos;
  }
  return std::string_view::npos;
}

// Cuts the elements of the array starting at a[i] == '['; returns one past
// its ']' or npos. Every element must open with '{' (an event object).
std::size_t slice_events(std::string_view a, std::size_t i, std::vector<std::string_view>& out) {
  i = skip_space(a, i + 1);
  if (i < a.size() && a[i] == ']') return i + 1;
  while (i < a.size()) {
    if (a[i] != '{') return std::string_view::npos;
    const std::size_t end = skip_value(a, i);
    if (end > a.size() || a[end - 1] != '}') return std::string_view::npos;
    out.push_back(a.substr(i, end - i));
    i = skip_space(a, end);
    if (i >= a.size()) return std::string_view::npos;
    if (a[i] == ']') return i + 1;
    if (a[i] != ',') return std::string_view::npos;
    i = skip_space(a, i + 1);
  }
  return std::string_view::npos;
}

}  // namespace

bool slice_batch_body(std::string_view body, BatchBodySlices& out) {
  out.members.clear();
  out.events.clear();
  out.has_events = false;
  std::size_t i = skip_space(body, 0);
  if (i >= body.size() || body[i] != '{') return false;
  i = skip_space(body, i + 1);
  if (i < body.size() && body[i] == '}') return false;  // empty object: let the slow path word it
  while (i < body.size()) {
    if (body[i] != '"') return false;
    const std::size_t name_end = plain_name_end(body, i);
    if (name_end == std::string_view::npos) return false;
    const std::string_view name = body.substr(i + 1, name_end - i - 2);
    i = skip_space(body, name_end);
    if (i >= body.size() || body[i] != ':') return false;
    i = skip_space(body, i + 1);
    if (i >= body.size()) return false;
    if (name == "events") {
      if (out.has_events || body[i] != '[') return false;
      out.has_events = true;
      i = slice_events(body, i, out.events);
      if (i == std::string_view::npos) return false;
    } else {
      for (const auto& member : out.members) {
        if (member.first == name) return false;
      }
      const std::size_t end = skip_value(body, i);
      if (end == i || end > body.size()) return false;
      out.members.emplace_back(name, body.substr(i, end - i));
      i = end;
    }
    i = skip_space(body, i);
    if (i >= body.size()) return false;
    if (body[i] == '}') return skip_space(body, i + 1) == body.size();
    if (body[i] != ',') return false;
    i = skip_space(body, i + 1);
  }
  return false;
}

}  // namespace gradvy_sync
