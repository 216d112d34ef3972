#include <gtest/gtest.h>

#include <string>

#include "gradvy/pii_key_filter.hpp"
#include "gradvy/pii_scrubber.hpp"

using namespace gradvy;

namespace {

std::string scrub(std::string_view text, std::size_t* count = nullptr) {
  std::string out;
  const std::size_t n = scrub_pii(text, out);
  if (count) *count = n;
  EXPECT_EQ(count_pii(text), n) << text;
  return out;
}

}  // namespace

TEST(PiiScrubber, RedactsEmailAddresses) {
  std::size_t n = 0;
  EXPECT_EQ(scrub("contact jane.doe+news@mail.example.co.uk today", &n), "contact [redacted] today");
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(scrub("a@b.io, C_D@Example.COM.", &n), "[redacted], [redacted].");
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(scrub("mailto:bob@corp.org"), "mailto:[redacted]");
  // URL-encoded '@' in a query string.
  EXPECT_EQ(scrub("https://x.io/signup?email=bob%40corp.org&step=2"), "https://x.io/signup?email=[redacted]&step=2");
}

TEST(PiiScrubber, RedactsPhoneNumbersInCommonFormats) {
  const char* phones[] = {"555-123-4567", "(555) 123-4567", "555.123.4567", "+1 (555) 123-4567",
                          "+44 20 7946 0958", "+4915112345678", "06 12 34 56 78", "020 7946 0958",
                          "+33 1 23 45 67 89", "555 123 4567"};
  for (const char* phone : phones) {
    std::size_t n = 0;
    EXPECT_EQ(scrub(std::string("call ") + phone + " now", &n), "call [redacted] now") << phone;
    EXPECT_EQ(n, 1u) << phone;
  }
  EXPECT_EQ(scrub("tel:+15551234567"), "tel:[redacted]");
  EXPECT_EQ(scrub("Call 555-123-4567."), "Call [redacted].");
}

TEST(PiiScrubber, RedactsLuhnValidCardNumbers) {
  const char* cards[] = {"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
                         "5555555555554444", "378282246310005", "6011111111111117", "3530111333300000"};
  for (const char* card : cards) {
    std::size_t n = 0;
    EXPECT_EQ(scrub(std::string("card ") + card + ";", &n), "card [redacted];") << card;
    EXPECT_EQ(n, 1u) << card;
  }
}

TEST(PiiScrubber, LeavesOrdinaryNumbersAlone) {
  const char* clean[] = {
      "4111111111111112",               // card-shaped but Luhn-invalid
      "4111 1111 1111 1112",            // same, grouped
      "1700000000000",                  // ms timestamp (starts with 1: not a card network)
      "1717171717171717171",            // 19-digit snowflake id
      "5551234567",                     // bare digit run: an id, not a phone
      "1700000000",                     // unix seconds
      "2024-01-15 10:30",               // date and time
      "2024-01-15",                     // date
      "192.168.100.200",                // IPv4 address
      "pi is 3.14159265358979",         // decimal number
      "1 000 000 000 learners",         // thousands grouping
      "v1.2.3",                         // version
      "order #12345-67890",             // order number glued to '#'
      "course/2024-555-123-4567",       // part of a path segment
      "abc555-123-4567",                // glued to letters
      "duration 3600 seconds, 42 results",
      "@handle and a@localhost",        // no local part / no dot
      "logo@2x.png and icon@3x.webp",   // retina asset names
      "price 12.99 EUR, 15% off",
      "",
  };
  for (const char* text : clean) {
    std::size_t n = 99;
    EXPECT_EQ(scrub(text, &n), text);
    EXPECT_EQ(n, 0u) << text;
  }
}

TEST(PiiScrubber, HandlesSeveralKindsInOneString) {
  std::size_t n = 0;
  EXPECT_EQ(scrub("me@x.org / 555-123-4567 / 4111 1111 1111 1111 / ok", &n),
            "[redacted] / [redacted] / [redacted] / ok");
  EXPECT_EQ(n, 3u);
  // A phone-looking local part belongs to the e-mail.
  EXPECT_EQ(scrub("555-123-4567@sms.example.com"), "[redacted]");
}

TEST(PiiScrubber, PrefilterAndEmailCheck) {
  EXPECT_FALSE(might_contain_pii("plain words and 123456789"));
  EXPECT_TRUE(might_contain_pii("1234567890"));
  EXPECT_TRUE(might_contain_pii("a@b"));
  EXPECT_TRUE(contains_email("user:bob@corp.org"));
  EXPECT_FALSE(contains_email("u-12345"));
  EXPECT_FALSE(contains_email("logo@2x.png"));
  EXPECT_TRUE(luhn_valid("4111 1111 1111 1111"));
  EXPECT_FALSE(luhn_valid("4111 1111 1111 1112"));
}

// The prefilter reads 8 bytes at a time and the last few in one overlapping
// load: a trigger must be seen at every position and every length, and
// digits must never be counted twice.
TEST(PiiScrubber, PrefilterSeesTriggersAtEveryPositionAndLength) {
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (const char trigger : {'@', '%'}) {
        std::string text(length, 'x');
        text[at] = trigger;
        EXPECT_TRUE(might_contain_pii(text)) << text;
      }
    }
    if (length < 10) continue;
    for (std::size_t start = 0; start + 10 <= length; ++start) {
      std::string ten(length, '-'), nine(length, '-');
      ten.replace(start, 10, "1234567890");
      nine.replace(start, 9, "123456789");
      EXPECT_TRUE(might_contain_pii(ten)) << ten;
      EXPECT_FALSE(might_contain_pii(nine)) << nine;
    }
  }
}

TEST(PiiKeyFilter, DropsDefaultKeysInAnySpelling) {
  const PiiKeyFilter filter;
  for (const char* key : {"email", "Email", "e-mail", "E_MAIL", "eMail", "phoneNumber", "phone_number", "password",
                          "first_name", "FirstName", "date_of_birth", "ssn", "credit-card", "ip_address"}) {
    EXPECT_TRUE(filter.should_drop(key)) << key;
  }
  for (const char* key : {"name", "course_name", "email_opt_in", "phones_count", "level", "id", "user", ""}) {
    EXPECT_FALSE(filter.should_drop(key)) << key;
  }
}

TEST(PiiKeyFilter, UsesAConfiguredList) {
  const PiiKeyFilter filter(std::vector<std::string>{"school", "Student-Number"});
  EXPECT_TRUE(filter.should_drop("School"));
  EXPECT_TRUE(filter.should_drop("student_number"));
  EXPECT_FALSE(filter.should_drop("email"));
  EXPECT_EQ(normalize_drop_key("Student-Number"), "studentnumber");
  EXPECT_EQ(normalize_drop_key(std::string(100, 'a')), "");
}

TEST(PiiScrubber, RandomTextNeverLeaksAnEmailAndCountsEveryRedaction) {
  // Strings built from PII-ish pieces. (Scrubbing is not idempotent by
  // design: a redaction can change the context of neighbouring digits, e.g.
  // "123 1234567:0..." is glued to a token until its tail is redacted.)
  const char* pieces[] = {"555", "-", " ", "123", "4567", "+", "(", ")", "@", "a", "x.org", ".", "4111",
                          "1111", "%40", "b", "2024", ":", "/", "0", "9", "#", "_"};
  const auto occurrences = [](const std::string& text) {
    std::size_t count = 0;
    for (std::size_t pos = text.find(kRedacted); pos != std::string::npos; pos = text.find(kRedacted, pos + 1)) ++count;
    return count;
  };
  std::uint64_t state = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const int n = static_cast<int>((state >> 33) % 24);
    for (int i = 0; i < n; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      text += pieces[(state >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
    }
    std::string once;
    const std::size_t redactions = scrub_pii(text, once);
    EXPECT_FALSE(contains_email(once)) << text << " -> " << once;
    EXPECT_EQ(occurrences(once), redactions) << text;
    EXPECT_EQ(redactions == 0, once == text) << text;
  }
}
