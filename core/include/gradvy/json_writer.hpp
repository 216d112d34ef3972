// Hand-written JSON output for the event wire form. Strings must already be
// valid UTF-8 (the reader guarantees it); non-ASCII is written as is, only
// '"', '\\' and control characters (< 0x20) are escaped (\n \t ... or \u00XX).
//
// The append functions are templates over the output: std::string, or
// JsonOut, a growable byte buffer whose appends inline to a bounds check and
// a memcpy (std::string::append is an out-of-line call each time, which
// dominated the cost of writing a small event).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "gradvy/json_swar.hpp"

namespace gradvy {

class JsonOut {
 public:
  void clear() { size_ = 0; }
  void append(const char* data, std::size_t n) {
    if (n > capacity_ - size_) grow(n);
    char* to = buffer_.get() + size_;
    if (n <= 32) copy_short(to, data, n);
    else std::memcpy(to, data, n);
    size_ += n;
  }
  // For data known to be at most 32 bytes (formatted numbers).
  void append_short(const char* data, std::size_t n) {
    if (n > capacity_ - size_) grow(n);
    copy_short(buffer_.get() + size_, data, n);
    size_ += n;
  }
  void push_back(char c) {
    if (size_ == capacity_) grow(1);
    buffer_[size_++] = c;
  }
  void truncate(std::size_t size) {
    if (size < size_) size_ = size;
  }
  std::size_t size() const { return size_; }
  const char* data() const { return buffer_.get(); }
  std::string_view view() const { return std::string_view(buffer_.get(), size_); }

 private:
  // Most appends are keys, ids and uuids: fixed-size overlapping copies
  // inline to a few moves, where a memcpy call of unknown length does not.
  static void copy_short(char* to, const char* from, std::size_t n) {
    if (n >= 16) {
      char head[16], tail[16];
      std::memcpy(head, from, 16);
      std::memcpy(tail, from + n - 16, 16);
      std::memcpy(to, head, 16);
      std::memcpy(to + n - 16, tail, 16);
    } else if (n >= 8) {
      std::uint64_t head, tail;
      std::memcpy(&head, from, 8);
      std::memcpy(&tail, from + n - 8, 8);
      std::memcpy(to, &head, 8);
      std::memcpy(to + n - 8, &tail, 8);
    } else if (n >= 4) {
      std::uint32_t head, tail;
      std::memcpy(&head, from, 4);
      std::memcpy(&tail, from + n - 4, 4);
      std::memcpy(to, &head, 4);
      std::memcpy(to + n - 4, &tail, 4);
    } else if (n != 0) {
      to[0] = from[0];
      to[n / 2] = from[n / 2];
      to[n - 1] = from[n - 1];
    }
  }
  void grow(std::size_t extra) {
    std::size_t capacity = capacity_ == 0 ? 512 : capacity_ * 2;
    while (capacity - size_ < extra) capacity *= 2;
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (size_ != 0) std::memcpy(bigger.get(), buffer_.get(), size_);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }
  std::unique_ptr<char[]> buffer_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

namespace json_writer_detail {
// true = the byte needs an escape. Bytes >= 0x80 (valid UTF-8) pass through.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
inline constexpr EscapeTable kEscape{};

// A formatted number (<= 24 bytes): JsonOut copies it inline.
template <typename Out>
void append_number_text(Out& out, const char* text, std::size_t n) {
  out.append(text, n);
}
inline void append_number_text(JsonOut& out, const char* text, std::size_t n) { out.append_short(text, n); }
}  // namespace json_writer_detail

// Appends only the escaped content (no quotes).
template <typename Out>
void append_json_escaped(Out& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* data = value.data();
  const std::size_t size = value.size();
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (size - i >= 8) {
    const std::uint64_t flags = swar::escape_flags(swar::load8(data + i));
    if (flags != 0) {
      i += swar::plain_bytes_before(flags);
      break;
    }
    i += 8;
  }
  // Fewer than 8 bytes left: one overlapping load of the last 8 clears them
  // at once when they are plain (a flagged byte at i would be inside it).
  if (size >= 8 && size - i < 8 && i < size && !swar::needs_escape(swar::load8(data + size - 8))) i = size;
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (!json_writer_detail::kEscape.needs[c]) continue;
    out.append(data + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\f': out.append("\\f", 2); break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, 6);
      }
    }
  }
  out.append(data + run_start, size - run_start);
}

// Appends `value` as a quoted, escaped JSON string.
template <typename Out>
void append_json_string(Out& out, std::string_view value) {
  out.push_back('"');
  append_json_escaped(out, value);
  out.push_back('"');
}

// Appends a quoted string the caller knows needs no escaping (ids, uuids,
// enum names: validated to a plain ASCII charset).
template <typename Out>
void append_json_plain_string(Out& out, std::string_view value) {
  out.push_back('"');
  out.append(value.data(), value.size());
  out.push_back('"');
}

// Appends `"key":` for a plain ASCII key.
template <typename Out>
void append_json_key(Out& out, std::string_view key) {
  out.push_back('"');
  out.append(key.data(), key.size());
  out.append("\":", 2);
}

template <typename Out>
void append_json_int(Out& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  json_writer_detail::append_number_text(out, buffer, static_cast<std::size_t>(result.ptr - buffer));
}

template <typename Out>
void append_json_uint(Out& out, std::uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  json_writer_detail::append_number_text(out, buffer, static_cast<std::size_t>(result.ptr - buffer));
}

}  // namespace gradvy
