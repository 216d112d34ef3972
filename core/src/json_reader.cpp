#include "gradvy/json_reader.hpp"

#include "gradvy/decimal_to_double.hpp"
#include "gradvy/json_swar.hpp"
#include "gradvy/sort_order.hpp"
#include "gradvy/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__GLIBCXX__)
#include <charconv>
#endif

namespace gradvy {

std::string_view to_string(JsonKind kind) {
  switch (kind) {
    case JsonKind::null_value: return "null";
    case JsonKind::boolean: return "boolean";
    case JsonKind::number: return "number";
    case JsonKind::string: return "string";
    case JsonKind::array: return "array";
    case JsonKind::object: return "object";
  }
  return "null";
}

namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Correctly rounded decimal -> double for the cases the fast path cannot do.
// libstdc++ has a locale-free from_chars; elsewhere (Emscripten's libc++ has
// no floating from_chars, and musl's strtod would bring long double
// arithmetic into the module) decimal_to_double.
bool slow_parse_double(std::string_view text, double* out) {
#if defined(__GLIBCXX__)
  const auto result = std::from_chars(text.data(), text.data() + text.size(), *out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
#else
  return decimal_to_double(text, out);
#endif
}

}  // namespace

class JsonParser {
 public:
  JsonParser(JsonDocument& doc, std::string_view text, const JsonLimits& limits)
      : doc_(doc), p_(text.data()), begin_(text.data()), end_(text.data() + text.size()), limits_(limits) {}

  Status run() {
    skip_ws();
    if (!parse_value(1, std::string_view())) return std::move(error_);
    skip_ws();
    if (p_ != end_) {
      fail("unexpected text after the JSON value");
      return std::move(error_);
    }
    return Status();
  }

 private:
  bool fail(const char* rule) {
    std::string message = "at byte ";
    message += std::to_string(static_cast<long long>(p_ - begin_));
    message += ": ";
    message += rule;
    error_ = Status(ErrorCode::invalid_json, std::move(message));
    return false;
  }
  bool fail_limit(std::string message) {
    error_ = Status(ErrorCode::limit_exceeded, std::move(message));
    return false;
  }

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool literal(const char* word, std::size_t length) {
    if (static_cast<std::size_t>(end_ - p_) < length || std::memcmp(p_, word, length) != 0) {
      return fail("invalid literal");
    }
    p_ += length;
    return true;
  }

  std::uint32_t push(JsonKind kind, std::string_view key) {
    JsonNode node;
    node.kind = kind;
    node.key = key;
    doc_.nodes_.push_back(node);
    return static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
  }

  bool parse_value(std::size_t depth, std::string_view key) {
    if (p_ >= end_) return fail("unexpected end of input");
    switch (*p_) {
      case '{': return parse_object(depth, key);
      case '[': return parse_array(depth, key);
      case '"': {
        std::string_view value;
        if (!parse_string(&value)) return false;
        const auto index = push(JsonKind::string, key);
        doc_.nodes_[index].text = value;
        doc_.nodes_[index].end = index + 1;
        return true;
      }
      case 't': {
        if (!literal("true", 4)) return false;
        const auto index = push(JsonKind::boolean, key);
        doc_.nodes_[index].boolean = true;
        doc_.nodes_[index].end = index + 1;
        return true;
      }
      case 'f': {
        if (!literal("false", 5)) return false;
        const auto index = push(JsonKind::boolean, key);
        doc_.nodes_[index].end = index + 1;
        return true;
      }
      case 'n': {
        if (!literal("null", 4)) return false;
        const auto index = push(JsonKind::null_value, key);
        doc_.nodes_[index].end = index + 1;
        return true;
      }
      default:
        if (*p_ == '-' || is_digit(*p_)) return parse_number(key);
        return fail("expected a JSON value");
    }
  }

  bool check_depth(std::size_t depth) {
    if (depth > limits_.max_depth) {
      return fail_limit("JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels at byte " +
                        std::to_string(static_cast<long long>(p_ - begin_)));
    }
    return true;
  }

  bool parse_object(std::size_t depth, std::string_view key) {
    if (!check_depth(depth)) return false;
    const auto index = push(JsonKind::object, key);
    ++p_;  // '{'
    skip_ws();
    std::uint32_t count = 0;
    if (p_ < end_ && *p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        skip_ws();
        if (p_ >= end_ || *p_ != '"') return fail("expected a member name in double quotes");
        std::string_view name;
        if (!parse_string(&name)) return false;
        skip_ws();
        if (p_ >= end_ || *p_ != ':') return fail("expected ':' after a member name");
        ++p_;
        skip_ws();
        if (!parse_value(depth + 1, name)) return false;
        ++count;
        skip_ws();
        if (p_ < end_ && *p_ == ',') {
          ++p_;
          continue;
        }
        if (p_ < end_ && *p_ == '}') {
          ++p_;
          break;
        }
        return fail("expected ',' or '}' in an object");
      }
    }
    doc_.nodes_[index].count = count;
    doc_.nodes_[index].end = doc_.size();
    return check_unique_keys(index);
  }

  bool check_unique_keys(std::uint32_t index) {
    const JsonNode& object = doc_.nodes_[index];
    if (object.count < 2) return true;
    const auto& nodes = doc_.nodes_;
    if (object.count <= 12) {
      for (std::uint32_t a = index + 1; a < object.end; a = nodes[a].end) {
        for (std::uint32_t b = nodes[a].end; b < object.end; b = nodes[b].end) {
          if (nodes[a].key == nodes[b].key) return duplicate(nodes[b].key);
        }
      }
      return true;
    }
    std::vector<std::string_view> keys;
    keys.reserve(object.count);
    for (std::uint32_t a = index + 1; a < object.end; a = nodes[a].end) keys.push_back(nodes[a].key);
    // Stable, so of two equal keys the later one in the text comes second.
    sort_stable(keys, [](std::string_view a, std::string_view b) { return a < b; });
    const auto it = std::adjacent_find(keys.begin(), keys.end());
    if (it != keys.end()) return duplicate(it[1]);
    return true;
  }

  // Where the repeated key starts when it is a view of the text; a key with
  // escapes was decoded elsewhere, so then where its object ends (p_).
  bool duplicate(std::string_view key) {
    const bool in_text = key.data() > begin_ && key.data() <= end_;
    const char* at = in_text ? key.data() - 1 : p_ - 1;  // p_ is past the closing brace
    std::string message = "at byte ";
    message += std::to_string(static_cast<long long>(at - begin_));
    message += ": duplicate key \"";
    message.append(key.substr(0, 64));
    message += in_text ? "\" in an object" : "\" in the object that ends here";
    error_ = Status(ErrorCode::invalid_json, std::move(message));
    return false;
  }

  bool parse_array(std::size_t depth, std::string_view key) {
    if (!check_depth(depth)) return false;
    const auto index = push(JsonKind::array, key);
    ++p_;  // '['
    skip_ws();
    std::uint32_t count = 0;
    if (p_ < end_ && *p_ == ']') {
      ++p_;
    } else {
      for (;;) {
        skip_ws();
        if (!parse_value(depth + 1, std::string_view())) return false;
        ++count;
        skip_ws();
        if (p_ < end_ && *p_ == ',') {
          ++p_;
          continue;
        }
        if (p_ < end_ && *p_ == ']') {
          ++p_;
          break;
        }
        return fail("expected ',' or ']' in an array");
      }
    }
    doc_.nodes_[index].count = count;
    doc_.nodes_[index].end = doc_.size();
    return true;
  }

  bool parse_number(std::string_view key) {
    const char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ >= end_ || !is_digit(*p_)) return fail("invalid number");
    std::uint64_t mantissa = 0;
    int digits = 0;  // significant digits accumulated into mantissa
    int exponent10 = 0;
    bool exact = true;
    if (*p_ == '0') {
      ++p_;
      if (p_ < end_ && is_digit(*p_)) return fail("invalid number: leading zero");
    } else {
      while (p_ < end_ && is_digit(*p_)) {
        if (digits < 19) {
          mantissa = mantissa * 10 + static_cast<unsigned>(*p_ - '0');
          if (mantissa != 0) ++digits;
        } else {
          exact = false;
        }
        ++p_;
      }
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ >= end_ || !is_digit(*p_)) return fail("invalid number: digit expected after '.'");
      while (p_ < end_ && is_digit(*p_)) {
        if (digits < 19) {
          mantissa = mantissa * 10 + static_cast<unsigned>(*p_ - '0');
          if (mantissa != 0) ++digits;
          --exponent10;
        } else {
          exact = false;
        }
        ++p_;
      }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      bool exp_negative = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) {
        exp_negative = *p_ == '-';
        ++p_;
      }
      if (p_ >= end_ || !is_digit(*p_)) return fail("invalid number: digit expected in exponent");
      int exp_value = 0;
      while (p_ < end_ && is_digit(*p_)) {
        if (exp_value < 100000) exp_value = exp_value * 10 + (*p_ - '0');
        ++p_;
      }
      exponent10 += exp_negative ? -exp_value : exp_value;
    }
    const std::string_view text(start, static_cast<std::size_t>(p_ - start));
    double value;
    // Clinger's fast path: an exact mantissa below 2^53 times an exact power of
    // ten is correctly rounded by one IEEE multiplication or division.
    if (exact && mantissa < (1ull << 53) && exponent10 >= -22 && exponent10 <= 22) {
      value = static_cast<double>(mantissa);
      value = exponent10 < 0 ? value / kPow10[-exponent10] : value * kPow10[exponent10];
      if (negative) value = -value;
    } else if (!slow_parse_double(text, &value)) {
      if (exponent10 > 0) return fail("number out of range");
      value = negative ? -0.0 : 0.0;  // underflow to zero is harmless
    }
    if (!std::isfinite(value)) return fail("number out of range");
    const auto index = push(JsonKind::number, key);
    doc_.nodes_[index].number = value;
    doc_.nodes_[index].text = text;
    doc_.nodes_[index].end = index + 1;
    return true;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool read_hex4(unsigned* out) {
    if (end_ - p_ < 4) return fail("invalid \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(p_[i]);
      if (h < 0) return fail("invalid \\u escape");
      value = value * 16 + static_cast<unsigned>(h);
    }
    p_ += 4;
    *out = value;
    return true;
  }

  // Validates one UTF-8 sequence starting at p_ (a byte >= 0x80) and advances.
  bool skip_utf8() {
    const auto* s = reinterpret_cast<const unsigned char*>(p_);
    const std::size_t length = utf8_sequence_length(s, static_cast<std::size_t>(end_ - p_));
    if (length == 0) return fail(invalid_utf8_rule(s, static_cast<std::size_t>(end_ - p_)));
    p_ += length;
    return true;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // p_ at the opening quote. Plain strings become views into the text; ones
  // with escapes are decoded into doc_.decoded_ (reserved: never reallocates).
  bool parse_string(std::string_view* out) {
    ++p_;  // opening quote
    const char* start = p_;
    for (;;) {
      while (end_ - p_ >= 8) {
        const std::uint64_t flags = swar::reader_flags(swar::load8(p_));
        if (flags == 0) {
          p_ += 8;
          continue;
        }
        p_ += swar::plain_bytes_before(flags);  // most often the closing quote
        break;
      }
      if (p_ >= end_) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return fail("raw control character in a string");
      if (c < 0x80) {
        ++p_;
      } else if (!skip_utf8()) {
        return false;
      }
    }
    // Slow path: copy the plain prefix, then decode escapes.
    std::string& buffer = doc_.decoded_;
    const std::size_t offset = buffer.size();
    buffer.append(start, static_cast<std::size_t>(p_ - start));
    for (;;) {
      if (p_ >= end_) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        *out = std::string_view(buffer.data() + offset, buffer.size() - offset);
        return true;
      }
      if (c < 0x20) return fail("raw control character in a string");
      if (c >= 0x80) {
        const char* seq = p_;
        if (!skip_utf8()) return false;
        buffer.append(seq, static_cast<std::size_t>(p_ - seq));
        continue;
      }
      if (c != '\\') {
        buffer.push_back(static_cast<char>(c));
        ++p_;
        continue;
      }
      ++p_;
      if (p_ >= end_) return fail("unterminated string");
      const char e = *p_++;
      switch (e) {
        case '"': buffer.push_back('"'); break;
        case '\\': buffer.push_back('\\'); break;
        case '/': buffer.push_back('/'); break;
        case 'b': buffer.push_back('\b'); break;
        case 'f': buffer.push_back('\f'); break;
        case 'n': buffer.push_back('\n'); break;
        case 'r': buffer.push_back('\r'); break;
        case 't': buffer.push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!read_hex4(&cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return fail("lone high surrogate in \\u escape");
            p_ += 2;
            unsigned low = 0;
            if (!read_hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("invalid surrogate pair in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(buffer, cp);
          break;
        }
        default:
          --p_;
          return fail("invalid escape in a string");
      }
    }
  }

  JsonDocument& doc_;
  const char* p_;
  const char* begin_;
  const char* end_;
  const JsonLimits& limits_;
  Status error_;
};

Status JsonDocument::parse(std::string_view text, const JsonLimits& limits) {
  nodes_.clear();
  decoded_.clear();
  if (text.size() > limits.max_bytes) {
    return Status(ErrorCode::limit_exceeded, "JSON text is " + std::to_string(text.size()) +
                                                 " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  // Decoding never grows a string, so this capacity keeps every view stable.
  if (decoded_.capacity() < text.size()) decoded_.reserve(text.size());
  JsonParser parser(*this, text, limits);
  Status status = parser.run();
  if (!status.ok()) nodes_.clear();
  return status;
}

std::uint32_t JsonDocument::find_member(std::uint32_t index, std::string_view key) const {
  const JsonNode& object = nodes_[index];
  if (object.kind != JsonKind::object) return 0;
  for (std::uint32_t i = index + 1; i < object.end; i = nodes_[i].end) {
    if (nodes_[i].key == key) return i;
  }
  return 0;
}

std::size_t JsonDocument::depth_of(std::uint32_t index) const {
  const JsonNode& node = nodes_[index];
  if (node.kind != JsonKind::object && node.kind != JsonKind::array) return 0;
  std::size_t deepest = 0;
  for (std::uint32_t i = index + 1; i < node.end; i = nodes_[i].end) {
    deepest = std::max(deepest, depth_of(i));
  }
  return deepest + 1;
}

}  // namespace gradvy
