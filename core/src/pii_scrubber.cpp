#include "gradvy/pii_scrubber.hpp"

#include "gradvy/json_swar.hpp"

namespace gradvy {

namespace {

enum class PiiKind { none, email, phone, card };

struct Match {
  std::size_t begin = 0;
  std::size_t end = 0;
};

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
inline bool is_local_char(char c) { return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '-'; }
inline bool is_label_char(char c) { return is_alnum(c) || c == '-'; }
inline bool is_number_separator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

// Length of the '@' marker at i: 1 for '@', 3 for "%40", 0 otherwise.
inline std::size_t at_sign_length(std::string_view text, std::size_t i) {
  if (text[i] == '@') return 1;
  if (text[i] == '%' && i + 2 < text.size() && text[i + 1] == '4' && text[i + 2] == '0') return 3;
  return 0;
}

// E-mail around the marker at `at` (length `at_length`); `floor` is the first
// byte the local part may start at (the end of the previous match).
bool match_email(std::string_view text, std::size_t at, std::size_t at_length, std::size_t floor, Match* out) {
  std::size_t local_begin = at;
  while (local_begin > floor && is_local_char(text[local_begin - 1])) --local_begin;
  while (local_begin < at && text[local_begin] == '.') ++local_begin;  // no leading dots
  bool local_has_alnum = false;
  for (std::size_t i = local_begin; i < at; ++i) local_has_alnum |= is_alnum(text[i]);
  if (!local_has_alnum) return false;

  const std::size_t domain_begin = at + at_length;
  std::size_t i = domain_begin;
  std::size_t labels = 0;
  std::size_t last_label_begin = i;
  std::size_t domain_end = i;
  for (;;) {
    const std::size_t label_begin = i;
    while (i < text.size() && is_label_char(text[i])) ++i;
    if (i == label_begin) break;  // empty label: stop before it
    ++labels;
    last_label_begin = label_begin;
    domain_end = i;
    if (i + 1 < text.size() && text[i] == '.' && is_label_char(text[i + 1])) {
      ++i;
      continue;
    }
    break;
  }
  if (labels < 2) return false;
  const std::size_t tld_length = domain_end - last_label_begin;
  if (tld_length < 2 || tld_length > 24) return false;
  for (std::size_t k = last_label_begin; k < domain_end; ++k) {
    if (!is_alpha(text[k])) return false;
  }
  // "logo@2x.png": a retina asset suffix, not an address.
  std::size_t k = domain_begin;
  while (k < text.size() && is_digit(text[k])) ++k;
  if (k > domain_begin && k < text.size() && (text[k] == 'x' || text[k] == 'X') && k + 1 < text.size() &&
      text[k + 1] == '.') {
    return false;
  }
  out->begin = local_begin;
  out->end = domain_end;
  return true;
}

bool luhn_over(const char* digits, std::size_t count) {
  int sum = 0;
  bool doubled = false;
  for (std::size_t i = count; i-- > 0;) {
    int d = digits[i] - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

// A run of digit groups starting at `start` (a digit, or '+'/'(' before one).
// Returns the kind of PII it is, if any, and its extent.
PiiKind match_number(std::string_view text, std::size_t start, Match* out) {
  const std::size_t n = text.size();
  std::size_t i = start;
  const bool plus = text[i] == '+';
  if (plus) ++i;
  int open_parens = 0, close_parens = 0;
  if (i < n && text[i] == '(') {
    ++open_parens;
    ++i;
  }
  if (i >= n || !is_digit(text[i])) return PiiKind::none;

  char digits[20];  // only needed for Luhn; more than 19 digits is neither kind
  std::size_t digit_count = 0;
  int groups = 0;
  int group_lengths[16];
  bool card_separators = true;  // only single ' ' or '-' between groups
  bool only_dots = true;        // every separator run is a single '.'
  bool only_spaces = true;      // every separator run is a single ' '
  bool any_separator = false;
  std::size_t end = i;
  for (;;) {
    const std::size_t group_begin = i;
    while (i < n && is_digit(text[i])) {
      if (digit_count < sizeof(digits)) digits[digit_count] = text[i];
      ++digit_count;
      ++i;
    }
    if (groups < 16) group_lengths[groups] = static_cast<int>(i - group_begin);
    ++groups;
    end = i;
    // Separator run of one or two characters, then another group.
    std::size_t j = i;
    while (j < n && j - i < 2 && is_number_separator(text[j])) ++j;
    if (j == i || j >= n || !is_digit(text[j])) {
      // A closing paren right after the last group belongs to the number.
      if (i < n && text[i] == ')' && open_parens == 1 && close_parens == 0) {
        ++close_parens;
        end = i + 1;
      }
      break;
    }
    const std::string_view run = text.substr(i, j - i);
    if (run.size() == 2 && run[0] == run[1]) break;  // "--", "  ": not a number's grouping
    for (char c : run) {
      if (c == '(') ++open_parens;
      if (c == ')') ++close_parens;
    }
    if (open_parens > 1 || close_parens > open_parens) break;
    if (!(run.size() == 1 && (run[0] == ' ' || run[0] == '-'))) card_separators = false;
    if (!(run.size() == 1 && run[0] == '.')) only_dots = false;
    if (!(run.size() == 1 && run[0] == ' ')) only_spaces = false;
    any_separator = true;
    i = j;
  }
  // From here on a refusal still reports the phrase's extent, so the caller
  // skips all of it rather than retrying from a later group (which would
  // find "1111 1111 1112" inside a Luhn-invalid "4111 1111 1111 1112").
  out->begin = start;
  out->end = end;
  if (digit_count > 19 || groups > 16) return PiiKind::none;
  if (open_parens != close_parens) return PiiKind::none;  // "(555 123 4567" is not phone formatting

  // What comes after must not continue a longer token.
  if (end < n) {
    const char next = text[end];
    if (is_alnum(next) || next == '_' || next == '@') return PiiKind::none;
    if ((next == '.' || next == ',' || next == ':' || next == '/' || next == '-') && end + 1 < n &&
        is_digit(text[end + 1])) {
      return PiiKind::none;
    }
  }

  if (!plus && open_parens == 0 && card_separators && digit_count >= 13 && digit_count <= 19 &&
      digits[0] >= '2' && digits[0] <= '6' && luhn_over(digits, digit_count)) {
    return PiiKind::card;
  }
  if (digit_count < 10 || digit_count > 15) return PiiKind::none;
  if (plus) return PiiKind::phone;
  if (!any_separator) return PiiKind::none;  // a bare digit run is an id or a timestamp
  const int counted = groups < 16 ? groups : 16;
  if (only_dots) {
    if (groups == 4) {
      bool ipv4 = true;
      for (int g = 0; g < 4; ++g) ipv4 &= group_lengths[g] <= 3;
      if (ipv4) return PiiKind::none;
    }
    if (groups < 3) return PiiKind::none;
    for (int g = 0; g < counted; ++g) {
      if (group_lengths[g] < 2 || group_lengths[g] > 4) return PiiKind::none;
    }
  }
  if (only_spaces && groups >= 3 && group_lengths[0] <= 3) {
    bool thousands = true;
    for (int g = 1; g < counted; ++g) thousands &= group_lengths[g] == 3;
    if (thousands) return PiiKind::none;
  }
  return PiiKind::phone;
}

// May a number phrase start at i? (Previous byte not part of a longer token.)
inline bool number_may_start(std::string_view text, std::size_t i, std::size_t floor) {
  if (i == 0 || i <= floor) return true;
  const char prev = text[i - 1];
  return !(is_alnum(prev) || prev == '_' || prev == '.' || prev == '/' || prev == '#' || prev == '%' ||
           prev == '-' || prev == '@' || prev == '+');
}

// Calls on_match(begin, end) for every match, left to right, non-overlapping.
template <typename OnMatch>
std::size_t scan(std::string_view text, OnMatch&& on_match) {
  std::size_t matches = 0;
  std::size_t floor = 0;  // end of the previous match
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = text[i];
    const std::size_t at_length = at_sign_length(text, i);
    if (at_length != 0) {
      Match m;
      if (match_email(text, i, at_length, floor, &m)) {
        on_match(m.begin, m.end);
        ++matches;
        floor = i = m.end;
        continue;
      }
      i += at_length;
      continue;
    }
    const bool starts_number =
        is_digit(c) || ((c == '+' || c == '(') && i + 1 < n && (is_digit(text[i + 1]) || text[i + 1] == '('));
    if (starts_number && number_may_start(text, i, floor)) {
      Match m{i, i};
      const PiiKind kind = match_number(text, i, &m);
      if (kind != PiiKind::none) {
        on_match(m.begin, m.end);
        ++matches;
        floor = i = m.end;
        continue;
      }
      // Skip the refused phrase whole, but stop at a trailing '@': the
      // digits may be an e-mail's local part ("555-123-4567@sms.example.com"),
      // which the e-mail branch (bounded by `floor`, not by i) still finds.
      if (m.end > i) {
        i = m.end;
        continue;
      }
    }
    // Skip the rest of a digit run: its middle can never start a match.
    if (is_digit(c)) {
      while (i < n && is_digit(text[i])) ++i;
      continue;
    }
    ++i;
  }
  return matches;
}

}  // namespace

bool might_contain_pii(std::string_view text) {
  // Most strings are clean and this is all they ever cost. 8 bytes per step
  // (plain 64-bit arithmetic, as fast in wasm): typical URLs and queries are
  // shorter than a vector loop's warm-up.
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t digits = 0;
  unsigned special = 0;
  // `keep` masks off the bytes of an overlapping last word already counted.
  const auto scan_word = [&](std::uint64_t x, std::uint64_t keep) {
    // With each byte's high bit forced on, per-byte subtraction never
    // borrows across bytes: the high bit then says "byte >= constant".
    const std::uint64_t forced = x | swar::kHighs;
    const std::uint64_t at_least_0 = forced - swar::kOnes * '0';
    const std::uint64_t at_least_colon = forced - swar::kOnes * ('9' + 1);
    const std::uint64_t digit = at_least_0 & ~at_least_colon & ~x & swar::kHighs & keep;
    digits += static_cast<std::size_t>(((digit >> 7) * swar::kOnes) >> 56);  // sum of the 0/1 bytes
    // A false flag can only sit above a true '@'/'%', which already counted.
    special |= static_cast<unsigned>(((swar::has_byte(x, '@') | swar::has_byte(x, '%')) & keep) != 0);
  };
  std::size_t i = 0;
  for (; text.size() - i >= 8; i += 8) scan_word(swar::load8(text.data() + i), ~0ull);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (i < text.size() && text.size() >= 8) {
    // The last 8 bytes in one load; the already counted ones are its low bytes.
    const unsigned seen = static_cast<unsigned>(8 - (text.size() - i));
    scan_word(swar::load8(text.data() + text.size() - 8), ~0ull << (8 * seen));
    i = text.size();
  }
#endif
  for (; i < text.size(); ++i) {
    const unsigned char c = bytes[i];
    digits += static_cast<unsigned char>(c - '0') < 10;
    special |= static_cast<unsigned>(c == '@') | static_cast<unsigned>(c == '%');
  }
  return special != 0 || digits >= 10;
}

std::size_t scrub_pii(std::string_view text, std::string& out) {
  if (!might_contain_pii(text)) {
    out.append(text.data(), text.size());
    return 0;
  }
  std::size_t copied = 0;
  const std::size_t matches = scan(text, [&](std::size_t begin, std::size_t end) {
    out.append(text.data() + copied, begin - copied);
    out.append(kRedacted.data(), kRedacted.size());
    copied = end;
  });
  out.append(text.data() + copied, text.size() - copied);
  return matches;
}

std::size_t count_pii(std::string_view text) {
  if (!might_contain_pii(text)) return 0;
  return scan(text, [](std::size_t, std::size_t) {});
}

bool contains_email(std::string_view text) {
  std::size_t floor = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t at_length = at_sign_length(text, i);
    if (at_length == 0) continue;
    Match m;
    if (match_email(text, i, at_length, floor, &m)) return true;
  }
  return false;
}

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool doubled = false;
  int count = 0;
  for (std::size_t i = digits.size(); i-- > 0;) {
    if (!is_digit(digits[i])) continue;
    int d = digits[i] - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
    ++count;
  }
  return count > 0 && sum % 10 == 0;
}

}  // namespace gradvy
