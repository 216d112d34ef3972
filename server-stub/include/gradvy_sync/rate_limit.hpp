// Per-learner token bucket: each authenticated request takes one token; tokens
// refill at `rate_per_s` up to `burst`. An empty bucket means 429 with
// Retry-After = seconds until the next token (rounded up, at least 1).
// Memory is bounded: once a shard tracks more than max_keys/shards learners,
// buckets that have refilled completely (idle learners) are forgotten — a
// forgotten bucket is indistinguishable from a full one, so this is exact.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gradvy_sync {

struct RateLimitConfig {
  double rate_per_s = 20;  // sustained requests per second per learner
  double burst = 40;       // bucket size
  std::size_t max_keys = 200000;
  bool enabled() const { return rate_per_s > 0; }
};

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_s = 0;  // set when !allowed
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitConfig config) : config_(config) {}
  // now_s: monotonic seconds (any origin, non-decreasing per caller).
  RateDecision take(const std::string& key, double now_s);
  const RateLimitConfig& config() const { return config_; }

 private:
  struct Bucket {
    double tokens;
    double updated_s;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;
  RateLimitConfig config_;
  std::array<Shard, kShards> shards_;
};

}  // namespace gradvy_sync
