// The strict UTF-8 check the queue applies to every pushed event.
#include <gtest/gtest.h>

#include <string>

#include "gradvy/utf8.hpp"

using gradvy::first_invalid_utf8;
using gradvy::is_valid_utf8;

TEST(Utf8, AcceptsEveryWellFormedBoundary) {
  for (const char* ok : {"", "plain ascii", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                         "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "caf\xC3\xA9 \xF0\x9F\x98\x80"}) {
    EXPECT_TRUE(is_valid_utf8(ok)) << ok;
  }
}

TEST(Utf8, NamesTheFirstByteOfEveryMalformedSequence) {
  const struct {
    std::string text;
    std::size_t at;
  } cases[] = {
      {"a\x80", 1},               // lone continuation
      {"\xC0\xAF", 0},            // overlong '/'
      {"\xC1\xBF", 0},            // overlong
      {"\xE0\x9F\xBF", 0},        // overlong 3-byte
      {"\xED\xA0\x80", 0},        // surrogate U+D800
      {"\xF0\x8F\xBF\xBF", 0},    // overlong 4-byte
      {"\xF4\x90\x80\x80", 0},    // above U+10FFFF
      {"\xF5\x80\x80\x80", 0},    // lead byte never valid
      {"ok\xE2\x82", 2},          // truncated at the end
      {"\xC3\xA9\xC3", 2},        // truncated after a good one
      {"\xE2\x28\xA1", 0},        // bad second byte
  };
  for (const auto& c : cases) EXPECT_EQ(first_invalid_utf8(c.text), c.at) << c.text;
}

TEST(Utf8, FindsABadByteAnywhereInALongAsciiRun) {
  // Every offset, so the 32-byte, 8-byte and tail paths each meet one.
  for (std::size_t length : {7u, 8u, 9u, 31u, 32u, 33u, 70u}) {
    for (std::size_t at = 0; at < length; ++at) {
      std::string text(length, 'x');
      text[at] = '\xFF';
      EXPECT_EQ(first_invalid_utf8(text), at) << length << " " << at;
    }
    EXPECT_TRUE(is_valid_utf8(std::string(length, 'x')));
  }
}
