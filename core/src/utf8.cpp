#include "gradvy/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace gradvy {

namespace {
constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

bool ascii8(const unsigned char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return (word & kHighBits) == 0;
}
}  // namespace

std::size_t utf8_sequence_length(const unsigned char* p, std::size_t available) {
  const unsigned c = p[0];
  auto continuation = [&](std::size_t i, unsigned lo, unsigned hi) {
    return i < available && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return continuation(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // overlong below
    const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // surrogates above
    return continuation(1, lo, hi) && continuation(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // overlong below
    const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // above U+10FFFF
    return continuation(1, lo, hi) && continuation(2, 0x80, 0xBF) && continuation(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

const char* invalid_utf8_rule(const unsigned char* p, std::size_t available) {
  const unsigned c = p[0];
  const unsigned next = available >= 2 ? p[1] : 0;
  if (next < 0x80 || next > 0xBF) return "invalid UTF-8";
  if ((c == 0xE0 && next < 0xA0) || (c == 0xF0 && next < 0x90)) return "invalid UTF-8: overlong encoding";
  if (c == 0xED && next >= 0xA0) return "invalid UTF-8: surrogate code point";
  if (c == 0xF4 && next >= 0x90) return "invalid UTF-8: code point above U+10FFFF";
  return "invalid UTF-8";
}

std::size_t first_invalid_utf8(std::string_view text) {
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* p = begin;
  const auto* end = begin + text.size();
  while (p < end) {
    // 32 ASCII bytes per step: one test for four words.
    while (end - p >= 32) {
      std::uint64_t w[4];
      std::memcpy(w, p, 32);
      if (((w[0] | w[1] | w[2] | w[3]) & kHighBits) != 0) break;
      p += 32;
    }
    // An ASCII tail of under 8 bytes: one overlapping load of the last 8.
    if (end - p < 8 && p != end && text.size() >= 8 && ascii8(end - 8)) break;
    if (end - p >= 8 && ascii8(p)) {
      p += 8;
      continue;
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const std::size_t length = utf8_sequence_length(p, static_cast<std::size_t>(end - p));
    if (length == 0) return static_cast<std::size_t>(p - begin);
    p += length;
  }
  return std::string_view::npos;
}

}  // namespace gradvy
