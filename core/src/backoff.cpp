#include "gradvy/backoff.hpp"

#include <algorithm>

namespace gradvy {

std::int64_t backoff_ceiling_ms(const BackoffPolicy& policy, std::uint32_t retry_index) {
  const std::int64_t base = std::max<std::int64_t>(policy.base_ms, 0);
  const std::int64_t cap = std::max<std::int64_t>(policy.cap_ms, 0);
  if (base == 0) return 0;
  // base * 2^k > cap  <=>  base > cap >> k; checked before shifting so it never overflows.
  if (retry_index >= 62 || base > (cap >> retry_index)) return cap;
  return std::min(cap, base << retry_index);
}

std::int64_t full_jitter_delay_ms(const BackoffPolicy& policy, std::uint32_t retry_index, Rng& rng) {
  const std::int64_t ceiling = backoff_ceiling_ms(policy, retry_index);
  return static_cast<std::int64_t>(rng.next_below(static_cast<std::uint64_t>(ceiling) + 1));
}

std::int64_t retry_delay_ms(const BackoffPolicy& policy, std::uint32_t retry_index,
                            std::optional<std::int64_t> retry_after_ms, Rng& rng) {
  const std::int64_t jitter = full_jitter_delay_ms(policy, retry_index, rng);
  if (!retry_after_ms) return jitter;
  const std::int64_t floor =
      std::clamp<std::int64_t>(*retry_after_ms, 0, std::max<std::int64_t>(policy.max_retry_after_ms, 0));
  return std::max(jitter, floor);
}

}  // namespace gradvy
