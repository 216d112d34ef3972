// Retry delays for failed deliveries: exponential backoff with FULL jitter
// (AWS Architecture Blog, "Exponential Backoff And Jitter"): the k-th retry
// waits uniform[0, min(cap, base * 2^k)]. Full jitter spreads a crowd of
// devices that failed together (server restart) instead of re-synchronising
// them, and a server's Retry-After is a floor on top of it.
#pragma once

#include <cstdint>
#include <optional>

#include "gradvy/random.hpp"

namespace gradvy {

struct BackoffPolicy {
  std::int64_t base_ms = 1'000;
  std::int64_t cap_ms = 300'000;
  std::int64_t max_retry_after_ms = 86'400'000;  // Retry-After above this is clamped
};

// min(cap, base * 2^retry_index), without overflow for any retry_index >= 0.
std::int64_t backoff_ceiling_ms(const BackoffPolicy& policy, std::uint32_t retry_index);

// One full-jitter draw: uniform integer in [0, backoff_ceiling_ms] (inclusive).
std::int64_t full_jitter_delay_ms(const BackoffPolicy& policy, std::uint32_t retry_index, Rng& rng);

// The wait before the next send: the jitter draw, but never less than the
// server's Retry-After (negative values count as 0, huge ones are clamped to
// max_retry_after_ms). The jitter is drawn even when Retry-After wins, so the
// number of rng draws per failure does not depend on the server's answer.
std::int64_t retry_delay_ms(const BackoffPolicy& policy, std::uint32_t retry_index,
                            std::optional<std::int64_t> retry_after_ms, Rng& rng);

}  // namespace gradvy
