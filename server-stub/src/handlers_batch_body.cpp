#include "gradvy_sync/handlers_batch_body.hpp"

namespace gradvy_sync {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// s[i] == '"': index one past the closing quote.
std::size_t skip_string(std::string_view s, std::size_t i) {
  ++i;
  while (i < s.size()) {
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

}  // namespace gradvy_sync
