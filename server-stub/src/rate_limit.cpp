#include "gradvy_sync/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace gradvy_sync {

RateDecision RateLimiter::take(const std::string& key, double now_s) {
  if (!config_.enabled()) return {};
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= config_.max_keys / kShards) {
      // Forget learners whose bucket is full again: they are owed nothing.
      for (auto b = shard.buckets.begin(); b != shard.buckets.end();) {
        const double refilled = b->second.tokens + (now_s - b->second.updated_s) * config_.rate_per_s;
        b = refilled >= config_.burst ? shard.buckets.erase(b) : std::next(b);
      }
    }
    it = shard.buckets.emplace(key, Bucket{config_.burst, now_s}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, now_s - b.updated_s);
  b.tokens = std::min(config_.burst, b.tokens + elapsed * config_.rate_per_s);
  b.updated_s = std::max(b.updated_s, now_s);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  RateDecision d;
  d.allowed = false;
  d.retry_after_s = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / config_.rate_per_s)));
  return d;
}

}  // namespace gradvy_sync
