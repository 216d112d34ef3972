#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "gradvy/backoff.hpp"
#include "gradvy/random.hpp"

using namespace gradvy;

TEST(Backoff, CeilingDoublesFromBaseUntilTheCap) {
  const BackoffPolicy policy{1'000, 300'000, 86'400'000};
  EXPECT_EQ(backoff_ceiling_ms(policy, 0), 1'000);
  EXPECT_EQ(backoff_ceiling_ms(policy, 1), 2'000);
  EXPECT_EQ(backoff_ceiling_ms(policy, 5), 32'000);
  EXPECT_EQ(backoff_ceiling_ms(policy, 8), 256'000);
  EXPECT_EQ(backoff_ceiling_ms(policy, 9), 300'000);  // 512 s capped at 5 min
  EXPECT_EQ(backoff_ceiling_ms(policy, 63), 300'000);
  EXPECT_EQ(backoff_ceiling_ms(policy, 4'000'000'000u), 300'000);  // no overflow for absurd attempts
  const BackoffPolicy huge{86'400'000, 86'400'000, 0};
  EXPECT_EQ(backoff_ceiling_ms(huge, 40), 86'400'000);
}

TEST(Backoff, FullJitterStaysWithinZeroAndCeilingAndSpreadsOverIt) {
  const BackoffPolicy policy{1'000, 300'000, 86'400'000};
  Rng rng(42);
  for (std::uint32_t k = 0; k < 14; ++k) {
    const std::int64_t ceiling = std::min<std::int64_t>(300'000, 1'000ll << k);
    std::set<std::int64_t> seen;
    std::int64_t lo = ceiling;
    std::int64_t hi = 0;
    for (int i = 0; i < 2'000; ++i) {
      const std::int64_t d = full_jitter_delay_ms(policy, k, rng);
      ASSERT_GE(d, 0) << "attempt " << k;
      ASSERT_LE(d, ceiling) << "attempt " << k;
      seen.insert(d);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter, not "ceiling +- a bit": draws cover the whole range.
    EXPECT_GT(seen.size(), 500u) << "attempt " << k;
    EXPECT_LT(lo, ceiling / 20) << "attempt " << k;
    EXPECT_GT(hi, ceiling - ceiling / 20) << "attempt " << k;
  }
}

TEST(Backoff, RetryAfterIsAFloorNeverShortened) {
  const BackoffPolicy policy{1'000, 300'000, 3'600'000};
  Rng rng(7);
  for (int i = 0; i < 500; ++i) {
    // Ceiling 1 s < Retry-After 5 s: always exactly Retry-After.
    EXPECT_EQ(retry_delay_ms(policy, 0, 5'000, rng), 5'000);
    // Ceiling 8 s > Retry-After 0.5 s: jitter, but never below 0.5 s.
    const std::int64_t d = retry_delay_ms(policy, 3, 500, rng);
    EXPECT_GE(d, 500);
    EXPECT_LE(d, 8'000);
  }
  // Negative Retry-After means "no floor"; absurd ones are clamped to the bound.
  EXPECT_LE(retry_delay_ms(policy, 0, -10, rng), 1'000);
  EXPECT_EQ(retry_delay_ms(policy, 0, 999'999'999'999, rng), 3'600'000);
}

TEST(Backoff, SameSeedGivesTheSameSchedule) {
  const BackoffPolicy policy{};
  Rng a(123);
  Rng b(123);
  for (std::uint32_t k = 0; k < 20; ++k) {
    EXPECT_EQ(retry_delay_ms(policy, k, std::nullopt, a), retry_delay_ms(policy, k, std::nullopt, b));
  }
}
