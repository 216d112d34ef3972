// PII scrubbing of free-text strings: e-mail addresses, phone numbers and
// card-like numbers are replaced by "[redacted]". Hand-written scanners (no
// std::regex): one left-to-right pass, a cheap prefilter first.
//
// Only strings are ever scanned; JSON numbers (durations, counts, scores) are
// never touched. Which strings are scanned is the schema's decision (see
// event_schema.hpp): free text, URLs and custom props yes; identifiers no.
//
// Rules (each match is one redaction):
// - E-mail: `local@domain` where local is [A-Za-z0-9._+-]+ (at least one
//   letter or digit) and domain is two or more dot-separated labels of
//   [A-Za-z0-9-], the last (TLD) 2..24 letters. "%40" counts as '@' so
//   URL-encoded addresses in query strings are caught. Not an e-mail: "@handle"
//   (no local part), "a@localhost" (no dot), and retina asset names like
//   "logo@2x.png" (first domain label is <digits>x).
// - Card-like number: 13..19 digits, optionally grouped by single spaces or
//   dashes, Luhn-valid, first digit 2..6 (the card networks' major industry
//   identifiers: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay).
//   The first-digit rule keeps millisecond timestamps ("1700000000000") and
//   snowflake ids, which start with 1, from being taken for cards.
// - Phone number: 10..15 digits (E.164 allows at most 15) that either start
//   with '+' or are written with phone-ish grouping: two or more digit groups
//   separated by ' ', '-', '.', '(' or ')' (separator runs of at most two
//   characters, at most one pair of parentheses). A bare run of digits without
//   '+' is NOT a phone (ids, unix timestamps). Also not a phone: an IPv4
//   address (four dot groups of 1..3 digits), dotted numbers whose groups are
//   not all 2..4 digits (decimals like "3.14159265358979"), space-grouped
//   thousands ("1 000 000 000"), and anything glued to a longer token: the
//   character before must not be a letter, digit or one of "_./#%-@", the
//   character after must not be a letter, digit, '_' or '@', nor one of
//   ".,:/-" followed by a digit (so "2024-01-15 10:30" is a date, not a phone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gradvy {

inline constexpr std::string_view kRedacted = "[redacted]";

struct PiiCounts {
  std::uint32_t redacted = 0;      // PII substrings replaced by "[redacted]"
  std::uint32_t dropped_keys = 0;  // object members removed by key name

  PiiCounts& operator+=(const PiiCounts& other) {
    redacted += other.redacted;
    dropped_keys += other.dropped_keys;
    return *this;
  }
};

// Cheap test: false means `text` certainly holds no e-mail, phone or card
// (no '@', no "%40", fewer than 10 digits).
bool might_contain_pii(std::string_view text);

// Appends `text` to `out` with every match replaced by "[redacted]"; returns
// the number of replacements. `out` must not alias `text`.
std::size_t scrub_pii(std::string_view text, std::string& out);

// Number of PII matches in `text` (same rules as scrub_pii).
std::size_t count_pii(std::string_view text);

// True if `text` contains something that is an e-mail address by the rule above.
bool contains_email(std::string_view text);

// Luhn checksum over the digits of `digits` (non-digits are skipped).
bool luhn_valid(std::string_view digits);

}  // namespace gradvy
