// On-device counts for local-only mode, released as Laplace-noised aggregates.
//
// In local-only mode raw events never enter the upload queue. The engine
// counts them here instead, by a FIXED domain of keys (every built-in event
// type, course_interaction by action, recommendation_feedback by kind, and one
// "custom" bucket for x_ types). release() adds Laplace(1/epsilon) noise to
// EVERY key of the domain, zero counts included, and starts a new window.
//
// Privacy statement (what a reviewer can check): one event changes exactly one
// count by 1, so the L1 sensitivity of a release is 1 and each release is
// epsilon-differentially private at the event level. The key set is fixed, so
// which keys appear reveals nothing. Noise is drawn from the injected Rng
// (deterministic in tests). Values are not rounded or clamped: post-processing
// would not weaken the guarantee, but it would bias sums across devices.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gradvy/random.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// Allowed range of epsilon; default 1.0 (a common "moderate" budget).
inline constexpr double kMinAggregateEpsilon = 0.01;
inline constexpr double kMaxAggregateEpsilon = 10.0;

// One Laplace(0, scale) draw by inverse CDF; scale > 0.
double laplace_noise(double scale, Rng& rng);

class LocalAggregates {
 public:
  // The fixed key domain, in release order.
  static constexpr std::size_t kKeyCount = 18;
  static const std::array<std::string_view, kKeyCount>& keys();

  // Key of an event: "course_interaction.complete", "page_view", "custom", ...
  // `detail` is the course_interaction action or the feedback kind (may be
  // empty). nullopt if the type/detail is outside the domain (then the event
  // is counted under "custom" for x_ types, and not at all otherwise).
  static std::optional<std::size_t> key_index(std::string_view type, std::string_view detail);

  // Counts one event in the current window (which starts at the first count).
  void count(std::string_view type, std::string_view detail, std::int64_t now_ms);

  bool empty() const { return total_ == 0; }
  std::uint64_t total() const { return total_; }

  // {"from_ms", "to_ms", "epsilon", "counts": {key: noised value, ...}} over
  // the whole domain, then a fresh window. Precondition: epsilon validated.
  nlohmann::json release(double epsilon, std::int64_t now_ms, Rng& rng);

  void clear();

  // {"from_ms": n|null, "counts": {key: n, ...}} (only non-zero keys).
  nlohmann::json to_json() const;
  // snapshot_corrupt naming the field on a bad document; *this unchanged.
  Status restore(const nlohmann::json& doc);

 private:
  std::array<std::uint64_t, kKeyCount> counts_{};
  std::uint64_t total_ = 0;
  std::int64_t from_ms_ = -1;  // -1: no count in this window yet
};

}  // namespace gradvy
