// Per-learner token bucket behind 429 + Retry-After.
#include <gtest/gtest.h>

#include "gradvy_sync/rate_limit.hpp"

using namespace gradvy_sync;

TEST(RateLimit, BurstThenSustainedRateThenRetryAfter) {
  RateLimiter limiter(RateLimitConfig{2.0, 4.0, 1000});
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.take("a", 100.0).allowed) << i;
  const RateDecision d = limiter.take("a", 100.0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);  // 0.5 s to the next token, rounded up
  EXPECT_FALSE(limiter.take("a", 100.4).allowed);
  EXPECT_TRUE(limiter.take("a", 100.6).allowed);  // refilled at 2/s
  EXPECT_FALSE(limiter.take("a", 100.6).allowed);
}

TEST(RateLimit, RetryAfterIsTheWaitForOneTokenRoundedUp) {
  RateLimiter limiter(RateLimitConfig{0.25, 1.0, 1000});
  EXPECT_TRUE(limiter.take("slow", 0).allowed);
  EXPECT_EQ(limiter.take("slow", 0).retry_after_s, 4);
  EXPECT_EQ(limiter.take("slow", 3.5).retry_after_s, 1);
  EXPECT_TRUE(limiter.take("slow", 4.0).allowed);
}

TEST(RateLimit, LearnersHaveSeparateBuckets) {
  RateLimiter limiter(RateLimitConfig{1.0, 1.0, 1000});
  EXPECT_TRUE(limiter.take("a", 0).allowed);
  EXPECT_FALSE(limiter.take("a", 0).allowed);
  EXPECT_TRUE(limiter.take("b", 0).allowed);
}

TEST(RateLimit, ZeroRateMeansOff) {
  RateLimiter limiter(RateLimitConfig{0.0, 1.0, 1000});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.take("a", 0).allowed);
}

TEST(RateLimit, ForgettingIdleLearnersKeepsMemoryBoundedWithoutForgivingBusyOnes) {
  RateLimiter limiter(RateLimitConfig{1.0, 2.0, 16 * 4});  // 4 keys per shard
  EXPECT_TRUE(limiter.take("busy", 0).allowed);
  EXPECT_TRUE(limiter.take("busy", 0).allowed);
  EXPECT_FALSE(limiter.take("busy", 0).allowed);
  // Many new learners arrive; idle full buckets are dropped, the busy one is not forgiven.
  for (int i = 0; i < 1000; ++i) limiter.take("l" + std::to_string(i), 0.5);
  EXPECT_FALSE(limiter.take("busy", 0.5).allowed);
}
