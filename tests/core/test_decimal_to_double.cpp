// Correctly rounded decimal -> double (the slow path of JsonDocument's numbers
// in the wasm module): every result must be the one strtod gives.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "gradvy/decimal_to_double.hpp"

using gradvy::decimal_to_double;

namespace {

std::uint64_t bits_of(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Bit-exact against glibc's strtod (correctly rounded, round half to even).
void expect_as_strtod(const std::string& text) {
  double ours = 12345.0;
  ASSERT_TRUE(decimal_to_double(text, &ours)) << text;
  const double reference = std::strtod(text.c_str(), nullptr);
  ASSERT_EQ(bits_of(ours), bits_of(reference)) << text << ": " << ours << " vs " << reference;
}

}  // namespace

TEST(DecimalToDouble, HardCasesRoundLikeStrtod) {
  for (const char* text : {
           "0", "-0", "0.0", "1", "-1", "0.1", "0.3", "2.5", "1e23", "8.98846567431158e307",
           "9007199254740993",                       // 2^53 + 1: a tie, rounds to even (down)
           "9007199254740995",                       // 2^53 + 3: a tie, rounds to even (up)
           "9007199254740993.0000000000000000001",  // just above the tie: up
           "0.30000000000000004", "3.141592653589793238462643383279502884197",
           "1.7976931348623157e308",                 // DBL_MAX
           "1.7976931348623158e308",                 // rounds to DBL_MAX
           "1.7976931348623159e308",                 // overflows to infinity
           "2.2250738585072014e-308",                // DBL_MIN
           "2.2250738585072011e-308",                // largest denormal region
           "4.9406564584124654e-324",                // smallest denormal
           "2.4703282292062327e-324",                // half of it: rounds to zero (even)
           "2.4703282292062328e-324",                // just above half: smallest denormal
           "1e-400", "-1e-400", "1e400", "-1e400", "123456789012345678901234567890e-10",
           "0.000000000000000000000000000000000000000001", "7.2057594037927933e16",
           "2.2250738585072012e-308",
           "6.631236846766476e-316",
           "1.00000000000000011102230246251565404236316680908203125",   // exactly 1 + 2^-53: tie, to even
           "1.00000000000000011102230246251565404236316680908203124",   // below: down
           "1.00000000000000011102230246251565404236316680908203126",   // above: up
       }) {
    expect_as_strtod(text);
  }
}

TEST(DecimalToDouble, DigitsBeyondWhatIsStoredStillCount) {
  // 1 followed by 1000 zeros, then scaled back: exactly 1.
  std::string big = "1" + std::string(1000, '0') + "e-1000";
  expect_as_strtod(big);
  // A tie decided only by a non-zero digit far beyond the stored 800.
  std::string tie = "9007199254740993." + std::string(900, '0') + "1";
  expect_as_strtod(tie);
  expect_as_strtod("0." + std::string(500, '0') + "1e500");
  expect_as_strtod("-" + std::string(400, '9') + "e-100");
}

TEST(DecimalToDouble, RandomDoublesRoundTripAndRandomDigitsMatchStrtod) {
  std::mt19937_64 rng(20261204);
  char buffer[64];
  for (int i = 0; i < 60000; ++i) {
    double v;
    const std::uint64_t bits = rng();
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    expect_as_strtod(buffer);
    std::snprintf(buffer, sizeof buffer, "%.16g", v);
    expect_as_strtod(buffer);
  }
  std::uniform_int_distribution<int> digit_count(1, 40), exponent(-340, 320), digit(0, 9);
  for (int i = 0; i < 40000; ++i) {
    std::string text = (rng() & 1) ? "-" : "";
    const int n = digit_count(rng);
    for (int k = 0; k < n; ++k) text += static_cast<char>('0' + digit(rng));
    if (n > 1 && (rng() & 1)) text.insert(text.size() - static_cast<std::size_t>(rng() % (n - 1)) - 1, ".");
    text += "e" + std::to_string(exponent(rng));
    expect_as_strtod(text);
  }
}

TEST(DecimalToDouble, RefusesWhatIsNotANumber) {
  double out = 7.0;
  for (const char* text : {"", "-", ".", "1..2", "1e", "1e+", "abc", "1x", "--1", "1.2.3"}) {
    EXPECT_FALSE(decimal_to_double(text, &out)) << text;
  }
  EXPECT_EQ(out, 7.0);
}
